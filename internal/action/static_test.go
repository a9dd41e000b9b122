package action

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

const root = "../.."

func TestNoUntrustedInterpolationInRunScripts(t *testing.T) {
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if bad := Interpolations(a.Runs.Steps); len(bad) > 0 {
		t.Errorf("action.yml pastes untrusted expressions into scripts:\n%s", strings.Join(bad, "\n"))
	}
	files, _ := filepath.Glob(filepath.Join(root, "workflows", "*.yml"))
	if len(files) < 2 {
		t.Fatalf("workflows: %v", files)
	}
	for _, f := range files {
		w, err := LoadWorkflow(f)
		if err != nil {
			t.Fatal(err)
		}
		for job, j := range w.Jobs {
			if bad := Interpolations(j.Steps); len(bad) > 0 {
				t.Errorf("%s job %s pastes untrusted expressions into scripts:\n%s", f, job, strings.Join(bad, "\n"))
			}
		}
	}
}

func TestInterpolationsCatchesThem(t *testing.T) {
	bad := Interpolations([]Step{
		{Name: "a", Run: `echo "${{ inputs.namespaces }}"`},
		{Name: "b", Run: `echo "${{ github.event.pull_request.title }}"`},
		{Name: "c", Run: `echo "$TITLE"`, Env: map[string]string{"TITLE": "${{ github.event.pull_request.title }}"}},
	})
	if len(bad) != 2 {
		t.Errorf("found %v, want the two in scripts", bad)
	}
}

func TestActionShape(t *testing.T) {
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q", a.Runs.Using)
	}
	for _, in := range []string{"namespaces", "selector", "crds", "operator-selector", "results", "metrics", "comment-mode", "comment-key", "token", "artifact-name", "retention-days"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %s", in)
		}
	}
	if a.Inputs["token"].Default != "${{ github.token }}" || a.Inputs["retention-days"].Default != "14" {
		t.Errorf("defaults: token %q retention %q", a.Inputs["token"].Default, a.Inputs["retention-days"].Default)
	}
	for _, out := range []string{"report-dir", "status", "failed-tests", "findings", "comment-url"} {
		if _, ok := a.Outputs[out]; !ok {
			t.Errorf("no output %s", out)
		}
	}
	var upload, cache, toolchain bool
	for _, s := range a.Runs.Steps {
		upload = upload || strings.HasPrefix(s.Uses, "actions/upload-artifact@")
		cache = cache || strings.HasPrefix(s.Uses, "actions/cache@")
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			t.Error("the action runs setup-go, which changes the Go of the user's later steps")
		}
		toolchain = toolchain || strings.Contains(s.Run, "GOTOOLCHAIN=") && strings.Contains(s.Run, "GOMODCACHE=")
	}
	if !upload || !cache || !toolchain {
		t.Errorf("steps lack upload-artifact (%v), actions/cache (%v) or a private GOTOOLCHAIN build (%v)", upload, cache, toolchain)
	}
	// Matrix legs get their own comment and artifact without the user passing anything.
	if a.Inputs["matrix"].Default != "${{ toJSON(matrix) }}" {
		t.Errorf("matrix input default = %q", a.Inputs["matrix"].Default)
	}
	// Every input the scripts use reaches them through env.
	for name := range a.Inputs {
		used := false
		for _, s := range a.Runs.Steps {
			for _, v := range s.Env {
				used = used || strings.Contains(v, "inputs."+name+" ")
			}
			for _, v := range s.With {
				if str, ok := v.(string); ok {
					used = used || strings.Contains(str, "inputs."+name+" ")
				}
			}
		}
		if !used {
			t.Errorf("input %s reaches no step", name)
		}
	}
}

var usesLine = regexp.MustCompile(`(?m)^\s*-?\s*uses:\s*([^@\s]+)@(\S+)(.*)$`)

// Third-party actions are pinned by commit SHA, with the tag as a comment; the example
// e2e workflow cancels older runs of the same PR.
func TestActionsPinnedAndRunsSerialised(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, "workflows", "*.yml"))
	files = append(files, filepath.Join(root, "action.yml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range usesLine.FindAllStringSubmatch(string(b), -1) {
			repo, ref, rest := m[1], m[2], m[3]
			if repo == "org/k8s-e2e-report" {
				continue // this action itself, released with the workflows
			}
			if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ref) || !strings.Contains(rest, "# v") {
				t.Errorf("%s: %s@%s%s is not pinned by SHA with its tag as a comment", filepath.Base(f), repo, ref, rest)
			}
		}
	}
	e2e, _ := os.ReadFile(filepath.Join(root, "workflows", "k8s-e2e.yml"))
	if !regexp.MustCompile(`(?m)^concurrency:\s*\n\s+group: .*pull_request.number`).Match(e2e) {
		t.Error("workflows/k8s-e2e.yml has no concurrency group per PR")
	}
}

func TestCondition(t *testing.T) {
	v := map[string]string{"inputs.mode": "start"}
	for cond, want := range map[string]bool{
		"": true, "always()": true, "always() && inputs.mode != 'start'": false, "${{ inputs.mode == 'start' }}": true,
		"inputs.mode == 'run'": false,
	} {
		got, err := Condition(cond, v)
		if err != nil || got != want {
			t.Errorf("Condition(%q) = %v, %v; want %v", cond, got, err, want)
		}
	}
	if _, err := Condition("failure()", v); err == nil {
		t.Error("an unsupported condition passes silently")
	}
}

// TestActionRegexpsCompile compiles this package's regular expressions (they compile at
// first use).
func TestActionRegexpsCompile(t *testing.T) {
	if err := lazyre.Check(); err != nil {
		t.Fatal(err)
	}
}
