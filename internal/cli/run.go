package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

func newRunCmd(g *globals) *cobra.Command {
	cf, rf, mf := &collectFlags{}, &renderFlags{}, &commentFlags{}
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
		RunE:    func(cmd *cobra.Command, _ []string) error { return runRun(cmd, g, cf, rf, mf) },
	}
	addCollectFlags(cmd, cf)
	addRenderOutputFlags(cmd, rf)
	addCommentFlags(cmd, mf)
	cmd.Flags().StringVar(&rf.failOn, "fail-on", history.FailOnNone, "exit 4 on failures: new (failed tests and error findings the base branch's history does not know), any, or none")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, cf *collectFlags, rf *renderFlags, mf *commentFlags) error {
	if err := rf.history.check(); err != nil {
		return err
	}
	inActions := ghactions.InActions(g.getenv)
	group := func(name string, f func() error) error {
		if inActions {
			fmt.Fprintf(g.stdout, "::group::ci-report %s\n", name)
			defer fmt.Fprintln(g.stdout, "::endgroup::")
		}
		start := time.Now()
		err := f()
		g.log.Info("step done", "step", name, "took", time.Since(start).Round(time.Millisecond))
		return err
	}
	switch rf.failOn {
	case history.FailOnNew, history.FailOnAny, history.FailOnNone:
	default:
		return usageErrorf("--fail-on %q: want new, any or none", rf.failOn)
	}
	opts, err := cf.options(g)
	if err != nil {
		return err
	}
	dir := opts.OutputDir
	var collectErr error
	_ = group("collect", func() error {
		stopRunningWatcher(g, dir, time.Minute)
		restore := limitCollectMemory(g)
		_, collectErr = collect.Run(cmd.Context(), opts)
		restore()
		if collectErr != nil {
			g.log.Warn("collect gathered nothing; the report will say why", "err", collectErr)
		}
		return nil
	})
	// The report stays in memory for annotate and comment: report.json is read back
	// only by another process (merge, the fork poster).
	var rep *model.Report
	if err := group("render", func() (err error) {
		rf.redact, rf.commentKey = cf.redact, mf.Key
		rf.history.fetch = inActions && g.getenv("GITHUB_TOKEN") != ""
		rep, _, err = runRender(cmd.Context(), g, dir, rf)
		return err
	}); err != nil {
		return err
	}
	report := filepath.Join(dir, render.ReportFile)
	if !inActions {
		g.log.Info("not running in GitHub Actions (GITHUB_ACTIONS is not true): annotations and the PR comment were not posted",
			"summary", filepath.Join(dir, render.SummaryFile), "comment", filepath.Join(dir, render.CommentFile))
		fmt.Fprintln(g.stdout, "Posting skipped (not in GitHub Actions); comment.md and summary.md are in", dir)
		fmt.Fprintln(g.stdout, report)
		return failOnErr(rf.failOn, rep, strictErr(mf.Strict, collectErr))
	}
	if err := group("annotate", func() error { return annotate(g, rep, dir) }); err != nil {
		if mf.Strict {
			return err
		}
		g.log.Warn("annotate failed", "err", err)
	}
	if err := group("comment", func() error {
		mf.Templates = rf.templates
		c, err := resolveComment(g, mf.Flags)
		if err != nil {
			return err
		}
		_, err = prcomment.Post(cmd.Context(), c, rep, dir, commentEnv(g))
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, report)
	return failOnErr(rf.failOn, rep, strictErr(mf.Strict, collectErr))
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
