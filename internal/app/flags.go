package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/watch"
)

// The workflows' command-line flags live beside the options they make (as kubectl's
// ConfigFlags make a REST config, and collect.Flags collect's options): a front end
// adds them to its flag set and asks them for options, validated here.

// HistoryFlags are the cross-run memory's flags (render, run, investigate, mcp).
type HistoryFlags struct {
	Store      string
	BaseBranch string
	Runs       int
	Timeout    time.Duration // budget of the base branch's import, all requests together
	Keep       int           // runs kept per branch and key
	Tree       string
	Fetch      bool // run in GitHub Actions: import the base branch's digests first
}

// MaxHistoryRuns bounds --history-runs.
const MaxHistoryRuns = 1000

// AddFlags adds the flags to fl.
func (f *HistoryFlags) AddFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.Store, "store", "", "history store: a SQLite file, or a postgres:// URL; labels failures new, failing, flaky or fixed against the base branch's recorded runs")
	fl.StringVar(&f.BaseBranch, "base-branch", "", "branch whose recorded runs the labels compare with (default: the PR's base branch, else the current branch)")
	fl.IntVar(&f.Runs, "history-runs", 20, "how many of the base branch's latest recorded runs count (1 to 1000)")
	fl.DurationVar(&f.Timeout, "history-timeout", DefaultHistoryTimeout, "time budget for fetching the base branch's runs from GitHub (in Actions); past it, what was fetched is used and the History line says so")
	fl.IntVar(&f.Keep, "history-keep", history.DefaultKeep, "runs the store keeps per branch and job key; recording one more deletes the oldest")
	fl.StringVar(&f.Tree, "tree", "", "git tree of the tested commit (git rev-parse HEAD^{tree}): a test whose outcome differs on the same tree is flaky")
}

// Options are the flags as the workflows take them; a flag out of range is an ErrUsage
// that names it.
func (f *HistoryFlags) Options() (HistoryOptions, error) {
	switch {
	case f.Runs < 1 || f.Runs > MaxHistoryRuns:
		return HistoryOptions{}, collect.Usagef("--history-runs must be 1 to %d, not %d", MaxHistoryRuns, f.Runs)
	case f.Keep < 0 || f.Keep > 0 && f.Keep < f.Runs:
		return HistoryOptions{}, collect.Usagef("--history-keep must be at least --history-runs (%d), not %d", f.Runs, f.Keep)
	case f.Timeout < 0:
		return HistoryOptions{}, collect.Usagef("--history-timeout must be a duration such as 60s (0: the default), not %s", f.Timeout)
	}
	return HistoryOptions{Store: f.Store, BaseBranch: f.BaseBranch, Runs: f.Runs, Timeout: f.Timeout, Keep: f.Keep, Tree: f.Tree, Fetch: f.Fetch}, nil
}

// RenderFlags are render's flags; run takes those of the outputs (AddOutputFlags).
type RenderFlags struct {
	Output, Metrics, Templates, ReportBudget, JSONBudget, JaegerUI, CommentKey string
	Results, Redact                                                            []string
	LogLines                                                                   int
	History                                                                    HistoryFlags
}

// AddFlags adds every render flag to fl.
func (f *RenderFlags) AddFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.Output, "report-dir", "", "where to write the outputs (default: the bundle directory)")
	fl.StringArrayVar(&f.Results, "results", nil, "test results file, directory or glob (repeatable)")
	fl.StringArrayVar(&f.Redact, "redact", nil, "extra regular expression to redact from every text of the reports (repeatable)")
	fl.StringVar(&f.CommentKey, "comment-key", "", "key of comment.md's hidden marker <!-- ci-report:KEY --> (default: workflow/job/matrix values)")
	f.AddOutputFlags(fl)
}

// AddOutputFlags adds the flags of the outputs, which run shares.
func (f *RenderFlags) AddOutputFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.Metrics, "metrics", "", "JSON list of {name, value, unit, threshold, direction} to check")
	fl.StringVar(&f.Templates, "templates", "", "directory with templates overriding the embedded ones (report.md.tmpl, comment.md.tmpl, report.html.tmpl)")
	fl.StringVar(&f.ReportBudget, "report-budget", "240Ki", "size limit of REPORT.md; lower-priority sections shrink to fit")
	fl.StringVar(&f.JSONBudget, "json-budget", "32Mi", "size limit of report.json; healthy log tails and passing tests' output go first, each cut listed under \"cuts\"")
	fl.IntVar(&f.LogLines, "log-lines", 200, "log lines shown per container")
	fl.StringVar(&f.JaegerUI, "jaeger-ui-url", "", "Jaeger UI base URL; trace IDs in the reports link to it (e.g. https://jaeger.example.com)")
	f.History.AddFlags(fl)
}

// Options turn the flags into a render of the bundle in dir (its Comment is resolved by
// the caller, as the comment command resolves it).
func (f *RenderFlags) Options(dir string) (RenderOptions, error) {
	h, err := f.History.Options()
	if err != nil {
		return RenderOptions{}, err
	}
	budget, err := collect.ParseBytes("report-budget", f.ReportBudget)
	if err != nil {
		return RenderOptions{}, err
	}
	jsonBudget, err := collect.ParseBytes("json-budget", f.JSONBudget)
	if err != nil {
		return RenderOptions{}, err
	}
	if err := collect.HTTPURLFlag("jaeger-ui-url", f.JaegerUI, "an http(s) URL"); err != nil {
		return RenderOptions{}, err
	}
	rd, err := redact.New(f.Redact)
	if err != nil {
		return RenderOptions{}, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	files, missing := results.Expand(f.Results)
	return RenderOptions{
		Source:  Source{Dir: dir},
		Out:     f.Output,
		Load:    model.Options{Results: files, Missing: missing, Metrics: f.Metrics, TailLines: f.LogLines, Redactor: rd},
		Render:  render.Options{ReportBudget: int(budget), JSONBudget: int(jsonBudget), LogLines: f.LogLines, JaegerUIURL: f.JaegerUI},
		History: h,
	}, nil
}

// WatchFlags are watch's flags.
type WatchFlags struct {
	Output, Selector, LogMaxBytes, LogTotalBytes string
	AllNamespaces, Background, Stop              bool
	CRDs, Redact                                 []string
	Wait                                         time.Duration
}

// AddFlags adds the flags to fl.
func (f *WatchFlags) AddFlags(fl *pflag.FlagSet) {
	fl.StringVarP(&f.Output, "output", "o", "ci-report", "bundle directory (collect -o the same) to write watch/ into")
	fl.BoolVarP(&f.AllNamespaces, "all-namespaces", "A", false, "watch every namespace")
	fl.StringVarP(&f.Selector, "selector", "l", "", "label selector for the pods to watch")
	fl.StringArrayVar(&f.CRDs, "crd", nil, "also record the condition transitions of this type (plural.group or Kind; repeatable)")
	fl.StringVar(&f.LogMaxBytes, "log-max-bytes", "10Mi", "cap on each container's streamed log (0 = none)")
	fl.StringVar(&f.LogTotalBytes, "log-total-bytes", "512Mi", "cap on all streamed logs together (0 = none)")
	fl.StringArrayVar(&f.Redact, "redact", nil, "extra regular expression to redact from logs and objects (repeatable)")
	fl.BoolVar(&f.Background, "background", false, "detach; the pid goes to BUNDLE/watch/watch.pid")
	fl.BoolVar(&f.Stop, "stop", false, "stop the background watcher of the bundle directory and wait until it has written everything")
	fl.DurationVar(&f.Wait, "wait", time.Minute, "with --background: how long to wait until it watches; with --stop: until it has stopped")
}

// Options turn the flags into a watch in namespaces (the -n values) of the kubeconfig's
// context; the caller sets Config.
func (f *WatchFlags) Options(kubeFlags *genericclioptions.ConfigFlags, namespaces []string, log *slog.Logger) (watch.Options, error) {
	o := watch.Options{AllNamespaces: f.AllNamespaces, Selector: f.Selector, CRDs: f.CRDs, Dir: f.Output, Log: log}
	if f.Selector != "" {
		if _, err := labels.Parse(f.Selector); err != nil {
			return o, collect.Usagef("--selector %q: %v", f.Selector, err)
		}
	}
	var err error
	if o.LogMaxBytes, err = collect.ParseBytes("log-max-bytes", f.LogMaxBytes); err != nil {
		return o, err
	}
	if o.LogTotalBytes, err = collect.ParseBytes("log-total-bytes", f.LogTotalBytes); err != nil {
		return o, err
	}
	if o.Redactor, err = redact.New(f.Redact); err != nil {
		return o, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	o.Namespaces = kube.Namespaces(kubeFlags, namespaces, f.AllNamespaces)
	return o, nil
}
