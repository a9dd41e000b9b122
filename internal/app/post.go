package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

// Key is the job's key as the comment's marker has it.
func (s *Service) Key() string { return ghactions.SanitizeKey(ghactions.Key(s.getenv)) }

// ResolveComment resolves the comment's configuration once, from flags, the environment
// and the event payload.
func (s *Service) ResolveComment(f prcomment.Flags) (prcomment.Config, error) {
	var event map[string]any
	if ctx, err := s.Action().Context(); err == nil {
		event = ctx.Event
	}
	return prcomment.Resolve(f, s.getenv, event)
}

// WorkflowRunHeadSHA is the head commit of the workflow_run event that started this run.
func (s *Service) WorkflowRunHeadSHA() string {
	if ctx, err := s.Action().Context(); err == nil && ctx.Event != nil {
		return ghactions.WorkflowRunHeadSHA(ctx.Event)
	}
	return ""
}

// Post posts the report's PR comment (rendered into dir as comment.md) and returns its URL.
func (s *Service) Post(ctx context.Context, c prcomment.Config, r *model.Report, dir string) (string, error) {
	return prcomment.Post(ctx, c, r, dir, s.commentEnv())
}

// PostFromArtifact posts a fork PR's comment from its downloaded artifact (the
// workflow_run poster), if the PR's head is still head.
func (s *Service) PostFromArtifact(ctx context.Context, c prcomment.Config, dir, head string) error {
	return prcomment.FromArtifact(ctx, c, dir, head, s.commentEnv())
}

// Annotate emits the report's annotations, the job summary (summary.md of dir) and the
// step outputs.
func (s *Service) Annotate(r *model.Report, dir string) error {
	a := s.Action()
	counts := ghactions.Annotate(a, r.Findings)
	if s.getenv("GITHUB_STEP_SUMMARY") != "" {
		summary, err := readBundleFile(dir, render.SummaryFile, ghactions.SummaryLimit)
		if err != nil {
			return err
		}
		ghactions.WriteSummary(a, string(summary))
	} else {
		s.log().Info("GITHUB_STEP_SUMMARY is not set; the job summary is in " + filepath.Join(dir, render.SummaryFile))
	}
	if s.getenv("GITHUB_OUTPUT") != "" {
		failed := r.TestCounts["failed"] + r.TestCounts["error"]
		a.SetOutput("report-dir", dir)
		a.SetOutput("status", r.Status.Level)
		a.SetOutput("failed-tests", fmt.Sprint(failed))
		a.SetOutput("findings", fmt.Sprint(len(r.Findings)))
	}
	s.log().Info("annotations", "errors", counts["error"], "warnings", counts["warning"], "notices", counts["notice"])
	return nil
}

// readBundleFile reads one file of a bundle or artifact, confined to it.
func readBundleFile(dir, name string, max int64) ([]byte, error) {
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	return br.ReadFile(name, max)
}
