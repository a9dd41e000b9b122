package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/history/pgtest"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/reportjson"
	"github.com/org/k8s-e2e-report/internal/results"
)

// The CLI end to end on a real PostgreSQL: record a run of main through one process,
// label a PR's render through another, with a postgres:// store.
func TestHistoryOnPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	work := t.TempDir()
	bundle := filepath.Join(work, "bundle")
	if err := os.CopyFS(bundle, os.DirFS("../../testdata/bundles/healthy")); err != nil {
		t.Fatal(err)
	}
	junit := func(name, body string) string {
		p := filepath.Join(work, name)
		os.WriteFile(p, []byte(`<testsuites><testsuite name="e2e">`+body+`</testsuite></testsuites>`), 0o644)
		return p
	}
	base := junit("base.xml", `<testcase classname="e2e" name="t-old"><failure message="boom"/></testcase><testcase classname="e2e" name="t-new"/>`)
	pr := junit("pr.xml", `<testcase classname="e2e" name="t-old"><failure message="boom"/></testcase><testcase classname="e2e" name="t-new"><failure message="x"/></testcase>`)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(args, nil, &out, &errb); code != 0 {
			t.Fatalf("ci-report %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	run("render", bundle, "--results", base, "--report-dir", filepath.Join(work, "b"), "-q")
	if out := run("history", "record", filepath.Join(work, "b"), "--store", dsn, "--sha", "abcdef12345", "--branch", "main", "--run", "1", "--key", "e2e"); !strings.HasPrefix(out, "recorded: main@abcdef12345") {
		t.Fatalf("record: %q", out)
	}
	run("render", bundle, "--results", pr, "--report-dir", filepath.Join(work, "pr"), "--store", dsn, "--base-branch", "main", "--comment-key", "e2e", "-q")
	r, err := reportjson.Read(filepath.Join(work, "pr"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range r.Tests.Cases {
		got[c.Name] = c.History.Label()
	}
	if got["t-old"] != "failing since abcdef1 (1 of 1 runs)" || got["t-new"] != "new" || r.History == nil || r.History.Base.Runs != 1 {
		t.Errorf("labels from PostgreSQL: %v, history %+v", got, r.History)
	}
}

// Without actions: read the labels say why there is no history, and the render goes on.
func TestHistoryWithoutActionsRead(t *testing.T) {
	gh, getenv := historyAPI(t, 3, "e2e")
	defer gh.Close()
	gh.NoActionsRead["ghs_bench"] = true
	g := benchGlobals(getenv)
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "t", Status: results.Failed}}}}
	applyHistory(context.Background(), g, r, historyFlags{store: filepath.Join(t.TempDir(), "h.db"), runs: 20, fetch: true},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History == nil || !strings.Contains(r.History.Note, "actions: read") || r.Tests.Cases[0].History != nil {
		t.Errorf("history without actions: read: %+v", r.History)
	}
	// With it, the same call fetches the three runs and labels the test.
	gh.NoActionsRead["ghs_bench"] = false
	applyHistory(context.Background(), g, r, historyFlags{store: filepath.Join(t.TempDir(), "h2.db"), runs: 20, fetch: true},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History.Base.Runs != 3 || r.Tests.Cases[0].History == nil {
		t.Errorf("history with actions: read: %+v", r.History)
	}
}
