package app

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/query"
)

// QueryOptions open a run for queries: a bundle (a directory, a bundle artifact's zip,
// or an fs.FS) or, with Collect set, the live cluster read into a temporary bundle.
type QueryOptions struct {
	Source  Source
	Collect *collect.Options // live: how to read the cluster (its OutputDir is ignored)
	Load    model.Options
	History HistoryOptions // labels only: a query never records a run
}

// OpenRun reads a run for queries: the analysed report (labelled against the history
// when a store is given) and the bundle's confined reader. close releases what it holds
// (the zip, the live snapshot's directory).
func (s *Service) OpenRun(ctx context.Context, o QueryOptions) (run *query.Run, close func() error, err error) {
	var closers []func() error
	close = func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	src, label := o.Source, "bundle "+o.Source.name()
	if o.Collect != nil {
		tmp, err := os.MkdirTemp("", "ci-report-live-")
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, func() error { return os.RemoveAll(tmp) })
		co := *o.Collect
		co.OutputDir = tmp
		if _, err := collect.Run(ctx, co); err != nil {
			return nil, nil, err
		}
		src, label = Source{Dir: tmp}, "live cluster"
		if co.Context != "" {
			label += " " + co.Context
		}
	}
	var br *bundle.Reader
	switch st, statErr := os.Stat(src.Dir); {
	case src.FS != nil:
		br = bundle.NewReader(src.FS, src.Name)
	case statErr != nil:
		return nil, nil, fmt.Errorf("bundle %s: %v (pass a bundle directory or a bundle artifact's .zip)", src.Dir, statErr)
	case st.IsDir():
		if br, err = bundle.OpenReader(src.Dir); err != nil {
			return nil, nil, err
		}
	case strings.HasSuffix(strings.ToLower(src.Dir), ".zip") && st.Mode().IsRegular():
		zr, err := zip.OpenReader(src.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("bundle %s: %v", src.Dir, err)
		}
		closers = append(closers, zr.Close)
		root, err := bundleRoot(zr)
		if err != nil {
			return nil, nil, fmt.Errorf("bundle %s: %v", src.Dir, err)
		}
		src = Source{FS: root, Name: src.Dir}
		br = bundle.NewReader(root, src.Dir)
	default:
		return nil, nil, fmt.Errorf("bundle %s: not a directory or a .zip file", src.Dir)
	}
	closers = append(closers, br.Close)
	r, err := s.Load(ctx, src, o.Load)
	if err != nil {
		return nil, nil, err
	}
	if o.History.Redactor == nil {
		o.History.Redactor = o.Load.Redactor
	}
	s.ApplyHistory(ctx, r, o.History, history.Digest{Repo: s.HistoryMeta("", "", "").Repo, Key: s.Key()})
	s.log().Info("run opened for queries", "source", label, "findings", len(r.Findings), "failedTests", len(r.FailedTests))
	return query.New(r, br, o.Load.Redactor, label), close, nil
}

// bundleRoot is the bundle inside an artifact's zip: its root, or its one top directory
// (upload-artifact keeps the directory when several paths were given).
func bundleRoot(zr *zip.ReadCloser) (fs.FS, error) {
	if _, err := fs.Stat(zr, bundle.ManifestFile); err == nil {
		return zr, nil
	}
	entries, err := fs.ReadDir(zr, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := fs.Stat(zr, path.Join(e.Name(), bundle.ManifestFile)); err == nil {
				return fs.Sub(zr, e.Name())
			}
		}
	}
	return nil, fmt.Errorf("no %s at its root or in a top directory: not a ci-report bundle", bundle.ManifestFile)
}
