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
	"github.com/org/k8s-e2e-report/internal/reportjson"
	"github.com/org/k8s-e2e-report/internal/view"
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

// Output is one file render writes: what it is for (the CLI's help), its file in the
// report directory, and how it is made: from the model, or (From) from the bytes of an
// output listed before it.
type Output struct {
	File    string
	For     string
	Render  func(r *model.Report, o Options) ([]byte, error)
	From    string
	Convert func(src []byte, r *model.Report, o Options) ([]byte, error)
	// Write streams the output into its file instead (a large one, not held in memory).
	Write func(f *os.File, r *model.Report, o Options) error
}

// Outputs is every output, in the order the CLI's help lists them. A new format is one
// entry here.
var Outputs = []Output{
	{File: ReportFile, For: "for coding agents: status, ranked findings, failed tests with what happened in their time window, timeline, pods, tests, operator actions, custom resources, traces, screenshots, log tails, errors, gaps, file index",
		Render: func(r *model.Report, o Options) ([]byte, error) { s, err := Markdown(r, o); return []byte(s), err }},
	{File: HTMLFile, For: "for people: one self-contained page with the run's timeline drawn, findings cause first, failed tests with what happened in their window, screenshots; filters kept in the URL (#q=TEXT)",
		Render: func(r *model.Report, o Options) ([]byte, error) { return Page(r, o) }},
	{File: JSONFile, For: "the same model, machine-readable",
		Write: func(f *os.File, r *model.Report, o Options) error {
			return reportjson.Write(f, r, o.JSONBudget)
		}},
	{File: SummaryFile, For: "for the GitHub job summary (at most 1 MiB)",
		Render: func(r *model.Report, o Options) ([]byte, error) { s, err := Summary(r, o); return []byte(s), err }},
	{File: CommentFile, For: "for the PR comment (at most 65,536 characters, marker included)",
		Render: func(r *model.Report, o Options) ([]byte, error) { s, err := Comment(r, o); return []byte(s), err }},
	{File: ResultsFile, For: "the test results, normalised",
		Render: func(r *model.Report, o Options) ([]byte, error) {
			b, err := json.MarshalIndent(r.Tests, "", "  ")
			return append(b, '\n'), err
		}},
}

// Files are the outputs' file names (the bundle's file index leaves them out).
func Files() map[string]bool {
	out := map[string]bool{}
	for _, o := range Outputs {
		out[o.File] = true
	}
	return out
}

// WriteAll renders every output into outDir. It stops, writing nothing, when ctx ends.
func WriteAll(ctx context.Context, outDir string, r *model.Report, o Options) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if o.View == nil {
		o.View = view.Build(r) // once, for every output
	}
	done := make([][]byte, len(Outputs))
	streamed := make([]*os.File, len(Outputs)) // temporary files, renamed into place at the end
	defer func() {
		for _, f := range streamed {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}
	}()
	// The renderers only read r, so they run side by side; a conversion runs right after
	// the output it converts.
	g, gctx := errgroup.WithContext(ctx)
	for i, out := range Outputs {
		switch {
		case out.Write != nil:
			f, err := os.CreateTemp(outDir, "."+out.File+".tmp-*")
			if err != nil {
				return err
			}
			streamed[i] = f
			g.Go(func() error {
				if err := out.Write(f, r, o); err != nil {
					return fmt.Errorf("%s: %w", out.File, err)
				}
				return gctx.Err()
			})
		case out.Render != nil:
			g.Go(func() error { return render(gctx, i, r, o, done) })
		}
	}
	// A cancelled render returns at once; the renderers still running only write into
	// done and their temporary files, which are then never read.
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
	for i, out := range Outputs {
		path := filepath.Join(outDir, out.File)
		if f := streamed[i]; f != nil {
			if err := f.Chmod(0o644); err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), path); err != nil {
				return fmt.Errorf("write %s: %w", out.File, err)
			}
			streamed[i] = nil
			continue
		}
		if err := bundle.WriteFileAtomic(path, done[i]); err != nil {
			return fmt.Errorf("write %s: %w", out.File, err)
		}
	}
	return nil
}

// render makes output i, then the outputs converted from it.
func render(ctx context.Context, i int, r *model.Report, o Options, done [][]byte) (err error) {
	out := Outputs[i]
	if done[i], err = out.Render(r, o); err != nil {
		return fmt.Errorf("%s: %w", out.File, err)
	}
	for j, conv := range Outputs {
		if conv.From != out.File {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if done[j], err = conv.Convert(done[i], r, o); err != nil {
			return fmt.Errorf("%s: %w", conv.File, err)
		}
	}
	return ctx.Err()
}
