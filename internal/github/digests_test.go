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

func query(runs int, known map[string]bool) DigestQuery {
	return DigestQuery{Owner: "o", Repo: "r", Workflow: "e2e.yml", Branch: "main", Prefix: "ci-report-history-abc-",
		File: "history-digest.json", Runs: runs, MaxBytes: 1 << 20, Known: func(id string) bool { return known[id] }}
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
	got, st, err := client(t, s, "ghs_x").BaseDigests(context.Background(), query(100, known))
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
	s := githubtest.New()
	defer s.Close()
	s.Tokens["ghs_x"] = "github-actions[bot]"
	s.NoActionsRead["ghs_x"] = true
	s.AddRun(baseRun(1, `{}`))
	_, _, err := client(t, s, "ghs_x").BaseDigests(context.Background(), query(20, nil))
	if !errors.Is(err, ErrNoActionsRead) {
		t.Errorf("err = %v, want ErrNoActionsRead", err)
	}
}
