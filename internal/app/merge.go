package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// Shard is one matrix leg's bundle or rendered report, and its name in the merge.
type Shard struct {
	Dir, Name string
}

// Merge reads the shards (their report.json, else their bundle; a history digest
// artifact among them is skipped), merges them into one report written to out, and
// returns it with the path of its REPORT.md. Every shard is someone else's output: it is
// scrubbed with rd. ErrUsage when no shard is a bundle.
func (s *Service) Merge(ctx context.Context, shards []Shard, out string, rd *redact.Redactor) (*model.Report, string, error) {
	var reports []*model.Report
	var names []string
	for _, sh := range shards {
		dir := sh.Dir
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			return nil, "", fmt.Errorf("bundle %s: not a directory (a shard's bundle or rendered report): %v", dir, err)
		}
		if historyDigestOnly(dir) {
			// The action's ci-report-history-… artifact, downloaded with the bundles.
			s.log().Info("not a bundle: a history digest artifact; skipped", "dir", dir)
			continue
		}
		r, err := reportjson.Read(dir)
		switch {
		case err == nil:
		case bundle.IsBundle(dir):
			s.log().Debug("no usable report.json; rendering the shard's bundle", "dir", dir, "err", err)
			readErr := err
			if r, err = s.Load(ctx, Source{Dir: dir}, model.Options{Redactor: rd}); err != nil {
				return nil, "", fmt.Errorf("bundle %s: %w", dir, err)
			}
			if !errors.Is(readErr, fs.ErrNotExist) {
				r.Gaps = append(r.Gaps, bundle.Gap{Collector: "merge", Error: readErr.Error() + "; rendered the shard's bundle instead"})
			}
		default:
			// No report this ci-report can read and no bundle: unknown, never passed.
			s.log().Warn("shard unreadable", "dir", dir, "err", err)
			r = model.Unreadable(sh.Name, err)
		}
		r.Redact(rd)
		reports = append(reports, r)
		names = append(names, sh.Name)
	}
	if len(reports) == 0 {
		return nil, "", fmt.Errorf("%w: no bundle among the %d directories given (only history digests)", ErrUsage, len(shards))
	}
	m := model.Merge(names, reports)
	m.Bundle = out
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, "", err
	}
	if err := render.WriteAll(ctx, out, m, render.Options{Marker: prcomment.Marker(ghactions.Key(s.getenv))}); err != nil {
		return nil, "", err
	}
	s.log().Info("merged", "shards", len(reports), "findings", len(m.Findings), "status", m.Status.Level)
	return m, filepath.Join(out, render.ReportFile), nil
}

// historyDigestOnly: the directory is a history digest artifact (its digest file, no
// report.json, no bundle), not a shard.
func historyDigestOnly(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, history.DigestFile))
	if err != nil || !fi.Mode().IsRegular() || bundle.IsBundle(dir) {
		return false
	}
	_, err = os.Lstat(filepath.Join(dir, "report.json"))
	return errors.Is(err, fs.ErrNotExist)
}
