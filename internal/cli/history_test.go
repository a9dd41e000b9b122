package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// One base run whose artifact the storage cannot serve costs that run only: the others
// label the failure, and the History line says what was skipped and why.
func TestHistoryOneBadArtifactKeepsTheRest(t *testing.T) {
	gh, getenv := historyAPI(t, 3, "e2e")
	defer gh.Close()
	gh.StorageFails[gh.Runs()[1].Artifacts[1].ID] = 500
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestCase001", Status: results.Failed}}}}
	applyHistory(context.Background(), benchGlobals(getenv), r, historyFlags{store: filepath.Join(t.TempDir(), "h.db"), runs: 20, fetch: true},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History == nil || r.History.Base.Runs != 2 || r.Tests.Cases[0].History == nil {
		t.Fatalf("history after one bad artifact: %+v", r.History)
	}
	if r.History.Fetch != "1 run skipped: 1 artifact unavailable" {
		t.Errorf("the History line's note: %q", r.History.Fetch)
	}
}

// A store refreshed once, then rate limited: the labels stay, and the History line says
// they are not current and why (a rate limit, not a permission).
func TestHistoryStaleStoreSaysSo(t *testing.T) {
	gh, getenv := historyAPI(t, 3, "e2e")
	defer gh.Close()
	store := filepath.Join(t.TempDir(), "h.db")
	g := benchGlobals(getenv)
	flags := historyFlags{store: store, runs: 20, fetch: true}
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestCase001", Status: results.Failed}}}}
	applyHistory(context.Background(), g, r, flags, history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History == nil || r.History.Base.Runs != 3 || r.History.Fetch != "" {
		t.Fatalf("first import: %+v", r.History)
	}
	gh.RateLimited["ghs_bench"] = true
	r = &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestCase001", Status: results.Failed}}}}
	applyHistory(context.Background(), g, r, flags, history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History.Base.Runs != 3 || r.Tests.Cases[0].History == nil {
		t.Fatalf("the stored runs were not used: %+v", r.History)
	}
	if f := r.History.Fetch; !strings.Contains(f, "refresh failed") || !strings.Contains(f, "rate limit") || strings.Contains(f, "actions: read") {
		t.Errorf("the stale store's note: %q", f)
	}
}

// A download redirect that never answers costs the import its budget, not the run: the
// render goes on and says why there is no history.
func TestHistoryHungAPIWithinBudget(t *testing.T) {
	gh, getenv := historyAPI(t, 2, "e2e")
	defer gh.Close()
	for _, run := range gh.Runs() {
		gh.RedirectHangs[run.Artifacts[1].ID] = true
	}
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "t", Status: results.Failed}}}}
	start := time.Now()
	applyHistory(context.Background(), benchGlobals(getenv), r, historyFlags{store: filepath.Join(t.TempDir(), "h.db"), runs: 20, fetch: true, timeout: 2 * time.Second},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %s with a 2s budget", took)
	}
	if r.History == nil || !strings.Contains(r.History.Note, "time budget") {
		t.Errorf("history with a hung API: %+v", r.History)
	}
}

// --history-runs out of 1..1000 is a usage error that names the flag.
func TestHistoryRunsBounded(t *testing.T) {
	for _, n := range []string{"0", "-1", "1001"} {
		code, _, stderr := run("render", "../../testdata/bundles/demo", "--history-runs", n, "--report-dir", t.TempDir())
		if code != 2 || !strings.Contains(stderr, "--history-runs must be 1 to 1000") {
			t.Errorf("--history-runs %s: exit %d, %s", n, code, stderr)
		}
	}
}
