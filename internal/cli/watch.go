package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/bundle"
)

func newWatchCmd(g *globals) *cobra.Command {
	f := &app.WatchFlags{}
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
	f.AddFlags(cmd.Flags())
	return cmd
}

func runWatch(cmd *cobra.Command, g *globals, f *app.WatchFlags) error {
	if f.Stop {
		if err := g.app().StopWatcher(f.Output, f.Wait); err != nil {
			return err
		}
		fmt.Fprintln(g.stdout, filepath.Join(f.Output, bundle.WatchDir))
		return nil
	}
	o, err := f.Options(g.kube, g.namespaces, g.log)
	if err != nil {
		return err
	}
	if f.Background {
		return startBackground(cmd, g, f)
	}
	if o.Config, err = g.kube.ToRESTConfig(); err != nil {
		return withExitCode(ExitNothingCollected, fmt.Errorf("no cluster to watch: %w", err))
	}
	if err := g.app().Watch(cmd.Context(), o); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, filepath.Join(f.Output, bundle.WatchDir))
	return nil
}

// startBackground runs the same watch (its flags but --background and --wait) detached
// from this process, and returns once it has listed everything.
func startBackground(cmd *cobra.Command, g *globals, f *app.WatchFlags) error {
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
	pid, err := g.app().StartWatcher(cmd.Context(), args, f.Output, f.Wait)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, pid)
	return nil
}
