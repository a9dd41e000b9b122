package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

const canary = "c4n4ry-s3cr3t-value-x9"

func TestStringScrubsSecrets(t *testing.T) {
	r, err := New([]string{`internal-id-\d+`})
	if err != nil {
		t.Fatal(err)
	}
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ" + canary + "In0.c2lnbmF0dXJl"
	for _, in := range []string{
		"Authorization: Bearer " + canary,
		`{"headers":{"authorization":"Bearer ` + canary + `"}}`,
		"token " + jwt + " accepted",
		"cloning https://ci-bot:" + canary + "@github.com/org/repo.git",
		"postgres://app:" + canary + "@db:5432/app?sslmode=disable",
		"AWS key AKIAIOSFODNN7" + "EXAMPLE used; aws_secret_access_key=" + canary,
		"API_TOKEN=" + canary,
		`password: "` + canary + `"`,
		`{"client_secret":"` + canary + `","user":"bob"}`,
		"ghp_" + strings.Repeat("a", 36) + canary,
		"request internal-id-12345 done",
	} {
		out, n := r.String(in)
		if strings.Contains(out, canary) || strings.Contains(out, "AKIAIOSFODNN7EXAMPLE") || strings.Contains(out, "internal-id-12345") {
			t.Errorf("String(%q) = %q: secret kept", in, out)
		}
		if n == 0 {
			t.Errorf("String(%q) counted no redaction", in)
		}
	}
	// Ordinary text is untouched.
	for _, in := range []string{
		`{"level":"info","msg":"Reconciling APIGraph","reconcileID":"7c2e9d44-8b1a"}`,
		"GET /api/users 200 in 3ms",
		"see https://example.com/docs#section",
	} {
		if out, n := r.String(in); out != in || n != 0 {
			t.Errorf("String(%q) = %q (%d redactions), want unchanged", in, out, n)
		}
	}
	if r.Counts()["user-1"] != 1 {
		t.Errorf("counts = %v, want user-1 counted once", r.Counts())
	}
}

func TestNewRejectsBadPattern(t *testing.T) {
	if _, err := New([]string{"("}); err == nil || !strings.Contains(err.Error(), "--redact") {
		t.Errorf("err = %v, want it to name --redact", err)
	}
}

func TestLinesPEMBlock(t *testing.T) {
	r, _ := New(nil)
	l := r.NewLines()
	in := []string{"loading key", "-----BEGIN RSA PRIVATE KEY-----", "MIIEow" + canary, "AAAA", "-----END RSA PRIVATE KEY-----", "key loaded"}
	var out []string
	for _, s := range in {
		out = append(out, l.Line(s))
	}
	joined := strings.Join(out, "\n")
	if strings.Contains(joined, canary) || strings.Contains(joined, "AAAA") {
		t.Errorf("PEM body kept:\n%s", joined)
	}
	if out[0] != "loading key" || out[5] != "key loaded" {
		t.Errorf("lines around the key changed: %q", out)
	}
}

func TestObjectSecretAndEnv(t *testing.T) {
	r, _ := New(nil)
	var secret map[string]any
	_ = json.Unmarshal([]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","annotations":{
		"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"`+canary+`\"}}","team":"a"},
		"managedFields":[{"manager":"kubectl"}]},
		"type":"Opaque","data":{"password":"c2VjcmV0LXZhbHVlMQ=="}}`), &secret)
	r.Object(secret)
	b, _ := json.Marshal(secret)
	s := string(b)
	if strings.Contains(s, canary) || strings.Contains(s, "c2VjcmV0LXZhbHVlMQ") || strings.Contains(s, "managedFields") {
		t.Errorf("secret leaked: %s", s)
	}
	if !strings.Contains(s, `"password":"[REDACTED] (13 bytes)"`) || !strings.Contains(s, `"team":"a"`) {
		t.Errorf("secret lost its key names, sizes or harmless metadata: %s", s)
	}

	var dep map[string]any
	_ = json.Unmarshal([]byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","annotations":{
		"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"API_TOKEN\",\"value\":\"`+canary+`\"}]}]}}}}",
		"example.com/auth-token":"`+canary+`"}},
		"spec":{"template":{"spec":{"containers":[{"name":"c","env":[
			{"name":"API_TOKEN","value":"`+canary+`"},{"name":"LOG_LEVEL","value":"debug"},
			{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}]}]}}}}`), &dep)
	if n := r.Object(dep); n < 3 {
		t.Errorf("redactions = %d, want at least 3", n)
	}
	b, _ = json.Marshal(dep)
	s = string(b)
	if strings.Contains(s, canary) {
		t.Errorf("deployment leaked: %s", s)
	}
	if !strings.Contains(s, `"value":"debug"`) || !strings.Contains(s, `"secretKeyRef"`) {
		t.Errorf("harmless env lost: %s", s)
	}
}

func FuzzString(f *testing.F) {
	f.Add("Authorization: Bearer abc.def")
	f.Add("https://u:p@h/")
	f.Fuzz(func(t *testing.T, s string) {
		r, _ := New(nil)
		out, _ := r.String(s)
		if again, n := r.String(out); n != 0 && again != out {
			// Redaction must reach a fixed point: a second pass finds nothing new to hide.
			t.Errorf("second pass changed %q to %q", out, again)
		}
	})
}

// Secret-looking fields leak through objects in many shapes besides env: ConfigMap data
// keys, CR spec fields, container args and env values that are secrets whatever the name.
func TestObjectFieldsArgsAndValues(t *testing.T) {
	r, _ := New(nil)
	var objs []map[string]any
	_ = json.Unmarshal([]byte(`[
		{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"DB_PASSWORD":"`+canary+`","LOG_LEVEL":"debug","secretName":"db-credentials"}},
		{"apiVersion":"turbo.io/v1","kind":"APIGraph","metadata":{"name":"g"},"spec":{"credentials":{"password":"`+canary+`","username":"bob"},"storage":{"secretAccessKey":"`+canary+`","secretRef":{"name":"s3"}},"maxTokens":4096}},
		{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
			"args":["--db-password","`+canary+`","--port","8080","--token-file","/var/run/token"],
			"command":["/app","--api-key=`+canary+`"],
			"env":[{"name":"STRIPE","value":"sk_live_51HqLyjWDarjtT1zdp7dcXcPD3Kx"},{"name":"MODE","value":"fast"}]}]}}]`), &objs)
	for _, o := range objs {
		r.Object(o)
	}
	b, _ := json.Marshal(objs)
	s := string(b)
	for _, leak := range []string{canary, "sk_live_51HqLyjWDarjtT1zdp7dcXcPD3Kx"} {
		if strings.Contains(s, leak) {
			t.Errorf("%q leaked: %s", leak, s)
		}
	}
	for _, keep := range []string{`"LOG_LEVEL":"debug"`, `"secretName":"db-credentials"`, `"username":"bob"`, `"secretRef":{"name":"s3"}`, `"maxTokens":4096`, `"8080"`, `"/var/run/token"`, `"value":"fast"`} {
		if !strings.Contains(s, keep) {
			t.Errorf("redaction destroyed %s: %s", keep, s)
		}
	}
}

// Redaction must not hide what debugging needs (kubectl describe, klog, LLM settings).
func TestLooksSecretNames(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "password": true, "secretAccessKey": true, "client_secret": true, "API_TOKEN": true,
		"apiKey": true, "auth": true, "client-key-data": true, "AccountKey": true,
		"TokenExpirationSeconds": false, "tokenFile": false, "secretName": false, "secretRef": false, "max_tokens": false,
		"SecretName": false, "passwordPolicy": false, "key": false, "LOG_LEVEL": false, "authenticationType": false,
	} {
		if got := LooksSecret(name); got != want {
			t.Errorf("LooksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

// The fast ASCII scan must not miss a keyword spelled with a character that only full
// Unicode case folding turns into ASCII (the Kelvin sign folds to "k"): such a line is
// scanned as strings.ToLower sees it.
func TestKeywordScanFoldsUnicode(t *testing.T) {
	l, err := defaultLeaks()
	if err != nil {
		t.Fatal(err)
	}
	want := l.scan("x token: y")
	for _, line := range []string{"x to\u212Aen: y", "x TOKEN: y", "é token: y"} {
		got := l.scan(line)
		if got.own != want.own || len(got.gl) != len(want.gl) {
			t.Errorf("%q: rules %b/%v, %q enables %b/%v", line, got.own, got.gl, "token", want.own, want.gl)
		}
	}
	if want.own == 0 && len(want.gl) == 0 {
		t.Fatal(`"token" enables no rule: the test proves nothing`)
	}
}

// The fast scan (bit-set prefixes, a third-byte filter, an ASCII pre-check) finds
// exactly the keywords a plain substring search finds: each keyword, in any case, at
// the start, middle and end of a line, and cut short by one byte.
func TestKeywordScanFindsEveryKeyword(t *testing.T) {
	l, err := defaultLeaks()
	if err != nil {
		t.Fatal(err)
	}
	var all []*kwEntry
	for p := range l.kw.byPre {
		for j := range l.kw.byPre[p] {
			all = append(all, &l.kw.byPre[p][j])
		}
	}
	for c := range l.kw.single {
		for j := range l.kw.single[c] {
			all = append(all, &l.kw.single[c][j])
		}
	}
	if len(all) < 50 {
		t.Fatalf("only %d keywords", len(all))
	}
	want := func(line string) hits {
		var h hits
		lower := strings.ToLower(line)
		for _, e := range all {
			if strings.Contains(lower, e.kw) {
				h.add(e)
			}
		}
		return h
	}
	same := func(a, b hits) bool { return a.own == b.own && a.flag == b.flag && a.set == b.set }
	for _, e := range all {
		for _, line := range []string{e.kw, "x " + e.kw + " y", "prefix=" + strings.ToUpper(e.kw), e.kw[:len(e.kw)-1], "ab" + e.kw[:len(e.kw)-1]} {
			var got hits
			l.scanInto(line, &got)
			if w := want(line); !same(got, w) {
				t.Errorf("%q: scan found own=%b flag=%b gl=%v; a substring search finds own=%b flag=%b gl=%v", line, got.own, got.flag, got.gl, w.own, w.flag, w.gl)
			}
		}
	}
}
