package github

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"
)

// DigestQuery names the base branch's runs whose history digests to fetch.
type DigestQuery struct {
	Owner, Repo string
	Workflow    string // the workflow's file name (ci.yml) or ID
	Branch      string
	Prefix      string // the digest artifact's name prefix (one job's digests)
	File        string // the digest's file name inside the artifact
	Runs        int    // how many of the newest eligible runs
	MaxBytes    int64  // bound on the artifact's zip and on the file
	// Known says whether a run's attempt (by run ID and attempt) is already recorded: it is
	// not downloaded again. A re-run's later attempt is a new one.
	Known func(runID string, attempt int) bool
}

// FetchedDigest is one run's digest file, with what the API (not the file) says of it.
type FetchedDigest struct {
	RunID   string
	Attempt int // the run's latest attempt, whose digest this is
	HeadSHA string
	Tree    string // the head commit's tree as the API reports it ("" when it does not)
	Created time.Time
	Body    []byte
}

// DigestStats says what a fetch saw.
type DigestStats struct {
	Runs, Known, Fetched, Expired, Missing, Foreign int
	// Skipped counts the runs whose digest could not be had, by reason ("artifact
	// unavailable", "rate limited", "time budget spent", …); Why says of each which run
	// and what happened (never a storage URL).
	Skipped map[string]int
	Why     []string
}

// skip counts a run skipped for reason.
func (st *DigestStats) skip(runID, reason string, err error) {
	if st.Skipped == nil {
		st.Skipped = map[string]int{}
	}
	st.Skipped[reason]++
	st.Why = append(st.Why, fmt.Sprintf("run %s: %s: %v", runID, reason, err))
}

// skipReason is what a failed digest download counts as.
func skipReason(ctx context.Context, err error) string {
	var rl *RateLimitedError
	switch {
	case ctx.Err() != nil:
		return "time budget spent"
	case errors.As(err, &rl):
		return "rate limited"
	case errors.Is(err, errTooLarge):
		return "digest too large"
	case errors.Is(err, errNotZip):
		return "malformed artifact"
	}
	return "artifact unavailable"
}

// ErrNoActionsRead means the token may not read the Actions API (no actions: read).
var ErrNoActionsRead = errors.New("the token cannot read workflow runs and artifacts (the workflow needs permissions: actions: read)")

// BaseDigests fetches the digests of the newest q.Runs completed runs of the workflow on
// the base branch and hands each to each as it arrives (one at a time: each need not be
// safe for concurrent use), so no more than a few digests are held at once. Only runs of
// the repository itself on that branch count: a fork's run (or a pull request's) never
// does, whatever it uploaded. Runs already known, and runs whose digest expired or was
// never uploaded, are skipped and counted; so is a run whose digest could not be had (an
// artifact the storage cannot serve, a download past its deadline): one run's trouble
// never costs the others. An error from each stops the fetch and is returned.
func (c *Client) BaseDigests(ctx context.Context, q DigestQuery, each func(FetchedDigest) error) (DigestStats, error) {
	var st DigestStats
	runs, err := c.baseRuns(ctx, q, &st)
	if err != nil {
		return st, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchers)
	for _, run := range runs {
		id := strconv.FormatInt(run.GetID(), 10)
		if q.Known != nil && q.Known(id, max(run.GetRunAttempt(), 1)) {
			st.Known++
			continue
		}
		g.Go(func() error {
			actx, cancel := context.WithTimeout(gctx, c.ArtifactTimeout)
			body, err := c.runDigest(actx, q, run.GetID())
			cancel()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errExpired):
				st.Expired++
			case errors.Is(err, errNoDigest):
				st.Missing++
			case err != nil:
				// One run's trouble is that run's: counted, and the others go on.
				st.skip(id, skipReason(ctx, err), err)
			default:
				st.Fetched++
				return each(FetchedDigest{RunID: id, Attempt: max(run.GetRunAttempt(), 1), HeadSHA: run.GetHeadSHA(),
					Tree: run.GetHeadCommit().GetTreeID(), Created: run.GetCreatedAt().Time, Body: body})
			}
			return nil
		})
	}
	return st, g.Wait()
}

// fetchers is how many digests download at once (and so at most are held in memory).
const fetchers = 4

// baseRuns lists the workflow's completed runs on the branch, newest first, keeping the
// repository's own push-like runs.
func (c *Client) baseRuns(ctx context.Context, q DigestQuery, st *DigestStats) ([]*gh.WorkflowRun, error) {
	self := q.Owner + "/" + q.Repo
	opts := &gh.ListWorkflowRunsOptions{Branch: q.Branch, Status: "completed", ListOptions: gh.ListOptions{PerPage: min(100, max(q.Runs*2, 10))}}
	var runs []*gh.WorkflowRun
	for len(runs) < q.Runs {
		var page *gh.WorkflowRuns
		var resp *gh.Response
		err := c.retry(ctx, "list workflow runs", func() (*gh.Response, error) {
			var e error
			if id, err := strconv.ParseInt(q.Workflow, 10, 64); err == nil {
				page, resp, e = c.gh.Actions.ListWorkflowRunsByID(ctx, q.Owner, q.Repo, id, opts)
			} else {
				page, resp, e = c.gh.Actions.ListWorkflowRunsByFileName(ctx, q.Owner, q.Repo, q.Workflow, opts)
			}
			return resp, e
		})
		var rl *RateLimitedError
		switch {
		case errors.As(err, &rl):
			return nil, fmt.Errorf("list runs of %s: %w", q.Workflow, err)
		case errors.Is(err, ErrForbidden) || (resp != nil && resp.Response != nil && resp.StatusCode == http.StatusForbidden):
			return nil, fmt.Errorf("%w (HTTP 403 listing the runs of %s)", ErrNoActionsRead, q.Workflow)
		}
		if err != nil {
			return nil, fmt.Errorf("list runs of %s in %s: %w", q.Workflow, self, err)
		}
		for _, run := range page.WorkflowRuns {
			ev := run.GetEvent()
			if !strings.EqualFold(run.GetHeadRepository().GetFullName(), self) || run.GetHeadBranch() != q.Branch ||
				strings.HasPrefix(ev, "pull_request") {
				st.Foreign++
				continue
			}
			if len(runs) < q.Runs {
				runs = append(runs, run)
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	st.Runs = len(runs)
	return runs, nil
}

var (
	errExpired  = errors.New("digest artifact expired")
	errNoDigest = errors.New("run has no digest artifact")
	errTooLarge = errors.New("larger than the digest bound")
	errNotZip   = errors.New("artifact is not a zip")
)

// runDigest downloads the run's newest digest artifact and returns the digest file.
func (c *Client) runDigest(ctx context.Context, q DigestQuery, runID int64) ([]byte, error) {
	var best *gh.Artifact
	opts := &gh.ListOptions{PerPage: 100}
	for {
		var page *gh.ArtifactList
		var resp *gh.Response
		if err := c.retry(ctx, "list artifacts", func() (*gh.Response, error) {
			var e error
			page, resp, e = c.gh.Actions.ListWorkflowRunArtifacts(ctx, q.Owner, q.Repo, runID, opts)
			return resp, e
		}); err != nil {
			return nil, err
		}
		for _, a := range page.Artifacts {
			if strings.HasPrefix(a.GetName(), q.Prefix) && (best == nil || a.GetCreatedAt().After(best.GetCreatedAt().Time)) {
				best = a
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if best == nil {
		return nil, errNoDigest
	}
	if best.GetExpired() {
		return nil, errExpired
	}
	var u string
	code := 0
	err := c.retry(ctx, "download artifact", func() (*gh.Response, error) {
		loc, resp, e := c.gh.Actions.DownloadArtifact(ctx, q.Owner, q.Repo, best.GetID(), 3)
		if loc != nil {
			u = loc.String()
		}
		if resp != nil && resp.Response != nil {
			code = resp.StatusCode
		}
		return resp, e
	})
	if code == http.StatusGone || code == http.StatusNotFound {
		return nil, errExpired // expired between the listing and the download
	}
	if err != nil {
		return nil, err
	}
	return c.unzip(ctx, u, q)
}

// unzip fetches an artifact's archive from the signed storage URL (without the token:
// it is another origin) and returns its digest file, bounded.
func (c *Client) unzip(ctx context.Context, u string, q DigestQuery) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.storage.Do(req)
	if err != nil {
		return nil, fmt.Errorf("artifact storage: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("artifact storage: HTTP %d", resp.StatusCode)
	}
	zipped, err := io.ReadAll(io.LimitReader(resp.Body, q.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("artifact storage: %w", withoutURL(err))
	}
	if int64(len(zipped)) > q.MaxBytes {
		return nil, fmt.Errorf("artifact %w (%d bytes)", errTooLarge, q.MaxBytes)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotZip, err)
	}
	for _, f := range zr.File {
		if path.Base(f.Name) != q.File || !f.Mode().IsRegular() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, q.MaxBytes+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > q.MaxBytes {
			return nil, fmt.Errorf("%s %w (%d bytes)", q.File, errTooLarge, q.MaxBytes)
		}
		return b, nil
	}
	return nil, errNoDigest
}

// withoutURL drops the URL from a transport error: a signed storage URL is a credential
// and never reaches a message.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if errors.Is(ue.Err, context.DeadlineExceeded) || ue.Timeout() {
			return fmt.Errorf("%s: timed out", ue.Op)
		}
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
