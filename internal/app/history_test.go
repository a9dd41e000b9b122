package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

// Without actions: read the labels say why there is no history, and the render goes on.
func TestHistoryWithoutActionsRead(t *testing.T) {
	gh, getenv := historyAPI(t, 3, "e2e")
	defer gh.Close()
	gh.NoActionsRead["ghs_bench"] = true
	g := benchService(getenv)
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "t", Status: results.Failed}}}}
	g.ApplyHistory(context.Background(), r, HistoryOptions{Store: filepath.Join(t.TempDir(), "h.db"), Runs: 20, Fetch: true},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History == nil || !strings.Contains(r.History.Note, "actions: read") || r.Tests.Cases[0].History != nil {
		t.Errorf("history without actions: read: %+v", r.History)
	}
	// With it, the same call fetches the three runs and labels the test.
	gh.NoActionsRead["ghs_bench"] = false
	g.ApplyHistory(context.Background(), r, HistoryOptions{Store: filepath.Join(t.TempDir(), "h2.db"), Runs: 20, Fetch: true},
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
	benchService(getenv).ApplyHistory(context.Background(), r, HistoryOptions{Store: filepath.Join(t.TempDir(), "h.db"), Runs: 20, Fetch: true},
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
	g := benchService(getenv)
	flags := HistoryOptions{Store: store, Runs: 20, Fetch: true}
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestCase001", Status: results.Failed}}}}
	g.ApplyHistory(context.Background(), r, flags, history.Digest{Repo: "o/r", Key: "e2e"})
	if r.History == nil || r.History.Base.Runs != 3 || r.History.Fetch != "" {
		t.Fatalf("first import: %+v", r.History)
	}
	gh.RateLimited["ghs_bench"] = true
	r = &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestCase001", Status: results.Failed}}}}
	g.ApplyHistory(context.Background(), r, flags, history.Digest{Repo: "o/r", Key: "e2e"})
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
	benchService(getenv).ApplyHistory(context.Background(), r, HistoryOptions{Store: filepath.Join(t.TempDir(), "h.db"), Runs: 20, Fetch: true, Timeout: 2 * time.Second},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %s with a 2s budget", took)
	}
	if r.History == nil || !strings.Contains(r.History.Note, "time budget") {
		t.Errorf("history with a hung API: %+v", r.History)
	}
}

// addDigestRun adds a base run of o/r on main whose digest says test t has status st.
func addDigestRun(gh *githubtest.Server, i int, st string, mutate func(*history.Digest)) *githubtest.WorkflowRun {
	d := history.Digest{Version: history.DigestVersion, Repo: "o/r", Key: "e2e", Branch: "main", SHA: fmt.Sprintf("%040x", 100+i), Time: time.Unix(int64(i)*600, 0),
		Tests: []history.Test{{Suite: "e2e", Name: "t", Status: st, Attempts: 1}}}
	if mutate != nil {
		mutate(&d)
	}
	body, _ := json.Marshal(d)
	run := &githubtest.WorkflowRun{Workflow: "e2e.yml", HeadBranch: "main", HeadSHA: d.SHA, Event: "push", Status: "completed", Conclusion: "success", RunAttempt: 1, CreatedAt: d.Time}
	run.HeadRepo.FullName = "o/r"
	run.Artifacts = []*githubtest.Artifact{{Name: HistoryPrefix("e2e") + "1-1", CreatedAt: d.Time, Files: map[string][]byte{history.DigestFile: body}}}
	return gh.AddRun(run)
}

// The tree a digest file claims is not trusted: only the API's head commit says a run's
// tree, so a digest that copies this run's tree cannot make its failure "flaky".
func TestHistoryTreeFromTheAPIOnly(t *testing.T) {
	gh, getenv := historyAPI(t, 0, "e2e")
	defer gh.Close()
	addDigestRun(gh, 1, "passed", func(d *history.Digest) { d.Tree = "feedface" })
	r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "t", Status: results.Failed}}}}
	benchService(getenv).ApplyHistory(context.Background(), r, HistoryOptions{Store: filepath.Join(t.TempDir(), "h.db"), Runs: 20, Fetch: true, Tree: "feedface"},
		history.Digest{Repo: "o/r", Key: "e2e"})
	if h := r.Tests.Cases[0].History; h == nil || h.State != "new" {
		t.Errorf("label %+v, want new: the digest's own tree was trusted", h)
	}
}

// A base run re-run after its digest was imported: the later attempt's digest is
// imported and replaces the earlier one, so the run's outcome is its latest attempt's.
func TestHistoryReRunReplacesItsAttempt(t *testing.T) {
	gh, getenv := historyAPI(t, 0, "e2e")
	defer gh.Close()
	run := addDigestRun(gh, 1, "failed", nil)
	store := filepath.Join(t.TempDir(), "h.db")
	g := benchService(getenv)
	label := func() *results.History {
		r := &model.Report{Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "t", Status: results.Failed}}}}
		g.ApplyHistory(context.Background(), r, HistoryOptions{Store: store, Runs: 20, Fetch: true}, history.Digest{Repo: "o/r", Key: "e2e"})
		if r.History == nil || r.History.Base.Runs != 1 {
			t.Fatalf("history: %+v, want one base run", r.History)
		}
		return r.Tests.Cases[0].History
	}
	if h := label(); h == nil || h.State != "failing" {
		t.Fatalf("before the re-run: %+v, want failing", h)
	}
	// The re-run passed: GitHub lists the run with attempt 2 and a second digest artifact.
	d := history.Digest{Version: history.DigestVersion, Repo: "o/r", Key: "e2e", Branch: "main", SHA: run.HeadSHA, Time: run.CreatedAt,
		Tests: []history.Test{{Suite: "e2e", Name: "t", Status: "passed", Attempts: 1}}}
	body, _ := json.Marshal(d)
	run.RunAttempt = 2
	run.Artifacts = append(run.Artifacts, &githubtest.Artifact{ID: run.Artifacts[0].ID + 500, Name: HistoryPrefix("e2e") + "1-2", CreatedAt: run.CreatedAt.Add(time.Hour),
		Files: map[string][]byte{history.DigestFile: body}})
	if h := label(); h == nil || h.State != "new" {
		t.Errorf("after a passing re-run: %+v, want new (the run's latest attempt passed)", h)
	}
}
