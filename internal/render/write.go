package render

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
)

// Output file names.
const (
	ReportFile  = bundle.ReportMD
	HTMLFile    = bundle.ReportHTML
	JSONFile    = bundle.ReportJSON
	SummaryFile = bundle.SummaryMD
	CommentFile = bundle.CommentMD
	ResultsFile = bundle.ResultsJSON
)

// WriteAll renders every output into outDir. It stops, writing nothing, when ctx ends.
func WriteAll(ctx context.Context, outDir string, r *model.Report, o Options) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var md, summary, comment string
	var page, js []byte
	// The renderers only read r, so they run side by side (HTML needs the Markdown).
	g, gctx := errgroup.WithContext(ctx)
	for _, step := range []func() error{
		func() (err error) {
			if md, err = Markdown(r, o); err != nil {
				return err
			}
			if err := gctx.Err(); err != nil {
				return err
			}
			page, err = HTML(md, r, o)
			return err
		},
		func() (err error) { summary, err = Summary(r, o); return },
		func() (err error) { comment, err = Comment(r, o); return },
		func() (err error) { js, err = JSON(r, o.JSONBudget); return },
	} {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return step()
		})
	}
	// A cancelled render returns at once; the renderers still running only write into
	// the variables above, which are then never read.
	waited := make(chan error, 1)
	go func() { waited <- g.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res, err := json.MarshalIndent(r.Tests, "", "  ")
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		ReportFile: []byte(md), SummaryFile: []byte(summary), CommentFile: []byte(comment),
		HTMLFile: page, JSONFile: js, ResultsFile: append(res, '\n'),
	} {
		if err := bundle.WriteFileAtomic(filepath.Join(outDir, name), b); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
