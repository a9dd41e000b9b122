package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/ghactions"
	gh "github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// HistoryOptions are the cross-run memory's settings (render, run and investigate).
type HistoryOptions struct {
	Store      string        // a SQLite file or a postgres:// URL; empty: no history
	BaseBranch string        // empty: the PR's base branch, else the current branch
	Runs       int           // base runs the labels compare with
	Timeout    time.Duration // budget of the base branch's import, all requests together
	Keep       int           // runs kept per branch and key
	Tree       string        // git tree of the tested commit
	Fetch      bool          // import the base branch's digests from GitHub first (in Actions)
	// Redactor scrubs what history says of its own troubles (a store path or an API
	// error may carry a token) before it is logged or reported.
	Redactor *redact.Redactor
}

// DefaultHistoryTimeout is the import's budget when HistoryOptions.Timeout is 0.
const DefaultHistoryTimeout = time.Minute

// HistoryMeta is what the environment says about this run, for its digest.
func (s *Service) HistoryMeta(key, headSHA, tree string) history.Meta {
	m := history.Meta{Repo: s.getenv("GITHUB_REPOSITORY"), Key: key, SHA: headSHA, Branch: s.getenv("GITHUB_HEAD_REF"),
		Run: s.runKey(), Tree: tree, Time: time.Now()}
	if m.Repo == "" {
		m.Repo = "local"
	}
	if m.SHA == "" {
		m.SHA = s.getenv("GITHUB_SHA")
	}
	if m.Branch == "" {
		m.Branch = s.getenv("GITHUB_REF_NAME")
	}
	return m
}

// runKey is this run's key in the store: its ID and attempt (GITHUB_RUN_ATTEMPT).
func (s *Service) runKey() string {
	id := s.getenv("GITHUB_RUN_ID")
	if id == "" {
		return ""
	}
	attempt, _ := strconv.Atoi(s.getenv("GITHUB_RUN_ATTEMPT"))
	return history.RunKey(id, attempt)
}

// Base is the branch whose runs are the base.
func (s *Service) Base(o HistoryOptions) string {
	for _, b := range []string{o.BaseBranch, s.getenv("GITHUB_BASE_REF"), s.getenv("GITHUB_REF_NAME")} {
		if b != "" {
			return b
		}
	}
	return "main"
}

// ApplyHistory labels r against the base branch's runs in the store (if any); digest
// is this run's, recorded when it is a run of the base branch itself (its commit known,
// not a pull request). A store that cannot be read is a note in the report, never a
// lost one.
func (s *Service) ApplyHistory(ctx context.Context, r *model.Report, f HistoryOptions, digest history.Digest) {
	if f.Store == "" {
		return
	}
	base := s.Base(f)
	rd := redact.OrDefault(f.Redactor)
	clean := func(err error) string {
		s, _ := rd.String(err.Error())
		return s
	}
	note := func(msg string, err error) {
		s.log().Warn(msg, "err", clean(err))
		r.History = &model.History{Base: model.HistoryBase{Branch: base}, Fixed: []string{}, Note: msg + ": " + clean(err)}
	}
	st, err := history.Open(ctx, f.Store)
	if err != nil {
		note("history store unavailable", err)
		return
	}
	defer st.Close()
	st.Keep = f.Keep
	scope := history.Scope{Repo: digest.Repo, Key: digest.Key}
	var fetchErr error
	var fetched importResult
	if f.Fetch {
		budget := f.Timeout
		if budget <= 0 {
			budget = DefaultHistoryTimeout
		}
		ictx, cancel := context.WithTimeout(ctx, budget)
		fetched, fetchErr = s.importBase(ictx, st, scope, base, f.Runs)
		if fetchErr == nil && ictx.Err() != nil {
			fetchErr = fmt.Errorf("the %s time budget (--history-timeout) ran out", budget)
		}
		cancel()
		if fetchErr != nil {
			s.log().Warn("base branch history not fetched; labels use what the store has", "err", clean(fetchErr))
		}
	}
	start := time.Now()
	w, err := st.Window(ctx, scope, base, f.Runs, f.Tree)
	if err != nil {
		note("history store unreadable", err)
		return
	}
	history.Label(r, w)
	switch {
	case len(w.Runs) == 0 && fetchErr != nil:
		r.History.Note = "no history of " + base + ": " + clean(fetchErr)
	case fetchErr != nil:
		r.History.Fetch = "refresh failed: " + clean(fetchErr) + "; labels from the runs recorded before"
	case len(fetched.skipped) > 0:
		r.History.Fetch = fetched.summary()
	}
	s.log().Info("history labels", "base", base, "runs", len(w.Runs), "took", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil || digest.SHA == "" || digest.Branch != base || s.getenv("GITHUB_HEAD_REF") != "" {
		return
	}
	if ok, err := st.Record(ctx, digest); err != nil {
		s.log().Warn("this run was not recorded in the history store", "err", clean(err))
	} else if ok {
		s.log().Info("run recorded in the history store", "branch", digest.Branch, "sha", digest.SHA)
	}
}

// writeDigest writes this run's digest beside the reports, when its commit is known, and
// in GitHub Actions names the artifact it goes in.
func (s *Service) writeDigest(out string, d history.Digest) {
	if d.SHA == "" || d.Branch == "" {
		return
	}
	if err := history.WriteDigest(filepath.Join(out, history.DigestFile), d); err != nil {
		s.log().Warn("history digest not written", "err", err)
		return
	}
	if ghactions.InActions(s.getenv) {
		s.Action().SetOutput("history-artifact", s.historyArtifact(d.Key))
	}
}

// HistoryPrefix is the name prefix of one job's digest artifacts: the key is hashed, as
// artifact names refuse some of its characters.
func HistoryPrefix(key string) string {
	h := sha256.Sum256([]byte(key))
	return "ci-report-history-" + hex.EncodeToString(h[:6]) + "-"
}

// historyArtifact is this run's digest artifact name: unique per job, leg and attempt
// (upload-artifact v4 refuses a duplicate name in a run).
func (s *Service) historyArtifact(key string) string {
	id := s.getenv("CI_REPORT_CHECK_RUN_ID")
	if id == "" {
		id = "leg" + s.getenv("CI_REPORT_JOB_INDEX")
	}
	attempt := s.getenv("GITHUB_RUN_ATTEMPT")
	if attempt == "" {
		attempt = "1"
	}
	return HistoryPrefix(key) + id + "-" + attempt
}

// importResult is what an import recorded and what it skipped, by reason.
type importResult struct {
	recorded int
	skipped  map[string]int
}

// summary is the skips as the History line says them: "2 runs skipped: 1 artifact
// unavailable, 1 malformed digest".
func (ir importResult) summary() string {
	n := 0
	var reasons []string
	for why, k := range ir.skipped {
		n += k
		reasons = append(reasons, fmt.Sprintf("%d %s", k, why))
	}
	sort.Strings(reasons)
	return fmt.Sprintf("%d %s skipped: %s", n, map[bool]string{true: "run", false: "runs"}[n == 1], strings.Join(reasons, ", "))
}

// importBase records the digests of the base branch's latest runs of this workflow that
// the store does not have yet. Each run is recorded or skipped on its own (an artifact
// unavailable, a malformed digest): what was fetched is recorded even when the listing
// fails or the budget in ctx runs out.
func (s *Service) importBase(ctx context.Context, st *history.Store, scope history.Scope, base string, runs int) (importResult, error) {
	res := importResult{skipped: map[string]int{}}
	owner, repo, ok := strings.Cut(scope.Repo, "/")
	wf := workflowFile(s.getenv("GITHUB_WORKFLOW_REF"))
	if !ok || wf == "" {
		return res, errors.New("GITHUB_REPOSITORY or GITHUB_WORKFLOW_REF is not set")
	}
	c, err := s.github(s.getenv("GITHUB_API_URL"), s.getenv("GITHUB_TOKEN"))
	if err != nil {
		return res, err
	}
	known, err := st.Recorded(ctx, scope)
	if err != nil {
		return res, err
	}
	defer s.limitImportMemory()()
	start := time.Now()
	// Recorded as each arrives, under a context of its own: the fetch's budget may run
	// out, and what was fetched is worth keeping.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	stats, fetchErr := c.BaseDigests(ctx, gh.DigestQuery{Owner: owner, Repo: repo, Workflow: wf, Branch: base, Prefix: HistoryPrefix(scope.Key),
		File: history.DigestFile, Runs: runs, MaxBytes: history.MaxDigest, Known: func(id string, attempt int) bool { return known[history.RunKey(id, attempt)] }},
		func(fd gh.FetchedDigest) error {
			d, err := history.DecodeDigestBytes(fd.Body)
			if err != nil {
				s.log().Warn("a base run's digest is unreadable; skipped", "run", fd.RunID, "err", err)
				res.skipped["malformed digest"]++
				return nil
			}
			// What the API says of the run wins over what its file says, its tree
			// included: a tree only the file claims never makes a failure "flaky".
			d.Repo, d.Key, d.Branch, d.SHA, d.Tree, d.Run, d.Time = scope.Repo, scope.Key, base, fd.HeadSHA, fd.Tree, history.RunKey(fd.RunID, fd.Attempt), fd.Created
			ok, err := st.Record(rctx, d)
			if ok {
				res.recorded++
			}
			return err
		})
	for why, n := range stats.Skipped {
		res.skipped[why] += n
	}
	for _, why := range stats.Why {
		s.log().Warn("a base run was skipped", "why", why)
	}
	s.log().Info("base branch history fetched", "branch", base, "runs", stats.Runs, "known", stats.Known, "recorded", res.recorded,
		"expired", stats.Expired, "without digest", stats.Missing, "skipped", stats.Skipped, "ignored (forks, PRs)", stats.Foreign, "took", time.Since(start).Round(time.Millisecond))
	return res, fetchErr
}

// importHeadroom is how much the import may add to the heap before the Go runtime
// collects harder: its live data is a few digests in flight (up to 16 MiB each), while
// the default GOGC lets garbage from decoded digests grow to twice the live heap.
const importHeadroom = 160 << 20

// limitImportMemory sets a soft memory limit of the heap in use now plus importHeadroom,
// unless the user set GOMEMLIMIT, and returns a function that restores the previous one.
func (s *Service) limitImportMemory() (restore func()) {
	if s.getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	prev := debug.SetMemoryLimit(int64(ms.HeapInuse) + importHeadroom)
	return func() { debug.SetMemoryLimit(prev) }
}

// workflowFile is the workflow's file name from GITHUB_WORKFLOW_REF
// (owner/repo/.github/workflows/e2e.yml@refs/heads/main).
func workflowFile(ref string) string {
	p, _, _ := strings.Cut(ref, "@")
	if !strings.Contains(p, "/.github/workflows/") {
		return ""
	}
	return filepath.Base(p)
}
