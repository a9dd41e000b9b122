package cli

import (
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
	live    collect.LiveFlags
	history app.HistoryFlags
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
	f.live.AddFlags(cmd.Flags(), "live: time limit for reading the cluster")
	f.history.AddFlags(cmd.Flags())
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
	h, err := f.history.Options()
	if err != nil {
		return err
	}
	if f.since < 0 {
		return usageErrorf("--since must not be negative")
	}
	rd, err := redact.New(f.live.Redact)
	if err != nil {
		return usageErrorf("%v", err)
	}
	o := app.InvestigateOptions{Source: app.Source{Dir: f.from}, Load: model.Options{TailLines: f.tail, Redactor: rd}, History: h,
		Build: investigate.Options{Focus: f.focus, Since: f.since, MaxLogs: f.maxLogs}}
	if f.from == "" {
		co, err := f.live.Options(g.kube, g.namespaces, g.log, f.since, int64(f.tail), "1Mi", "64Mi")
		if err != nil {
			return err
		}
		o.Collect = &co
	}
	inv, err := g.app().Investigate(cmd.Context(), o)
	if err != nil {
		return err
	}
	if f.json {
		return investigate.WriteJSON(g.stdout, inv)
	}
	return investigate.WriteText(g.stdout, inv)
}
