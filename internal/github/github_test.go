package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
)

const marker = "<!-- ci-report:e2e/test -->"

func client(t *testing.T, s *githubtest.Server, token string) *Client {
	t.Helper()
	c, err := New(s.URL, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func target() Target { return Target{Owner: "o", Repo: "r", PR: 7, Marker: marker} }

func ours(s *githubtest.Server, login string) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range s.Comments(7) {
		if strings.Contains(c.Body, marker) && c.User.Login == login {
			out = append(out, c)
		}
	}
	return out
}

func TestUpsertOneCommentPerKeyAcrossPages(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	for i := 0; i < 130; i++ {
		s.AddComment(7, "reviewer", fmt.Sprintf("comment %d", i))
	}
	foreign := s.AddComment(7, "mallory", marker+"\nI carry your marker")
	for i := 0; i < 20; i++ {
		s.AddComment(7, "reviewer", fmt.Sprintf("late comment %d", i))
	}
	c := client(t, s, "ghs_installation")
	ctx := context.Background()
	for run := 1; run <= 3; run++ {
		body := fmt.Sprintf("%s\nrun %d", marker, run)
		res, err := c.Upsert(ctx, target(), ModeUpsert, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{1: "created", 2: "updated", 3: "updated"}[run]
		if res.Action != want {
			t.Errorf("run %d: %s, want %s", run, res.Action, want)
		}
	}
	mine := ours(s, "github-actions[bot]")
	if len(mine) != 1 || !strings.HasSuffix(mine[0].Body, "run 3") {
		t.Fatalf("our comments after three runs: %+v", mine)
	}
	for _, cm := range s.Comments(7) {
		if cm.ID == foreign.ID && cm.Body != foreign.Body {
			t.Errorf("the foreign comment carrying our marker was edited: %q", cm.Body)
		}
	}
	// The listing followed the Link header past the first page.
	pages := 0
	for _, call := range s.Calls {
		if strings.HasPrefix(call, "GET /repos/o/r/issues/7/comments") {
			pages++
		}
	}
	if pages < 6 {
		t.Errorf("listed %d pages over three runs, want 2 per run", pages)
	}
	// Same body again: nothing written.
	before := len(s.Calls)
	res, err := c.Upsert(ctx, target(), ModeUpsert, marker+"\nrun 3", nil)
	if err != nil || res.Action != "unchanged" {
		t.Errorf("unchanged body: %+v %v", res, err)
	}
	for _, call := range s.Calls[before:] {
		if strings.HasPrefix(call, "PATCH") || strings.HasPrefix(call, "POST /") { // GraphQL's viewer query reads
			t.Errorf("wrote although unchanged: %s", call)
		}
	}
}

func TestUpsertMatchesTheTokensUser(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.Tokens["pat-1"] = "ci-bot"
	s.AddComment(7, "github-actions[bot]", marker+" by the Actions bot")
	c := client(t, s, "pat-1")
	res, err := c.Upsert(context.Background(), target(), ModeUpsert, marker+" by ci-bot", nil)
	if err != nil || res.Action != "created" {
		t.Fatalf("%+v %v", res, err)
	}
	if len(ours(s, "ci-bot")) != 1 || len(ours(s, "github-actions[bot]")) != 1 {
		t.Errorf("comments: %+v", s.Comments(7))
	}
}

func TestTooLongShrinksAndRetries(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.MaxBody = 5000
	c := client(t, s, "ghs_x")
	var budgets []int
	render := func(budget int) (string, error) {
		budgets = append(budgets, budget)
		return marker + "\n" + strings.Repeat("x", budget-len(marker)-1), nil
	}
	body, _ := render(9000)
	res, err := c.Upsert(context.Background(), target(), ModeUpsert, body, render)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "created" || len(budgets) < 3 || len([]rune(s.Comments(7)[0].Body)) > 5000 {
		t.Errorf("res %+v after budgets %v", res, budgets)
	}
}

func TestForkTokenIsForbidden(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.ReadOnly["ghs_fork"] = true
	c := client(t, s, "ghs_fork")
	_, err := c.Upsert(context.Background(), target(), ModeUpsert, marker, nil)
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("err = %v, want ErrForbidden", err)
	}
}

func TestRetriesRateLimitsAndServerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (real waits, a large hostile bundle): make test runs it")
	}
	s := githubtest.New()
	defer s.Close()
	s.SecondaryLimit = 2
	s.RetryAfter = 1
	s.ServerErrors = 0
	c := client(t, s, "ghs_x")
	start := time.Now()
	res, err := c.Upsert(context.Background(), target(), ModeUpsert, marker+" a", nil)
	if err != nil || res.Action != "created" {
		t.Fatalf("%+v %v", res, err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("took %s: Retry-After (1 s, twice) not honoured", took)
	}
	s.ServerErrors = 2
	if res, err := c.Upsert(context.Background(), target(), ModeUpsert, marker+" b", nil); err != nil || res.Action != "updated" {
		t.Fatalf("after 502s: %+v %v", res, err)
	}
	// Give up in time when the limit stays.
	s.SecondaryLimit = 1000
	c.MaxWait = 2 * time.Second
	if _, err := c.Upsert(context.Background(), target(), ModeUpsert, marker+" c", nil); err == nil {
		t.Error("no error while rate limited for ever")
	}
}

func TestRecreateAndHeadSHA(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	c := client(t, s, "ghs_x")
	ctx := context.Background()
	first, _ := c.Upsert(ctx, target(), ModeUpsert, marker+" 1", nil)
	s.AddComment(7, "reviewer", "lgtm")
	res, err := c.Upsert(ctx, target(), ModeRecreate, marker+" 2", nil)
	if err != nil || res.Action != "recreated" || res.ID == first.ID {
		t.Fatalf("%+v %v", res, err)
	}
	all := s.Comments(7)
	if len(all) != 2 || all[1].Body != marker+" 2" {
		t.Errorf("after recreate: %+v", all)
	}
	if res, _ := c.Upsert(ctx, target(), ModeOff, marker, nil); res.Action != "skipped" {
		t.Errorf("off: %+v", res)
	}
	s.SetHead(7, "abc123")
	if sha, err := c.HeadSHA(ctx, "o", "r", 7); err != nil || sha != "abc123" {
		t.Errorf("head = %q, %v", sha, err)
	}
}

// A body that quotes another key's marker (log or test text in the evidence) must not be
// taken for that key's comment: only a marker at the very start counts.
func TestQuotedMarkerDoesNotTakeOverAnotherKey(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	c := client(t, s, "ghs_installation")
	ctx := context.Background()
	nightly := Target{Owner: "o", Repo: "r", PR: 7, Marker: "<!-- ci-report:nightly -->"}
	if _, err := c.Upsert(ctx, nightly, ModeUpsert, nightly.Marker+"\nfailed test output: "+marker+" quoted", nil); err != nil {
		t.Fatal(err)
	}
	res, err := c.Upsert(ctx, target(), ModeUpsert, marker+"\ne2e report", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "created" {
		t.Errorf("e2e: %s, want created (the nightly comment only quotes its marker)", res.Action)
	}
	for _, cm := range s.Comments(7) {
		if strings.HasPrefix(cm.Body, nightly.Marker) && !strings.Contains(cm.Body, "failed test output") {
			t.Errorf("the nightly comment was overwritten: %q", cm.Body)
		}
	}
	if n := len(s.Comments(7)); n != 2 {
		t.Errorf("%d comments, want 2", n)
	}
}

// A GitHub App's installation token cannot read /user: its own earlier comment must
// still be found (and a human's copy of the marker left alone).
func TestAppInstallationTokenFindsItsComment(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.Apps["ghs_app"] = "turbo-ci"
	s.AddComment(7, "mallory", marker+"\nnot yours")
	c := client(t, s, "ghs_app")
	ctx := context.Background()
	for run := 1; run <= 3; run++ {
		if _, err := c.Upsert(ctx, target(), ModeUpsert, fmt.Sprintf("%s\nrun %d", marker, run), nil); err != nil {
			t.Fatal(err)
		}
	}
	mine := ours(s, "turbo-ci[bot]")
	if len(mine) != 1 || !strings.HasSuffix(mine[0].Body, "run 3") {
		t.Fatalf("app comments: %+v, want exactly one, up to date", mine)
	}
	if got := ours(s, "mallory"); len(got) != 1 || got[0].Body != marker+"\nnot yours" {
		t.Errorf("mallory's comment changed: %+v", got)
	}
}

// GitHub sometimes stores a comment and answers 502: the retry must not post it again,
// and a duplicate left by an earlier run is cleaned up (the newest kept).
func TestServerErrorAfterStoreLeavesOneComment(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.FailAfterStore = 1
	c := client(t, s, "ghs_installation")
	c.sleep = func(context.Context, time.Duration) error { return nil }
	ctx := context.Background()
	if _, err := c.Upsert(ctx, target(), ModeUpsert, marker+"\nrun 1", nil); err != nil {
		t.Fatal(err)
	}
	if mine := ours(s, "github-actions[bot]"); len(mine) != 1 {
		t.Fatalf("%d comments after a 502 on a stored create, want 1", len(mine))
	}
	// An earlier run's duplicate (as main left them): the next run keeps one.
	s.AddComment(7, "github-actions[bot]", marker+"\nduplicate")
	if _, err := c.Upsert(ctx, target(), ModeUpsert, marker+"\nrun 2", nil); err != nil {
		t.Fatal(err)
	}
	mine := ours(s, "github-actions[bot]")
	if len(mine) != 1 || mine[0].Body != marker+"\nrun 2" {
		t.Fatalf("comments: %+v, want exactly one, up to date", mine)
	}
}

// Everything at once: a secondary rate limit, a 502 after a stored write, 150+ earlier
// comments, a human's copy of the marker; with a personal token, an Actions token and an
// App token, one comment per key and identity, ours, up to date.
func TestUpsertUnderEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (real waits, a large hostile bundle): make test runs it")
	}
	for _, tok := range []struct{ token, login string }{{"pat", "ci-user"}, {"ghs_actions", "github-actions[bot]"}, {"ghs_app", "turbo-ci[bot]"}} {
		t.Run(tok.login, func(t *testing.T) {
			s := githubtest.New()
			defer s.Close()
			s.Tokens["pat"] = "ci-user"
			s.Apps["ghs_app"] = "turbo-ci"
			for i := 0; i < 155; i++ {
				s.AddComment(7, "reviewer", fmt.Sprintf("comment %d", i))
			}
			s.AddComment(7, "mallory", marker+"\nmine now")
			c := client(t, s, tok.token) // real waits: go-github itself holds back until Retry-After
			ctx := context.Background()
			for run := 1; run <= 2; run++ {
				s.SecondaryLimit, s.FailAfterStore = 2-run, 1
				if _, err := c.Upsert(ctx, target(), ModeUpsert, fmt.Sprintf("%s\nrun %d", marker, run), nil); err != nil {
					t.Fatal(err)
				}
			}
			mine := ours(s, tok.login)
			if len(mine) != 1 || !strings.HasSuffix(mine[0].Body, "run 2") {
				t.Fatalf("%d comments by %s: %+v", len(mine), tok.login, mine)
			}
			if got := ours(s, "mallory"); len(got) != 1 || !strings.HasSuffix(got[0].Body, "mine now") {
				t.Errorf("mallory's comment changed")
			}
		})
	}
}

// TestHostileOtherBotsComments: with an installation token (which cannot read /user),
// only our own bot's comments with the marker are ours: github-actions[bot] for
// GITHUB_TOKEN, the app's bot given as Author for an App token. Another bot's comment
// that starts with the marker (dependabot's, another app's) is never edited or deleted.
func TestHostileOtherBotsComments(t *testing.T) {
	for _, c := range []struct {
		name, token, author, us string
	}{
		{"GITHUB_TOKEN", "ghs_actions", "", "github-actions[bot]"},
		{"App token with its author", "ghs_app", "turbo-ci[bot]", "turbo-ci[bot]"},
		{"App token learning its author", "ghs_app", "", "turbo-ci[bot]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := githubtest.New()
			defer s.Close()
			s.Apps["ghs_app"] = "turbo-ci"
			s.AddComment(7, "dependabot[bot]", marker+"\nBumps left-pad from 1.0 to 1.1")
			s.AddComment(7, "renovate[bot]", marker+"\nrenovate's")
			if c.us != "github-actions[bot]" {
				s.AddComment(7, "github-actions[bot]", marker+"\nanother workflow's")
			}
			cl := client(t, s, c.token)
			cl.Author = c.author
			for run := 1; run <= 2; run++ {
				if _, err := cl.Upsert(context.Background(), target(), ModeUpsert, fmt.Sprintf("%s\nrun %d", marker, run), nil); err != nil {
					t.Fatal(err)
				}
			}
			if got := ours(s, "dependabot[bot]"); len(got) != 1 || !strings.Contains(got[0].Body, "left-pad") {
				t.Errorf("dependabot's comment was touched: %+v", got)
			}
			if got := ours(s, "renovate[bot]"); len(got) != 1 || !strings.Contains(got[0].Body, "renovate's") {
				t.Errorf("renovate's comment was touched: %+v", got)
			}
			if c.us != "github-actions[bot]" {
				if got := ours(s, "github-actions[bot]"); len(got) != 1 || !strings.Contains(got[0].Body, "another workflow's") {
					t.Errorf("github-actions[bot]'s comment was touched: %+v", got)
				}
			}
			if got := ours(s, c.us); len(got) != 1 || !strings.HasSuffix(got[0].Body, "run 2") {
				t.Errorf("our comments: %+v, want one, up to date", got)
			}
		})
	}
}

// Each run is its own process, with its own client: with a GitHub App's installation
// token (which cannot read /user), the second run must still find the first run's
// comment, through GraphQL's viewer, and leave one comment.
func TestAppTokenAcrossRunsLeavesOneComment(t *testing.T) {
	s := githubtest.New()
	defer s.Close()
	s.Apps["ghs_app"] = "turbo-ci"
	s.AddComment(7, "other-app[bot]", marker+"\nanother bot's, with our marker")
	for run := 1; run <= 2; run++ {
		if _, err := client(t, s, "ghs_app").Upsert(context.Background(), target(), ModeUpsert, fmt.Sprintf("%s\nrun %d", marker, run), nil); err != nil {
			t.Fatal(err)
		}
	}
	if mine := ours(s, "turbo-ci[bot]"); len(mine) != 1 || !strings.HasSuffix(mine[0].Body, "run 2") {
		t.Fatalf("app comments after two runs: %+v, want exactly one, up to date", mine)
	}
	if other := ours(s, "other-app[bot]"); len(other) != 1 {
		t.Errorf("another bot's comment was touched: %+v", other)
	}
}
