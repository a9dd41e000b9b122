package prcomment

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

// The comment workflow in its own package, on an in-memory report (what run hands it)
// and the fake GitHub: the first post creates the job's comment, the next edits it, a
// fork's read-only token leaves pr.json for the workflow_run poster, and mode off posts
// nothing.
func TestPostUpsertsOneCommentPerKey(t *testing.T) {
	gh := githubtest.New()
	defer gh.Close()
	gh.ReadOnly["ghs_fork"] = true
	r := &model.Report{Status: model.Status{Level: "failed", Detail: "1 of 2 tests failed"},
		Tests: &results.Results{Cases: []results.Case{{Suite: "e2e", Name: "TestOrders", Status: results.Failed}}}, TestCounts: map[string]int{"failed": 1},
		Findings: []findings.Finding{{ID: "CrashLoopBackOff-1", Category: "CrashLoopBackOff", Severity: findings.Critical, Title: "Pod web is in CrashLoopBackOff"}},
		Gaps:     []bundle.Gap{}, FailedTests: []model.FailedTest{}}
	getenv := func(token string) func(string) string {
		return func(k string) string {
			return map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": gh.URL, "GITHUB_TOKEN": token}[k]
		}
	}
	env := Env{Log: slog.New(slog.DiscardHandler), Action: githubactions.New(githubactions.WithGetenv(getenv(""))), Getenv: getenv("")}
	post := func(token string, mode string) (string, error) {
		c, err := Resolve(Flags{PR: 7, Key: "e2e/kind", Mode: mode, Author: github.ActionsBot}, getenv(token), nil)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		url, err := Post(context.Background(), c, r, dir, env)
		if b, rerr := os.ReadFile(filepath.Join(dir, bundle.CommentMD)); mode != "off" && (rerr != nil || !strings.HasPrefix(string(b), Marker("e2e/kind"))) {
			t.Errorf("comment.md not rewritten with its marker: %q %v", b, rerr)
		}
		return url, err
	}
	if _, err := post("ghs_token", ""); err != nil {
		t.Fatal(err)
	}
	r.Status.Detail = "2 of 2 tests failed"
	if _, err := post("ghs_token", ""); err != nil {
		t.Fatal(err)
	}
	comments := gh.Comments(7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "2 of 2 tests failed") || !strings.Contains(comments[0].Body, "CrashLoopBackOff") {
		t.Fatalf("comments = %+v; want one, edited", comments)
	}
	if _, err := post("ghs_token", "off"); err != nil || len(gh.Comments(7)) != 1 {
		t.Errorf("mode off: %v, %d comments", err, len(gh.Comments(7)))
	}
	// A fork's run of a newer commit: its token knows it is github-actions[bot] (GraphQL's
	// viewer) and finds the comment, but may not edit it.
	r.Status.Detail = "1 of 2 tests failed on the fork's commit"
	c, _ := Resolve(Flags{PR: 7, Key: "e2e/kind"}, getenv("ghs_fork"), nil)
	dir := t.TempDir()
	if _, err := Post(context.Background(), c, r, dir, env); err != nil {
		t.Errorf("a fork is not an error without --strict: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PRFile)); err != nil {
		t.Errorf("fork: no %s for the workflow_run poster: %v", PRFile, err)
	}
}
