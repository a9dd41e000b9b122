package ghactions

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/k8s-e2e-report/internal/findings"
)

// Annotations, in their own package's test (go-githubactions writes into a buffer): a
// level per severity, a title cleaned to one line, no workflow command smuggled in
// through a finding's text, the file and line of a test failure, duplicates once.
func TestAnnotate(t *testing.T) {
	var out bytes.Buffer
	a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(func(string) string { return "" }))
	fs := []findings.Finding{
		{Severity: findings.Critical, Title: "Pod web is in CrashLoopBackOff\n::error::forged", Explanation: "panic\n::add-mask::x", Count: 3},
		{Severity: findings.Critical, Title: "Pod web is in CrashLoopBackOff\n::error::forged", Explanation: "the same title again"},
		{Severity: findings.Warning, Title: "Probe failing", Explanation: "503"},
		{Severity: findings.Error, Title: "Test TestOrders failed", Explanation: "want 201", File: "e2e/orders_test.go", Line: 42},
		{Severity: findings.Info, Title: "note"},
	}
	counts := Annotate(a, fs)
	if counts["error"] != 2 || counts["warning"] != 1 || counts["notice"] != 1 {
		t.Errorf("counts = %v", counts)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (one per distinct finding):\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "::error ") && !strings.HasPrefix(l, "::warning ") && !strings.HasPrefix(l, "::notice ") {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	if !strings.Contains(out.String(), "file=e2e/orders_test.go,line=42") {
		t.Errorf("the test failure lacks its location:\n%s", out.String())
	}
	if !strings.Contains(lines[0], "(×3)") || !strings.Contains(lines[0], "%0A::add-mask::x") {
		t.Errorf("first annotation: %q", lines[0])
	}
}

// The comment key: workflow, job and matrix values, sanitised for an HTML comment; a
// strategy leg without matrix values still gets its own.
func TestKey(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_WORKFLOW": "e2e", "GITHUB_JOB": "kind"}, "e2e/kind"},
		{map[string]string{"GITHUB_WORKFLOW": "e2e", "GITHUB_JOB": "kind", "CI_REPORT_MATRIX": `{"k8s":"1.36","os":"linux"}`}, "e2e/kind/k8s=1.36,os=linux"},
		{map[string]string{"GITHUB_WORKFLOW": "e2e", "GITHUB_JOB": "kind", "CI_REPORT_JOB_TOTAL": "3", "CI_REPORT_JOB_INDEX": "2"}, "e2e/kind/leg=2"},
		{map[string]string{"GITHUB_WORKFLOW": "e2e --> <b>", "GITHUB_JOB": "j"}, "e2e_--_b_/j"},
		{map[string]string{}, "default"},
	} {
		if got := Key(env(c.env)); got != c.want {
			t.Errorf("Key(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}
