package action

import (
	"path/filepath"
	"strings"
	"testing"
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
	var upload, setupGo bool
	for _, s := range a.Runs.Steps {
		upload = upload || strings.HasPrefix(s.Uses, "actions/upload-artifact@v4")
		setupGo = setupGo || strings.HasPrefix(s.Uses, "actions/setup-go@")
	}
	if !upload || !setupGo {
		t.Errorf("steps lack setup-go (%v) or upload-artifact@v4 (%v)", setupGo, upload)
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
