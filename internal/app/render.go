package app

import (
	"context"
	"io/fs"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

// Source is a bundle: a directory, or an fs.FS (an artifact's zip) named Name.
type Source struct {
	Dir  string
	FS   fs.FS
	Name string
}

// name is how reports and messages name the bundle.
func (src Source) name() string {
	if src.FS != nil {
		return src.Name
	}
	return src.Dir
}

// Load reads a bundle into the report model (render.Files are left out of its index).
func (s *Service) Load(ctx context.Context, src Source, o model.Options) (*model.Report, error) {
	o.Outputs = render.Files()
	if src.FS != nil {
		return model.LoadFS(ctx, src.FS, src.Name, o)
	}
	return model.Load(ctx, src.Dir, o)
}

// RenderOptions are one render: the bundle, where the outputs go, how it is read and
// rendered, the comment it is for and the history it is labelled against.
type RenderOptions struct {
	Source  Source
	Out     string // directory of the outputs; empty: the bundle directory
	Load    model.Options
	Render  render.Options
	Comment prcomment.Config // the comment's key, marker and templates, and the PR it is for
	History HistoryOptions
}

// Render loads the bundle, labels it against the history (recording this run when it is
// a run of the base branch), writes every output and this run's digest, and returns the
// report and the path of REPORT.md.
func (s *Service) Render(ctx context.Context, o RenderOptions) (*model.Report, string, error) {
	r, err := s.Load(ctx, o.Source, o.Load)
	if err != nil {
		return nil, "", err
	}
	out := o.Out
	if out == "" {
		out = o.Source.Dir
	}
	// The digest (fingerprints of every finding) only when a store or an artifact needs it.
	meta := s.HistoryMeta(o.Comment.Key, o.Comment.PR.HeadSHA, o.History.Tree)
	var digest history.Digest
	if o.History.Store != "" || (meta.SHA != "" && meta.Branch != "") {
		digest = history.FromReport(r, meta)
	}
	if o.History.Redactor == nil {
		o.History.Redactor = o.Load.Redactor
	}
	s.ApplyHistory(ctx, r, o.History, digest)
	if err := render.WriteAll(ctx, out, r, o.Comment.RenderOptions(o.Render)); err != nil {
		return nil, "", err
	}
	s.writeDigest(out, digest)
	s.log().Info("report written", "dir", out, "findings", len(r.Findings), "tests", len(r.Tests.Cases), "gaps", len(r.Gaps), "status", r.Status.Level)
	return r, filepath.Join(out, render.ReportFile), nil
}
