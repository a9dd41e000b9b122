package github

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
)

// baseRun is a push run of o/r on main with a digest artifact (and the bundle beside it).
func baseRun(i int, digest string) *githubtest.WorkflowRun {
	r := &githubtest.WorkflowRun{Workflow: "e2e.yml", HeadBranch: "main", HeadSHA: fmt.Sprintf("%07x", i), Event: "push",
		Status: "completed", Conclusion: "success", RunAttempt: 1, CreatedAt: time.Unix(int64(i)*60, 0)}
	r.HeadRepo.FullName = "o/r"
	r.Artifacts = []*githubtest.Artifact{
		{Name: "ci-report-e2e-1", Files: map[string][]byte{"REPORT.md": []byte("# report")}},
		{Name: "ci-report-history-abc-1", CreatedAt: r.CreatedAt, Files: map[string][]byte{"history-digest.json": []byte(digest)}},
	}
	return r
}

// oneRun is a fake GitHub with one base run and the Actions token ghs_x.
func oneRun(t *testing.T) *githubtest.Server {
	s := githubtest.New()
	t.Cleanup(s.Close)
	s.Tokens["ghs_x"] = "github-actions[bot]"
	s.AddRun(baseRun(1, `{}`))
	return s
}

// collect runs BaseDigests and returns the digests it handed over.
func collect(ctx context.Context, c *Client, q DigestQuery) ([]FetchedDigest, DigestStats, error) {
	var got []FetchedDigest
	st, err := c.BaseDigests(ctx, q, func(d FetchedDigest) error { got = append(got, d); return nil })
	return got, st, err
}

func query(runs int, known map[string]bool) DigestQuery {
	return DigestQuery{Owner: "o", Repo: "r", Workflow: "e2e.yml", Branch: "main", Prefix: "ci-report-history-abc-",
		File: "history-digest.json", Runs: runs, MaxBytes: 1 << 20, Known: func(id string, _ int) bool { return known[id] }}
}

func TestBaseDigests(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.Tokens["ghs_x"] = "github-actions[bot]"
	var ids []string
	for i := 1; i <= 130; i++ {
		r := s.AddRun(baseRun(i, fmt.Sprintf(`{"n": %d}`, i)))
		ids = append(ids, fmt.Sprint(r.ID))
		switch i {
		case 125: // its digest expired
			r.Artifacts[1].Expired = true
		case 124: // it uploaded no digest
			r.Artifacts = r.Artifacts[:1]
		}
	}
	// A fork's pull request run whose head branch is also called main, and a pull
	// request run of the repository itself: neither is base-branch history.
	fork := baseRun(200, `{"n": "fork"}`)
	fork.Event, fork.HeadRepo.FullName = "pull_request", "mallory/r"
	s.AddRun(fork)
	pr := baseRun(201, `{"n": "pr"}`)
	pr.Event = "pull_request"
	s.AddRun(pr)
	known := map[string]bool{ids[129]: true} // the newest is in the store already
	got, st, err := collect(context.Background(), client(t, s, "ghs_x"), query(100, known))
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs != 100 || st.Known != 1 || st.Expired != 1 || st.Missing != 1 || st.Fetched != 97 || st.Foreign != 2 {
		t.Errorf("stats %+v", st)
	}
	var bodies []string
	for _, d := range got {
		bodies = append(bodies, string(d.Body))
		if strings.Contains(string(d.Body), "fork") || strings.Contains(string(d.Body), "pr") {
			t.Errorf("a pull request's digest was fetched: %s", d.Body)
		}
	}
	sort.Strings(bodies)
	if len(bodies) != 97 || !strings.Contains(strings.Join(bodies, " "), `{"n": 31}`) || strings.Contains(strings.Join(bodies, " "), `{"n": 30}`) {
		t.Errorf("fetched the wrong runs (want the newest 100 of 130): %d bodies", len(bodies))
	}
	pages := 0
	for _, c := range s.Calls {
		if strings.HasSuffix(c, "/actions/workflows/e2e.yml/runs") {
			pages++
		}
	}
	if pages < 2 {
		t.Errorf("listed runs in %d page(s): pagination not followed", pages)
	}
	// The archives come from another origin (the signed storage URL): the token stays home.
	if len(s.StorageTokens) > 0 {
		t.Errorf("the token was sent to the artifact storage %d time(s): %q", len(s.StorageTokens), s.StorageTokens[0])
	}
}

func TestBaseDigestsWithoutActionsRead(t *testing.T) {
	s := oneRun(t)
	s.NoActionsRead["ghs_x"] = true
	_, _, err := collect(context.Background(), client(t, s, "ghs_x"), query(20, nil))
	if !errors.Is(err, ErrNoActionsRead) {
		t.Errorf("err = %v, want ErrNoActionsRead", err)
	}
}

// One base run's bad artifact (storage 500, a storage that stalls, a download redirect
// that never answers) costs that run only: the others are fetched, each skip counted with
// its reason, within the per-artifact deadline, and no storage URL reaches any message.
func TestBadArtifactsSkipOnlyTheirRuns(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.Tokens["ghs_x"] = "github-actions[bot]"
	var runs []*githubtest.WorkflowRun
	for i := 1; i <= 5; i++ {
		runs = append(runs, s.AddRun(baseRun(i, fmt.Sprintf(`{"n": %d}`, i))))
	}
	s.StorageFails[runs[1].Artifacts[1].ID] = 500
	s.StorageHangs[runs[2].Artifacts[1].ID] = true
	s.RedirectHangs[runs[3].Artifacts[1].ID] = true
	c := client(t, s, "ghs_x")
	c.ArtifactTimeout = 2 * time.Second
	c.MaxWait = time.Second // no long backoff on the 500s
	start := time.Now()
	got, st, err := collect(context.Background(), c, query(20, nil))
	if err != nil {
		t.Fatalf("one bad artifact failed the whole fetch: %v", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s: a stalled download was not bounded", took)
	}
	if len(got) != 2 || st.Fetched != 2 || st.Skipped["artifact unavailable"] != 3 {
		t.Errorf("fetched %d (stats %+v), want the 2 good runs and 3 skipped as unavailable", len(got), st)
	}
	for _, why := range st.Why {
		if strings.Contains(why, "sig=") || strings.Contains(why, s.Storage.URL) || strings.Contains(why, "/blob/") {
			t.Errorf("a storage URL in a reason: %s", why)
		}
	}
}

// A rate limit is said as one, with its reset, not as a missing permission.
func TestRateLimitIsNotAMissingPermission(t *testing.T) {
	s := oneRun(t)
	s.RateLimited["ghs_x"] = true
	c := client(t, s, "ghs_x")
	c.MaxWait = time.Second // the reset is an hour away: do not wait for it
	_, _, err := collect(context.Background(), c, query(20, nil))
	var rl *RateLimitedError
	if !errors.As(err, &rl) || errors.Is(err, ErrNoActionsRead) {
		t.Fatalf("err = %v, want a rate limit", err)
	}
	if !strings.Contains(err.Error(), "rate limit") || !strings.Contains(err.Error(), "resets at") || rl.Reset.IsZero() {
		t.Errorf("the rate limit does not say when it resets: %v", err)
	}
}

// Without actions: read the error says that one cause, not also the comment's.
func TestNoActionsReadSaysOneCause(t *testing.T) {
	s := oneRun(t)
	s.NoActionsRead["ghs_x"] = true
	_, _, err := collect(context.Background(), client(t, s, "ghs_x"), query(20, nil))
	if !errors.Is(err, ErrNoActionsRead) || errors.Is(err, ErrForbidden) || strings.Contains(err.Error(), "comments") {
		t.Errorf("err = %v, want only the missing actions: read", err)
	}
}

// A rate limit that resets after the caller's budget ends is said as a rate limit at once,
// not waited out into "context deadline exceeded".
func TestRateLimitBeyondTheBudgetIsSaidAtOnce(t *testing.T) {
	s := oneRun(t)
	s.RateLimited["ghs_x"] = true
	c := client(t, s, "ghs_x")
	c.MaxWait = 2 * time.Hour // the reset (an hour away) is within what the client would wait
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := collect(ctx, c, query(20, nil))
	var rl *RateLimitedError
	if !errors.As(err, &rl) || time.Since(start) > time.Second {
		t.Errorf("after %s: err = %v, want the rate limit at once", time.Since(start).Round(time.Millisecond), err)
	}
}
