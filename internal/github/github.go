// Package github posts ci-report's PR comment with go-github: one comment per key,
// found by a hidden marker and by author, created or updated in place; retries with
// backoff on 5xx and secondary rate limits (honouring Retry-After), shrinks and retries
// a body GitHub refuses as too long, and recognises the read-only token of a fork PR.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// ErrForbidden means the token may not comment: a pull request from a fork, whose
// GITHUB_TOKEN is read-only ("Resource not accessible by integration").
var ErrForbidden = errors.New("the token may not write comments (a pull request from a fork gets a read-only GITHUB_TOKEN)")

// ErrTooLong means GitHub refused the body even after shrinking it.
var ErrTooLong = errors.New("GitHub refused the comment body as too long")

// Client is what this package needs of GitHub.
type Client struct {
	gh *gh.Client
	// storage downloads from the signed URLs GitHub redirects artifact downloads to:
	// another origin, so it never carries the token (the URL's signature is the credential).
	storage *http.Client
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error
	// MaxWait bounds the total time spent waiting for retries.
	MaxWait time.Duration
	// ArtifactTimeout bounds one base run's digest: listing its artifacts, the download
	// redirect and the storage download together.
	ArtifactTimeout time.Duration
	// Author is the login comments are posted as when the token cannot read /user (an
	// installation token): github-actions[bot] (GITHUB_TOKEN's, New's default), or a
	// GitHub App's own bot (my-app[bot]). "" means unknown: no existing comment is ours,
	// so none is edited or deleted; the login of the comment this client creates is
	// learned and used from then on.
	Author string
}

// ActionsBot is the author of comments posted with GITHUB_TOKEN.
const ActionsBot = "github-actions[bot]"

// New returns a client for apiURL (GITHUB_API_URL; GitHub Enterprise works) with token.
func New(apiURL, token string, log *slog.Logger) (*Client, error) {
	// go-github follows the artifact download's redirect with the transport itself,
	// past the client's Timeout: the transport's own deadlines bound every request.
	c := gh.NewClient(&http.Client{Timeout: 30 * time.Second, Transport: boundedTransport()}).WithAuthToken(token)
	if apiURL != "" && apiURL != "https://api.github.com" && apiURL != "https://api.github.com/" {
		u := strings.TrimSuffix(apiURL, "/") + "/"
		parsed, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("GITHUB_API_URL %q: %w", apiURL, err)
		}
		c.BaseURL = parsed
		c.UploadURL = parsed
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{gh: c, storage: &http.Client{Timeout: time.Minute, Transport: boundedTransport()}, log: log, sleep: sleepCtx,
		MaxWait: 2 * time.Minute, ArtifactTimeout: 30 * time.Second, Author: ActionsBot}, nil
}

// boundedTransport is http.DefaultTransport's, with a deadline for connecting, for the
// TLS handshake and for the answer's headers: a server that accepts a request and
// never answers costs at most that.
func boundedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retry runs op, retrying 5xx answers and rate limits with backoff, honouring Retry-After.
func (c *Client) retry(ctx context.Context, what string, op func() (*gh.Response, error)) error {
	waited := time.Duration(0)
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		resp, err := op()
		if err == nil {
			return nil
		}
		wait, retryable := retryAfter(resp, err, backoff)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			retryable = false // the caller's budget ends first: say why, not "deadline exceeded"
		}
		if !retryable || waited+wait > c.MaxWait {
			return classify(resp, err)
		}
		c.log.Warn("GitHub API: retrying", "call", what, "attempt", attempt, "wait", wait, "err", err)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
		waited += wait
		backoff = min(backoff*2, 30*time.Second)
	}
}

func retryAfter(resp *gh.Response, err error, backoff time.Duration) (time.Duration, bool) {
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil {
			return *abuse.RetryAfter + 100*time.Millisecond, true
		}
		return max(backoff, time.Minute), true
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return time.Until(rl.Rate.Reset.Time) + time.Second, true
	}
	if resp != nil && resp.Response != nil {
		code := resp.StatusCode
		if ra := resp.Header.Get("Retry-After"); ra != "" && (code == http.StatusTooManyRequests || code == http.StatusForbidden) {
			if s, err := strconv.Atoi(ra); err == nil {
				return time.Duration(s)*time.Second + 100*time.Millisecond, true
			}
		}
		if code >= 500 || code == http.StatusTooManyRequests {
			return backoff, true
		}
	}
	return 0, false
}

// RateLimitedError is GitHub's rate limit (primary, with its reset, or secondary).
type RateLimitedError struct {
	Reset     time.Time // zero: not said (a secondary limit)
	Secondary bool
}

func (e *RateLimitedError) Error() string {
	what := "GitHub API rate limit exceeded"
	if e.Secondary {
		what = "GitHub secondary rate limit exceeded"
	}
	if !e.Reset.IsZero() {
		what += "; it resets at " + e.Reset.UTC().Format("15:04:05Z")
	}
	return what
}

func classify(resp *gh.Response, err error) error {
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return &RateLimitedError{Reset: rl.Rate.Reset.Time}
	}
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return &RateLimitedError{Secondary: true}
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch {
		case er.Response.StatusCode == http.StatusForbidden && strings.Contains(er.Message, "Resource not accessible by integration"):
			return fmt.Errorf("%w: %v", ErrForbidden, err)
		case er.Response.StatusCode == http.StatusUnprocessableEntity && bodyTooLong(er):
			return fmt.Errorf("%w: %v", ErrTooLong, err)
		}
	}
	return err
}

func bodyTooLong(er *gh.ErrorResponse) bool {
	if strings.Contains(strings.ToLower(er.Message), "too long") {
		return true
	}
	for _, e := range er.Errors {
		if strings.Contains(strings.ToLower(e.Message), "too long") {
			return true
		}
	}
	return false
}

// Mode of the upsert.
type Mode string

const (
	ModeUpsert   Mode = "upsert"   // update our comment in place, or create it
	ModeRecreate Mode = "recreate" // delete our comment and post a new one (it moves to the bottom)
	ModeOff      Mode = "off"
)

// Result says what Upsert did.
type Result struct {
	Action string // created, updated, recreated, unchanged, skipped
	URL    string
	ID     int64
}

// Target is where the comment goes.
type Target struct {
	Owner, Repo string
	PR          int
	Marker      string // hidden marker identifying this job's comment
}

// Upsert posts body (which must start with the marker) to the PR. render(budget) makes
// the body again within a smaller budget when GitHub says it is too long.
//
// Our comments are those whose body starts with the marker and that we wrote: by the
// token's user, or — for an installation token (GITHUB_TOKEN or a GitHub App's), which
// cannot read /user — by a bot. Should there be several (a 5xx after GitHub stored a
// comment, a race between runs), the newest is kept and the others are deleted.
func (c *Client) Upsert(ctx context.Context, t Target, mode Mode, body string, render func(budget int) (string, error)) (Result, error) {
	if mode == ModeOff {
		return Result{Action: "skipped"}, nil
	}
	if !strings.HasPrefix(body, t.Marker) {
		return Result{}, fmt.Errorf("comment body does not start with its marker %q", t.Marker)
	}
	me := c.identity(ctx)
	mine, err := c.find(ctx, t, me)
	if err != nil {
		return Result{}, err
	}
	var existing *gh.IssueComment
	if len(mine) > 0 {
		existing = mine[len(mine)-1]
		if err := c.delete(ctx, t, mine[:len(mine)-1]); err != nil {
			return Result{}, err
		}
	}
	if mode == ModeUpsert && existing != nil && existing.GetBody() == body {
		return Result{Action: "unchanged", URL: existing.GetHTMLURL(), ID: existing.GetID()}, nil
	}
	if mode == ModeRecreate && existing != nil {
		if err := c.delete(ctx, t, []*gh.IssueComment{existing}); err != nil {
			return Result{}, err
		}
		existing = nil
	}
	budget := len(body)
	for {
		var out *gh.IssueComment
		var err error
		if existing != nil {
			id := existing.GetID()
			err = c.retry(ctx, "edit comment", func() (*gh.Response, error) {
				var resp *gh.Response
				var e error
				out, resp, e = c.gh.Issues.EditComment(ctx, t.Owner, t.Repo, id, &gh.IssueComment{Body: gh.String(body)})
				return resp, e
			})
		} else {
			out, err = c.create(ctx, t, me, body, mine)
		}
		if errors.Is(err, ErrTooLong) && render != nil && budget > 4096 {
			budget = budget * 3 / 4
			c.log.Warn("GitHub says the comment is too long; shrinking", "budget", budget)
			if body, err = render(budget); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if login := out.GetUser().GetLogin(); existing == nil && login != "" && !strings.EqualFold(login, me.login) {
			// An App's token posts as its own bot: this client now knows who it is.
			c.log.Warn("the comment was posted as another author than assumed; pass --comment-author (action input comment-author) so later runs find it",
				"author", login, "assumed", me.login)
			c.Author = login
		}
		action := "created"
		switch {
		case existing != nil:
			action = "updated"
		case mode == ModeRecreate && len(mine) > 0:
			action = "recreated"
		}
		return Result{Action: action, URL: out.GetHTMLURL(), ID: out.GetID()}, nil
	}
}

// create posts a new comment. GitHub may store a comment and still answer 5xx: before
// each retry the comments are listed again, and a new comment of ours counts as created.
func (c *Client) create(ctx context.Context, t Target, me identity, body string, known []*gh.IssueComment) (*gh.IssueComment, error) {
	seen := map[int64]bool{}
	for _, k := range known {
		seen[k.GetID()] = true
	}
	var out *gh.IssueComment
	attempt := 0
	err := c.retry(ctx, "create comment", func() (*gh.Response, error) {
		if attempt++; attempt > 1 {
			again, err := c.find(ctx, t, me)
			if err == nil {
				for _, cm := range again {
					if !seen[cm.GetID()] && cm.GetBody() == body {
						c.log.Warn("GitHub stored the comment despite the error; not posting it again", "id", cm.GetID())
						out = cm
						return nil, nil
					}
				}
			}
		}
		var resp *gh.Response
		var e error
		out, resp, e = c.gh.Issues.CreateComment(ctx, t.Owner, t.Repo, t.PR, &gh.IssueComment{Body: gh.String(body)})
		return resp, e
	})
	return out, err
}

// delete removes comments of ours (duplicates, or the one recreate replaces).
func (c *Client) delete(ctx context.Context, t Target, list []*gh.IssueComment) error {
	for _, old := range list {
		id := old.GetID()
		c.log.Info("deleting an older comment with the same key", "id", id)
		if err := c.retry(ctx, "delete comment", func() (*gh.Response, error) {
			return c.gh.Issues.DeleteComment(ctx, t.Owner, t.Repo, id)
		}); err != nil {
			return fmt.Errorf("delete comment %d: %w", id, err)
		}
	}
	return nil
}

// identity is who our comments are written by: the token's user when it can read
// /user; otherwise (an installation token) the configured bot, github-actions[bot] by
// default. Never "any bot": another bot's comment that carries our marker (dependabot's,
// another app's) is not ours.
type identity struct {
	login string
}

func (c *Client) identity(ctx context.Context) identity {
	var u *gh.User
	err := c.retry(ctx, "get user", func() (*gh.Response, error) {
		var resp *gh.Response
		var e error
		u, resp, e = c.gh.Users.Get(ctx, "")
		return resp, e
	})
	if err == nil && u.GetLogin() != "" {
		return identity{login: u.GetLogin()}
	}
	// An installation token (GITHUB_TOKEN's, a GitHub App's) cannot read /user; GraphQL's
	// viewer names its bot (my-app[bot]) all the same.
	if login := c.viewer(ctx); login != "" {
		return identity{login: login}
	}
	return identity{login: c.Author}
}

// viewer is the token's login as GraphQL's viewer says ("" when it cannot be asked).
func (c *Client) viewer(ctx context.Context) string {
	req, err := c.gh.NewRequest(http.MethodPost, c.graphqlURL(), map[string]string{"query": "query { viewer { login } }"})
	if err != nil {
		return ""
	}
	var out struct {
		Data struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
		} `json:"data"`
	}
	if _, err := c.gh.Do(ctx, req, &out); err != nil {
		c.log.Debug("GraphQL viewer unavailable", "err", err)
		return ""
	}
	return out.Data.Viewer.Login
}

// graphqlURL is GitHub.com's /graphql, or GitHub Enterprise's /api/graphql beside its
// REST API's /api/v3/.
func (c *Client) graphqlURL() string {
	u := *c.gh.BaseURL
	if p, ok := strings.CutSuffix(u.Path, "/api/v3/"); ok {
		u.Path = p + "/api/graphql"
		return u.String()
	}
	return u.ResolveReference(&url.URL{Path: "graphql"}).String()
}

// ours reports whether cm was written by us (never, when we do not know who we are).
func (me identity) ours(cm *gh.IssueComment) bool {
	return me.login != "" && strings.EqualFold(cm.GetUser().GetLogin(), me.login)
}

// find lists every page of the PR's comments and returns ours, oldest first: those that
// start with the marker AND are by our identity. A comment by anyone else, or one that
// merely quotes the marker, is never touched.
func (c *Client) find(ctx context.Context, t Target, me identity) ([]*gh.IssueComment, error) {
	var mine []*gh.IssueComment
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		var page []*gh.IssueComment
		var resp *gh.Response
		err := c.retry(ctx, "list comments", func() (*gh.Response, error) {
			var e error
			page, resp, e = c.gh.Issues.ListComments(ctx, t.Owner, t.Repo, t.PR, opts)
			return resp, e
		})
		if err != nil {
			return nil, fmt.Errorf("list comments of %s/%s#%d: %w", t.Owner, t.Repo, t.PR, err)
		}
		for _, cm := range page {
			if strings.HasPrefix(cm.GetBody(), t.Marker) && me.ours(cm) {
				mine = append(mine, cm)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.SliceStable(mine, func(i, j int) bool {
		a, b := mine[i].GetCreatedAt().Time, mine[j].GetCreatedAt().Time
		if !a.Equal(b) {
			return a.Before(b)
		}
		return mine[i].GetID() < mine[j].GetID()
	})
	return mine, nil
}

// HeadSHA returns a pull request's current head commit.
func (c *Client) HeadSHA(ctx context.Context, owner, repo string, pr int) (string, error) {
	var p *gh.PullRequest
	err := c.retry(ctx, "get pull request", func() (*gh.Response, error) {
		var resp *gh.Response
		var e error
		p, resp, e = c.gh.PullRequests.Get(ctx, owner, repo, pr)
		return resp, e
	})
	if err != nil {
		return "", err
	}
	return p.GetHead().GetSHA(), nil
}
