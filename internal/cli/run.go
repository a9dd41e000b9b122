package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
)

func newRunCmd(g *globals) *cobra.Command {
	cf, rf, mf := &collect.Flags{}, &app.RenderFlags{}, &commentFlags{}
	failOn := history.FailOnNone
	cmd := &cobra.Command{
		Use:   "run",
		Short: "collect, render, annotate and comment in one step (what the GitHub Action calls)",
		Long: `run is the whole job: collect the bundle, render the reports, and in GitHub Actions emit
annotations, write the job summary and outputs, and upsert the PR comment. Outside GitHub
Actions it stops after writing summary.md and comment.md and says so. The last line on
stdout is the path of REPORT.md.

A cluster that cannot be reached still gives a report (with the gap and any test
results). run does not fail the job for its own troubles unless --strict.`,
		Example: `  ci-report run -n turbo-engine-e2e --results 'test-results/*.xml'`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runRun(cmd, g, cf, rf, mf, failOn) },
	}
	cf.AddFlags(cmd.Flags())
	rf.AddOutputFlags(cmd.Flags())
	addCommentFlags(cmd, mf)
	cmd.Flags().StringVar(&failOn, "fail-on", history.FailOnNone, "exit 4 on failures: new (failed tests and error findings the base branch's history does not know), any, or none")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, cf *collect.Flags, rf *app.RenderFlags, mf *commentFlags, failOn string) error {
	switch failOn {
	case history.FailOnNew, history.FailOnAny, history.FailOnNone:
	default:
		return usageErrorf("--fail-on %q: want new, any or none", failOn)
	}
	co, err := cf.Options(g.kube, g.namespaces, g.log)
	if err != nil {
		return err
	}
	rf.Redact, rf.CommentKey = cf.Redact, mf.Key
	ro, err := rf.Options(co.OutputDir)
	if err != nil {
		return err
	}
	mf.Templates = rf.Templates
	res, err := g.app().Run(cmd.Context(), app.RunOptions{Collect: co, Render: ro, Comment: mf.Flags})
	if err != nil {
		return err
	}
	if !res.Posted {
		fmt.Fprintln(g.stdout, "Posting skipped (not in GitHub Actions); comment.md and summary.md are in", co.OutputDir)
	}
	fmt.Fprintln(g.stdout, res.Path)
	return failOnErr(failOn, res.Report, strictErr(mf.Strict, res.CollectErr))
}

// failOnErr is run's exit under --fail-on, once everything is written and posted.
func failOnErr(mode string, r *model.Report, err error) error {
	if err != nil {
		return err
	}
	if n := history.Blocking(r, mode); n > 0 {
		what := "new "
		if mode == history.FailOnAny {
			what = ""
		}
		return withExitCode(ExitFailures, fmt.Errorf("--fail-on %s: %d %sfailure(s) (failed tests and error findings)", mode, n, what))
	}
	return nil
}

func strictErr(strict bool, err error) error {
	if strict && errors.Is(err, collect.ErrNothingCollected) {
		return withExitCode(ExitNothingCollected, err)
	}
	return nil
}
