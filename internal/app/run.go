package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

// RunOptions are the whole job: collect into Collect.OutputDir, render there, and in
// GitHub Actions annotate and post the comment.
type RunOptions struct {
	Collect collect.Options
	Render  RenderOptions // its Source and Comment are set by Run
	Comment prcomment.Flags
}

// RunResult is what the job did.
type RunResult struct {
	Report     *model.Report
	Path       string // REPORT.md
	Posted     bool   // annotations and the comment were attempted (in GitHub Actions)
	CollectErr error  // why nothing could be collected; the report says so too
}

// Run is the job the action calls. A cluster that cannot be reached still gives a
// report (CollectErr says why); a render that fails, or a comment that fails under
// Strict, is an error; an annotation that fails is one only under Strict.
func (s *Service) Run(ctx context.Context, o RunOptions) (RunResult, error) {
	inActions := ghactions.InActions(s.getenv)
	group := func(name string, f func() error) error {
		if inActions {
			fmt.Fprintf(s.stdout(), "::group::ci-report %s\n", name)
			defer fmt.Fprintln(s.stdout(), "::endgroup::")
		}
		start := s.now()
		err := f()
		s.log().Info("step done", "step", name, "took", s.now().Sub(start).Round(time.Millisecond))
		return err
	}
	dir := o.Collect.OutputDir
	res := RunResult{Path: filepath.Join(dir, render.ReportFile)}
	_ = group("collect", func() error {
		if _, res.CollectErr = s.Collect(ctx, o.Collect); res.CollectErr != nil {
			s.log().Warn("collect gathered nothing; the report will say why", "err", res.CollectErr)
		}
		return nil
	})
	// The report stays in memory for annotate and comment: report.json is read back
	// only by another process (merge, the fork poster).
	if err := group("render", func() (err error) {
		ro := o.Render
		ro.Source = Source{Dir: dir}
		if ro.Comment, err = s.ResolveComment(prcomment.Flags{Key: o.Comment.Key, Templates: o.Comment.Templates}); err != nil {
			return err
		}
		ro.History.Fetch = inActions && s.getenv("GITHUB_TOKEN") != ""
		res.Report, _, err = s.Render(ctx, ro)
		return err
	}); err != nil {
		return res, err
	}
	if !inActions {
		s.log().Info("not running in GitHub Actions (GITHUB_ACTIONS is not true): annotations and the PR comment were not posted",
			"summary", filepath.Join(dir, render.SummaryFile), "comment", filepath.Join(dir, render.CommentFile))
		return res, nil
	}
	res.Posted = true
	if err := group("annotate", func() error { return s.Annotate(res.Report, dir) }); err != nil {
		if o.Comment.Strict {
			return res, err
		}
		s.log().Warn("annotate failed", "err", err)
	}
	err := group("comment", func() error {
		c, err := s.ResolveComment(o.Comment)
		if err != nil {
			return err
		}
		_, err = s.Post(ctx, c, res.Report, dir)
		return err
	})
	return res, err
}
