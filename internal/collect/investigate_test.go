package collect_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/cli"
	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/investigate"
	"github.com/org/k8s-e2e-report/internal/investigate/schemacheck"
)

func runOut(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(append([]string{"--kubeconfig", env.Kubeconfig}, args...), nil, &stdout, &stderr)
	return code, stdout.Bytes(), stderr.String()
}

// investigate on the demo scenario gives the same findings live and on its bundle, the
// CrashLoopBackOff pod first, and JSON that matches its schema.
func TestIntegrationInvestigateLiveAndBundle(t *testing.T) {
	start := time.Now()
	code, live, stderr := runOut(t, "investigate", "-n", demo.Namespace, "--json")
	if code != 0 {
		t.Fatalf("investigate live: exit %d\n%s", code, stderr)
	}
	t.Logf("live investigate took %s", time.Since(start).Round(time.Millisecond))
	if err := schemacheck.ValidateJSON(live); err != nil {
		t.Errorf("live JSON does not match the schema: %v", err)
	}
	dir := t.TempDir()
	if code, stderr := runCLI(t, env.Kubeconfig, "collect", "-n", demo.Namespace, "-o", dir); code != 0 {
		t.Fatalf("collect exit %d\n%s", code, stderr)
	}
	code, fromBundle, stderr := runOut(t, "investigate", "--from", dir, "--json")
	if code != 0 {
		t.Fatalf("investigate --from: exit %d\n%s", code, stderr)
	}
	if err := schemacheck.ValidateJSON(fromBundle); err != nil {
		t.Errorf("bundle JSON does not match the schema: %v", err)
	}
	var a, b investigate.Investigation
	if err := json.Unmarshal(live, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(fromBundle, &b); err != nil {
		t.Fatal(err)
	}
	ids := func(inv investigate.Investigation) []string {
		var out []string
		for _, f := range inv.Findings {
			out = append(out, f.ID)
		}
		return out
	}
	if len(a.Findings) == 0 || a.Findings[0].Category != "CrashLoopBackOff" || a.Findings[0].Subject != "Pod/"+demo.Namespace+"/"+scenario.CrashLoopPod {
		t.Errorf("live: first finding = %+v", a.Findings)
	}
	if got, want := ids(a), ids(b); len(got) != len(want) {
		t.Errorf("live findings %v\nbundle findings %v", got, want)
	} else {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("finding %d: live %s, bundle %s", i+1, got[i], want[i])
			}
		}
	}
	if a.Source.Mode != "live" || b.Source.Mode != "bundle" || len(a.Pods) != len(b.Pods) {
		t.Errorf("live %+v %d pods, bundle %+v %d pods", a.Source, len(a.Pods), b.Source, len(b.Pods))
	}
}
