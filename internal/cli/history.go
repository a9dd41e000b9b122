package cli

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

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/ghactions"
	gh "github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// historyFlags are the cross-run memory's flags, shared by render and run.
type historyFlags struct {
	store      string
	baseBranch string
	runs       int
	timeout    time.Duration // budget of the base branch's import, all requests together
	keep       int           // runs kept per branch and key
	tree       string
	fetch      bool // run in GitHub Actions: import the base branch's digests first
	// rd redacts what history says of its own troubles (a store path or an API error
	// may carry a token) before it is logged or reported.
	rd *redact.Redactor
}

func addHistoryFlags(cmd *cobra.Command, f *historyFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.store, "store", "", "history store: a SQLite file, or a postgres:// URL; labels failures new, failing, flaky or fixed against the base branch's recorded runs")
	fl.StringVar(&f.baseBranch, "base-branch", "", "branch whose recorded runs the labels compare with (default: the PR's base branch, else the current branch)")
	fl.IntVar(&f.runs, "history-runs", 20, "how many of the base branch's latest recorded runs count (1 to 1000)")
	fl.DurationVar(&f.timeout, "history-timeout", defaultHistoryTimeout, "time budget for fetching the base branch's runs from GitHub (in Actions); past it, what was fetched is used and the History line says so")
	fl.IntVar(&f.keep, "history-keep", history.DefaultKeep, "runs the store keeps per branch and job key; recording one more deletes the oldest")
	fl.StringVar(&f.tree, "tree", "", "git tree of the tested commit (git rev-parse HEAD^{tree}): a test whose outcome differs on the same tree is flaky")
}

// check refuses history flags out of range, naming the flag.
func (f *historyFlags) check() error {
	if f.runs < 1 || f.runs > maxHistoryRuns {
		return usageErrorf("--history-runs must be 1 to %d, not %d", maxHistoryRuns, f.runs)
	}
	if f.keep < 0 || f.keep > 0 && f.keep < f.runs {
		return usageErrorf("--history-keep must be at least --history-runs (%d), not %d", f.runs, f.keep)
	}
	if f.timeout < 0 {
		return usageErrorf("--history-timeout must be a duration such as 60s (0: the default), not %s", f.timeout)
	}
	return nil
}

const (
	maxHistoryRuns        = 1000        // bound of --history-runs
	defaultHistoryTimeout = time.Minute // --history-timeout
)

// historyMeta is what the environment says about this run, for its digest.
func historyMeta(g *globals, key, headSHA, tree string) history.Meta {
	m := history.Meta{Repo: g.getenv("GITHUB_REPOSITORY"), Key: key, SHA: headSHA, Branch: g.getenv("GITHUB_HEAD_REF"),
		Run: runKey(g), Tree: tree, Time: time.Now()}
	if m.Repo == "" {
		m.Repo = "local"
	}
	if m.SHA == "" {
		m.SHA = g.getenv("GITHUB_SHA")
	}
	if m.Branch == "" {
		m.Branch = g.getenv("GITHUB_REF_NAME")
	}
	return m
}

// runKey is this run's key in the store: its ID and attempt (GITHUB_RUN_ATTEMPT).
func runKey(g *globals) string {
	id := g.getenv("GITHUB_RUN_ID")
	if id == "" {
		return ""
	}
	attempt, _ := strconv.Atoi(g.getenv("GITHUB_RUN_ATTEMPT"))
	return history.RunKey(id, attempt)
}

func (f *historyFlags) base(g *globals) string {
	for _, b := range []string{f.baseBranch, g.getenv("GITHUB_BASE_REF"), g.getenv("GITHUB_REF_NAME")} {
		if b != "" {
			return b
		}
	}
	return "main"
}

// applyHistory labels r against the base branch's runs in the store (if any); digest
// is this run's, recorded when it is a run of the base branch itself (its commit known,
// not a pull request). A store that cannot be read is a note in the report, never a
// lost one.
func applyHistory(ctx context.Context, g *globals, r *model.Report, f historyFlags, digest history.Digest) {
	if f.store == "" {
		return
	}
	base := f.base(g)
	rd := redact.OrDefault(f.rd)
	clean := func(err error) string {
		s, _ := rd.String(err.Error())
		return s
	}
	note := func(msg string, err error) {
		g.log.Warn(msg, "err", clean(err))
		r.History = &model.History{Base: model.HistoryBase{Branch: base}, Fixed: []string{}, Note: msg + ": " + clean(err)}
	}
	st, err := history.Open(ctx, f.store)
	if err != nil {
		note("history store unavailable", err)
		return
	}
	defer st.Close()
	st.Keep = f.keep
	scope := history.Scope{Repo: digest.Repo, Key: digest.Key}
	var fetchErr error
	var fetched importResult
	if f.fetch {
		budget := f.timeout
		if budget <= 0 {
			budget = defaultHistoryTimeout // a zero historyFlags (tests, callers in code)
		}
		ictx, cancel := context.WithTimeout(ctx, budget)
		fetched, fetchErr = importBase(ictx, g, st, scope, base, f.runs)
		if fetchErr == nil && ictx.Err() != nil {
			fetchErr = fmt.Errorf("the %s time budget (--history-timeout) ran out", budget)
		}
		cancel()
		if fetchErr != nil {
			g.log.Warn("base branch history not fetched; labels use what the store has", "err", clean(fetchErr))
		}
	}
	start := time.Now()
	w, err := st.Window(ctx, scope, base, f.runs, f.tree)
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
	g.log.Info("history labels", "base", base, "runs", len(w.Runs), "took", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil || digest.SHA == "" || digest.Branch != base || g.getenv("GITHUB_HEAD_REF") != "" {
		return
	}
	if ok, err := st.Record(ctx, digest); err != nil {
		g.log.Warn("this run was not recorded in the history store", "err", clean(err))
	} else if ok {
		g.log.Info("run recorded in the history store", "branch", digest.Branch, "sha", digest.SHA)
	}
}

// writeDigest writes this run's digest beside the reports, when its commit is known, and
// in GitHub Actions names the artifact it goes in.
func writeDigest(g *globals, out string, d history.Digest) {
	if d.SHA == "" || d.Branch == "" {
		return
	}
	if err := history.WriteDigest(filepath.Join(out, history.DigestFile), d); err != nil {
		g.log.Warn("history digest not written", "err", err)
		return
	}
	if ghactions.InActions(g.getenv) {
		g.action().SetOutput("history-artifact", historyArtifact(g, d.Key))
	}
}

// historyPrefix is the name prefix of one job's digest artifacts: the key is hashed, as
// artifact names refuse some of its characters.
func historyPrefix(key string) string {
	h := sha256.Sum256([]byte(key))
	return "ci-report-history-" + hex.EncodeToString(h[:6]) + "-"
}

// historyArtifact is this run's digest artifact name: unique per job, leg and attempt
// (upload-artifact v4 refuses a duplicate name in a run).
func historyArtifact(g *globals, key string) string {
	id := g.getenv("CI_REPORT_CHECK_RUN_ID")
	if id == "" {
		id = "leg" + g.getenv("CI_REPORT_JOB_INDEX")
	}
	attempt := g.getenv("GITHUB_RUN_ATTEMPT")
	if attempt == "" {
		attempt = "1"
	}
	return historyPrefix(key) + id + "-" + attempt
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
func importBase(ctx context.Context, g *globals, st *history.Store, scope history.Scope, base string, runs int) (importResult, error) {
	res := importResult{skipped: map[string]int{}}
	owner, repo, ok := strings.Cut(scope.Repo, "/")
	wf := workflowFile(g.getenv("GITHUB_WORKFLOW_REF"))
	if !ok || wf == "" {
		return res, errors.New("GITHUB_REPOSITORY or GITHUB_WORKFLOW_REF is not set")
	}
	c, err := gh.New(g.getenv("GITHUB_API_URL"), g.getenv("GITHUB_TOKEN"), g.log)
	if err != nil {
		return res, err
	}
	known, err := st.Recorded(ctx, scope)
	if err != nil {
		return res, err
	}
	defer limitImportMemory(g)()
	start := time.Now()
	// Recorded as each arrives, under a context of its own: the fetch's budget may run
	// out, and what was fetched is worth keeping.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	stats, fetchErr := c.BaseDigests(ctx, gh.DigestQuery{Owner: owner, Repo: repo, Workflow: wf, Branch: base, Prefix: historyPrefix(scope.Key),
		File: history.DigestFile, Runs: runs, MaxBytes: history.MaxDigest, Known: func(id string, attempt int) bool { return known[history.RunKey(id, attempt)] }},
		func(fd gh.FetchedDigest) error {
			d, err := history.DecodeDigestBytes(fd.Body)
			if err != nil {
				g.log.Warn("a base run's digest is unreadable; skipped", "run", fd.RunID, "err", err)
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
		g.log.Warn("a base run was skipped", "why", why)
	}
	g.log.Info("base branch history fetched", "branch", base, "runs", stats.Runs, "known", stats.Known, "recorded", res.recorded,
		"expired", stats.Expired, "without digest", stats.Missing, "skipped", stats.Skipped, "ignored (forks, PRs)", stats.Foreign, "took", time.Since(start).Round(time.Millisecond))
	return res, fetchErr
}

// importHeadroom is how much the import may add to the heap before the Go runtime
// collects harder: its live data is a few digests in flight (up to 16 MiB each), while
// the default GOGC lets garbage from decoded digests grow to twice the live heap.
const importHeadroom = 160 << 20

// limitImportMemory sets a soft memory limit of the heap in use now plus importHeadroom,
// unless the user set GOMEMLIMIT, and returns a function that restores the previous one.
func limitImportMemory(g *globals) (restore func()) {
	if g.getenv("GOMEMLIMIT") != "" {
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

func newHistoryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Cross-run memory: record runs in a history store; render and run label failures against it",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newHistoryRecordCmd(g), newHistoryKeyCmd(g))
	return cmd
}

func newHistoryRecordCmd(g *globals) *cobra.Command {
	var store, sha, branch, tree, run, repo, key string
	cmd := &cobra.Command{
		Use:   "record BUNDLE",
		Short: "Record a rendered bundle's tests and findings in the history store",
		Long: `record stores a rendered bundle's test outcomes (status, duration, attempts) and its findings'
fingerprints as one run of BRANCH at SHA. Recording the same run twice is a no-op.
render and run with --store then label failures against the base branch's recorded runs.`,
		Example: `  ci-report history record ci-report --store history.db --sha "$(git rev-parse HEAD)" --branch main --tree "$(git rev-parse HEAD^{tree})"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if store == "" || sha == "" || branch == "" {
				return usageErrorf("history record needs --store, --sha and --branch")
			}
			r, err := reportjson.Read(args[0])
			if err != nil {
				return err
			}
			if key == "" {
				key = keyOf(g)
			}
			if repo == "" {
				repo = historyMeta(g, key, "", "").Repo
			}
			st, err := history.Open(cmd.Context(), store)
			if err != nil {
				return err
			}
			defer st.Close()
			d := history.FromReport(r, history.Meta{Repo: repo, Key: key, Branch: branch, SHA: sha, Tree: tree, Run: run, Time: time.Now()})
			ok, err := st.Record(cmd.Context(), d)
			if err != nil {
				return err
			}
			what := "recorded"
			if !ok {
				what = "already recorded"
			}
			_, err = fmt.Fprintf(g.stdout, "%s: %s@%s, %d tests, %d findings\n", what, branch, sha, len(d.Tests), len(d.Findings))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&store, "store", "", "history store: a SQLite file or a postgres:// URL")
	fl.StringVar(&sha, "sha", "", "the commit the run tested")
	fl.StringVar(&branch, "branch", "", "the branch the run tested")
	fl.StringVar(&tree, "tree", "", "the commit's git tree (git rev-parse SHA^{tree})")
	fl.StringVar(&run, "run", "", "the CI run's ID (default: none; with one, a run is recorded once)")
	fl.StringVar(&repo, "repo", "", "owner/name the history belongs to (default: $GITHUB_REPOSITORY, else local)")
	fl.StringVar(&key, "comment-key", "", "the job's key, the comment's (default: workflow/job/matrix values)")
	aliasFlags(fl, map[string]string{"key": "comment-key"})
	return cmd
}

func newHistoryKeyCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "artifact-prefix",
		Short: "Print the name prefix of this job's history digest artifacts (the action's cache key uses it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if key == "" {
				key = keyOf(g)
			}
			_, err := fmt.Fprintln(g.stdout, historyPrefix(ghactions.SanitizeKey(key)))
			return err
		},
	}
	cmd.Flags().StringVar(&key, "comment-key", "", "the job's key, the comment's (default: workflow/job/matrix values)")
	aliasFlags(cmd.Flags(), map[string]string{"key": "comment-key"})
	return cmd
}

// keyOf is the job's key as the comment's marker has it.
func keyOf(g *globals) string { return ghactions.SanitizeKey(ghactions.Key(g.getenv)) }
