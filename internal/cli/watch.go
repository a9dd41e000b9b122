package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/watch"
)

type watchFlags struct {
	output        string
	allNamespaces bool
	selector      string
	crds          []string
	logMaxBytes   string
	logTotalBytes string
	redact        []string
	background    bool
	stop          bool
	wait          time.Duration
}

func newWatchCmd(g *globals) *cobra.Command {
	f := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Record pods, events, logs and transitions while the tests run, for collect to merge",
		Long: `watch runs from before the tests until collect, and keeps what a snapshot at the end
cannot see: pods deleted before collect (their last state and their logs, streamed as
they are written), events garbage-collected by then, and the time of every pod phase,
container state and condition transition (of pods and of the --crd types).

It writes under BUNDLE/watch/; collect -o BUNDLE merges it: deleted pods appear in the
report marked deleted with their logs, the timeline has the observed transitions, and
the events the API server dropped are kept. It re-lists and resumes by itself when the
API server restarts or a watch expires, without recording anything twice.

--background detaches (the pid is in BUNDLE/watch/watch.pid, its log in watch.log) and
returns once everything is listed; watch --stop ends it and waits until it has written
everything. In GitHub Actions use the action's mode: start before the tests and the
normal run (which stops the watcher first) after them.`,
		Example: `  ci-report watch -n turbo-engine-e2e -o ci-report --background
  go test ./e2e/...
  ci-report watch --stop -o ci-report
  ci-report collect -n turbo-engine-e2e -o ci-report`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWatch(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "ci-report", "bundle directory (collect -o the same) to write watch/ into")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "watch every namespace")
	fl.StringVarP(&f.selector, "selector", "l", "", "label selector for the pods to watch")
	fl.StringArrayVar(&f.crds, "crd", nil, "also record the condition transitions of this type (plural.group or Kind; repeatable)")
	fl.StringVar(&f.logMaxBytes, "log-max-bytes", "10Mi", "cap on each container's streamed log (0 = none)")
	fl.StringVar(&f.logTotalBytes, "log-total-bytes", "512Mi", "cap on all streamed logs together (0 = none)")
	fl.StringArrayVar(&f.redact, "redact", nil, "extra regular expression to redact from logs and objects (repeatable)")
	fl.BoolVar(&f.background, "background", false, "detach; the pid goes to BUNDLE/watch/watch.pid")
	fl.BoolVar(&f.stop, "stop", false, "stop the background watcher of the bundle directory and wait until it has written everything")
	fl.DurationVar(&f.wait, "wait", time.Minute, "with --background: how long to wait until it watches; with --stop: until it has stopped")
	return cmd
}

func runWatch(cmd *cobra.Command, g *globals, f *watchFlags) error {
	if f.stop {
		if err := g.app().StopWatcher(f.output, f.wait); err != nil {
			return err
		}
		fmt.Fprintln(g.stdout, filepath.Join(f.output, bundle.WatchDir))
		return nil
	}
	if f.selector != "" {
		if _, err := labels.Parse(f.selector); err != nil {
			return usageErrorf("--selector %q: %v", f.selector, err)
		}
	}
	maxBytes, err := collect.ParseBytes("log-max-bytes", f.logMaxBytes)
	if err != nil {
		return usageOr(err)
	}
	totalBytes, err := collect.ParseBytes("log-total-bytes", f.logTotalBytes)
	if err != nil {
		return usageOr(err)
	}
	rd, err := redact.New(f.redact)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if f.background {
		return startBackground(cmd, g, f)
	}
	cfg, err := g.kube.ToRESTConfig()
	if err != nil {
		return withExitCode(ExitNothingCollected, fmt.Errorf("no cluster to watch: %w", err))
	}
	nss := g.namespaces
	if len(nss) == 0 && !f.allNamespaces {
		ns, _, err := g.kube.ToRawKubeConfigLoader().Namespace()
		if err != nil || ns == "" {
			ns = "default"
		}
		nss = []string{ns}
	}
	if err := os.MkdirAll(filepath.Join(f.output, bundle.WatchDir), 0o755); err != nil {
		return err
	}
	pid, err := watch.LockPIDFile(filepath.Join(f.output, filepath.FromSlash(bundle.WatchPID)))
	if err != nil {
		return fmt.Errorf("%w: stop it with `ci-report watch --stop -o %s`", err, f.output)
	}
	defer pid.Release()
	err = watch.Run(cmd.Context(), watch.Options{Config: cfg, Namespaces: nss, AllNamespaces: f.allNamespaces, Selector: f.selector,
		CRDs: f.crds, Dir: f.output, LogMaxBytes: maxBytes, LogTotalBytes: totalBytes, Redactor: rd, Log: g.log}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, filepath.Join(f.output, bundle.WatchDir))
	return nil
}

// startBackground runs the same watch (its flags but --background and --wait) detached
// from this process, and returns once it has listed everything.
func startBackground(cmd *cobra.Command, g *globals, f *watchFlags) error {
	args := []string{"watch"}
	visit := func(fl *pflag.Flag) {
		if fl.Name == "background" || fl.Name == "wait" {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+fl.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	}
	cmd.Flags().Visit(visit)
	cmd.InheritedFlags().Visit(visit)
	pid, err := g.app().StartWatcher(cmd.Context(), args, f.output, f.wait)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, pid)
	return nil
}
