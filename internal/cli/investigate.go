package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/investigate"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
)

type investigateFlags struct {
	from    string
	json    bool
	schema  bool
	focus   string
	since   time.Duration
	tail    int
	maxLogs int
	live    liveFlags
	history historyFlags
}

// liveFlags are how investigate and mcp read the live cluster: a light collection.
type liveFlags struct {
	selector string
	crds     []string
	opSel    string
	timeout  time.Duration
	redact   []string
}

func addLiveFlags(cmd *cobra.Command, f *liveFlags, timeoutUsage string) {
	fl := cmd.Flags()
	fl.StringVarP(&f.selector, "selector", "l", "", "live: label selector for namespaced objects")
	fl.StringArrayVar(&f.crds, "crd", nil, "live: also read this type (plural.group or Kind; repeatable)")
	fl.StringVar(&f.opSel, "operator-selector", "", "live: label selector for the operator pods whose logs give operator actions")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, timeoutUsage)
	fl.StringArrayVar(&f.redact, "redact", nil, "extra regular expression to redact (repeatable)")
}

// options are collect's options for a light reading of the cluster: the last tail lines
// of each log, at most perLog and total bytes.
func (f *liveFlags) options(g *globals, since time.Duration, tail int64, perLog, total string) (collect.Options, error) {
	cf := &collect.Flags{Selector: f.selector, Since: since, Parallel: 8, Timeout: f.timeout, ConnectTimeout: 5 * time.Second,
		LogTailLines: tail, LogMaxBytes: perLog, LogTotalBytes: total, CRDs: f.crds, OperatorSelector: f.opSel, Redact: f.redact}
	o, err := cf.Options(g.kube, g.namespaces, g.log)
	return o, usageOr(err)
}

func newInvestigateCmd(g *globals) *cobra.Command {
	f := &investigateFlags{}
	cmd := &cobra.Command{
		Use:   "investigate",
		Short: "What is wrong in this cluster right now: the live counterpart of REPORT.md, for agents",
		Long: `investigate prints a compact, stable answer to "what is wrong?" on stdout: the status, the
ranked findings (causes first, each with the bundle file to open next), pod health
(phase, ready, restarts, last termination), the distinct error and warning lines of each
container with counts, each operator's last reconcile per object and its errors, the
conditions of custom resources, and what could not be read.

Live (the default) it reads the cluster through the kubeconfig or in-cluster identity,
fetching only what it shows: objects, events and the last --tail lines of each log, into
a temporary bundle it removes afterwards. With --from it reads a bundle instead. Both give
the same findings, with the same ids as report.json. --json prints the same as JSON
(--schema prints its JSON Schema); --focus narrows it to a pod or an object.`,
		Example: `  ci-report investigate -n turbo-engine-e2e
  ci-report investigate --from ci-report --json
  ci-report investigate -n turbo-engine-e2e --focus APIGraph/orders --since 15m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInvestigate(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "read this bundle directory instead of the live cluster")
	fl.BoolVar(&f.json, "json", false, "print JSON (see --schema) instead of text")
	fl.BoolVar(&f.schema, "schema", false, "print the JSON Schema of --json and exit")
	fl.StringVar(&f.focus, "focus", "", "only this pod (POD) or object (KIND/NAME or KIND/NAMESPACE/NAME) and the findings that name it")
	fl.DurationVar(&f.since, "since", 0, "log lines of the last D only (e.g. 15m); 0 = since the start of each log")
	fl.IntVar(&f.tail, "tail", 200, "log lines read per container")
	fl.IntVar(&f.maxLogs, "max-log-lines", 5, "distinct error/warning lines shown per container")
	addLiveFlags(cmd, &f.live, "live: time limit for reading the cluster")
	addHistoryFlags(cmd, &f.history)
	return cmd
}

func runInvestigate(cmd *cobra.Command, g *globals, f *investigateFlags) error {
	if f.schema {
		_, err := g.stdout.Write(investigate.Schema)
		return err
	}
	if f.tail < 1 {
		return usageErrorf("--tail must be at least 1")
	}
	if err := f.history.check(); err != nil {
		return err
	}
	if f.since < 0 {
		return usageErrorf("--since must not be negative")
	}
	rd, err := redact.New(f.live.redact)
	if err != nil {
		return usageErrorf("%v", err)
	}
	o := app.InvestigateOptions{Source: app.Source{Dir: f.from}, Load: model.Options{TailLines: f.tail, Redactor: rd}, History: f.history.options(),
		Build: investigate.Options{Focus: f.focus, Since: f.since, MaxLogs: f.maxLogs}}
	if f.from == "" {
		co, err := f.live.options(g, f.since, int64(f.tail), "1Mi", "64Mi")
		if err != nil {
			return err
		}
		o.Collect = &co
	}
	inv, err := g.app().Investigate(cmd.Context(), o)
	switch {
	case errors.Is(err, collect.ErrNothingCollected):
		return withExitCode(ExitNothingCollected, err)
	case err != nil:
		return usageOr(err)
	}
	if f.json {
		return investigate.WriteJSON(g.stdout, inv)
	}
	return investigate.WriteText(g.stdout, inv)
}
