package model

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// Load reads a bundle. Missing or unreadable files become gaps; only an unreadable
// bundle directory is an error. Every read is confined to the bundle (see
// bundle.Reader), and every string that reaches the report is scrubbed of secrets.
//
// A cancelled ctx returns at once: the reading goes on in the background only until
// it next checks ctx, so a huge input cannot hold a cancelled job.
func Load(ctx context.Context, dir string, o Options) (*Report, error) {
	return loadWith(ctx, dir, o, func() (*bundle.Reader, error) {
		br, err := bundle.OpenReader(dir)
		if err != nil {
			return nil, fmt.Errorf("bundle directory %s: not readable (run `ci-report collect` first or pass the bundle directory): %v", dir, err)
		}
		return br, nil
	})
}

// LoadFS is Load of a bundle in fsys (a bundle artifact's zip, say, read without
// unpacking it), named name in the report and its messages. --results files and the
// other paths Options names are still read from the file system.
func LoadFS(ctx context.Context, fsys fs.FS, name string, o Options) (*Report, error) {
	return loadWith(ctx, name, o, func() (*bundle.Reader, error) { return bundle.NewReader(fsys, name), nil })
}

func loadWith(ctx context.Context, name string, o Options, open func() (*bundle.Reader, error)) (*Report, error) {
	type result struct {
		r   *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := load(ctx, name, o, open)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
