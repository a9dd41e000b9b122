package fingerprint

import "testing"

func TestNormaliseFoldsWhatVariesBetweenRuns(t *testing.T) {
	pairs := [][2]string{
		{`pod orders-api-7d4b9c8f6d-x2k9z crashed: connection refused to 10.244.0.12:5432`,
			`pod orders-api-5f6c7b9d48-qm4tp crashed: connection refused to 10.244.1.7:5432`},
		{`timed out after 30.5s waiting for job migrate-x7k2p at 2026-12-01T10:00:01Z`,
			`timed out after 31.2s waiting for job migrate-9qz4w at 2026-12-02T11:12:13.123Z`},
		{`request 3f2b1c9e-1111-4a2b-9c3d-0123456789ab failed with code 503`,
			`request 7aa1c0de-2222-4b3c-8d4e-abcdefabcdef failed with code 502`},
		{`E1202 10:11:12.123456 map[b:2 a:1] object 0xc000123456`,
			`E1203 09:08:07.000001 map[a:1 b:2] object 0xc000abcdef`},
		{`statefulset pod db-0 not ready`, `statefulset pod db-2 not ready`},
	}
	for _, p := range pairs {
		if a, b := Normalise(p[0]), Normalise(p[1]); a != b {
			t.Errorf("not folded:\n %q -> %q\n %q -> %q", p[0], a, p[1], b)
		}
	}
}

func TestNormaliseKeepsWhatTellsFailuresApart(t *testing.T) {
	pairs := [][2]string{
		{`connection refused`, `connection reset by peer`},
		{`pod orders-api-7d4b9c8f6d-x2k9z crashed`, `pod billing-api-7d4b9c8f6d-x2k9z crashed`},
		{`expected status Ready`, `expected status Failed`},
		// two IDs in one message stay two distinct ones
		{`copy 0xaaaa to 0xbbbb`, `copy 0xaaaa to 0xaaaa`},
	}
	for _, p := range pairs {
		if Normalise(p[0]) == Normalise(p[1]) {
			t.Errorf("folded into one: %q and %q -> %q", p[0], p[1], Normalise(p[0]))
		}
	}
}

func TestSimilar(t *testing.T) {
	long := `Expected the APIGraph orders to become Ready, but it stayed Pending with reason DependencyMissing: service billing not found`
	cases := []struct {
		a, b string
		want bool
	}{
		{long, long, true},
		{long, long + " (retry)", true},
		{long, `Expected the APIGraph orders to become Ready, but it stayed Failed with reason Timeout`, false},
		{"short", "shirt", false},
		{"", "", true},
	}
	for _, c := range cases {
		if got := Similar(Normalise(c.a), Normalise(c.b)); got != c.want {
			t.Errorf("Similar(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestOfIsStableAcrossRunsAndDistinctAcrossKinds(t *testing.T) {
	a := Of("CrashLoop", "pod/orders-api-7d4b9c8f6d-x2k9z", "back-off 5m0s restarting failed container")
	b := Of("CrashLoop", "pod/orders-api-5f6c7b9d48-qm4tp", "back-off 2m40s restarting failed container")
	if a != b {
		t.Errorf("a renamed pod's finding changed fingerprint: %s vs %s", a, b)
	}
	if c := Of("OOMKilled", "pod/orders-api-7d4b9c8f6d-x2k9z", "back-off 5m0s restarting failed container"); c == a {
		t.Error("two categories share a fingerprint")
	}
}

func FuzzNormalise(f *testing.F) {
	f.Add("pod a-7d4b9c8f6d-x2k9z at 10.0.0.1:80 map[b:1 a:2] 0xdead 2026-12-01T10:00:00Z 3.5s")
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalise(s)
		if Normalise(n) != Normalise(Normalise(n)) {
			t.Fatal("not stable")
		}
		if len(n) > 2*MaxLen+64 {
			t.Fatalf("normalised text of %d bytes", len(n))
		}
	})
}
