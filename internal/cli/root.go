// Package cli wires ci-report's cobra commands: flags in, typed options out, errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/klog/v2"

	"github.com/org/k8s-e2e-report/internal/app"
)

// globals are the flags every command shares.
type globals struct {
	kube       *genericclioptions.ConfigFlags
	namespaces []string
	verbose    int
	quiet      bool

	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
}

// Main runs ci-report with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if g.log == nil {
			g.log = newLogger(stderr, 0, false)
		}
		if isUsageError(err) {
			err = withExitCode(ExitUsage, err)
		}
		fmt.Fprintf(stderr, "Error: %s\n", message(err))
	}
	return exitCode(err)
}

func newRootCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ci-report",
		Short: "Collect and report what a failed Kubernetes e2e run leaves behind",
		Long: `ci-report gathers pod logs, events, resource state, custom resources and operator
actions from a Kubernetes cluster after an e2e run, and turns them into a report.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			g.log = newLogger(g.stderr, g.verbose, g.quiet)
			if g.verbose == 0 {
				// client-go reports through klog (e.g. a port-forward's closed streams);
				// ci-report says what matters itself, so klog speaks only with -v.
				klog.LogToStderr(false)
				klog.SetOutput(io.Discard)
			}
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(ExitUsage, err) })

	// kubectl's own flags (--kubeconfig, --context, --cluster, --user, --server, --token, ...),
	// except --namespace, which ci-report takes as a list.
	g.kube = genericclioptions.NewConfigFlags(true)
	g.kube.Namespace = nil
	kube := pflag.NewFlagSet("kubectl", pflag.ContinueOnError)
	g.kube.AddFlags(kube)
	kube.StringSliceVarP(&g.namespaces, "namespace", "n", nil, "namespaces to look at (repeatable or comma-separated); default: the kubeconfig context's namespace")
	markKubeFlags(kube)
	cmd.PersistentFlags().AddFlagSet(kube)
	cmd.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "more logging on stderr (-v debug)")
	cmd.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "log only warnings and errors on stderr")

	cmd.AddCommand(newVersionCmd(g), newCollectCmd(g), newRenderCmd(g), newAnnotateCmd(g), newCommentCmd(g), newRunCmd(g), newMergeCmd(g), newInvestigateCmd(g), newWatchCmd(g), newHistoryCmd(g), newBundleCmd(g), newMCPCmd(g), newOptionsCmd(g))
	scopedUsage(cmd)
	return cmd
}

// newLogger logs text to stderr; the result of a command goes to stdout.
func newLogger(w io.Writer, verbose int, quiet bool) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case quiet:
		level = slog.LevelWarn
	case verbose > 0:
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// isUsageError reports cobra's argument and unknown-command errors, which come back as plain errors.
func isUsageError(err error) bool {
	var ee *exitError
	if errors.As(err, &ee) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires exactly", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// app is the service the commands run their workflows on, over this process's
// environment, logger and stdout.
func (g *globals) app() *app.Service {
	return &app.Service{Getenv: g.getenv, Log: g.log, Stdout: g.stdout}
}
