package collect

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

func (r *run) objectsCollected() int {
	n := 0
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if rec.c.Name != "cluster" {
			n += rec.c.Objects
		}
	}
	return n
}

func (r *run) writeManifest() error {
	m := r.manifest
	m.FinishedAt = r.opts.Now().UTC()
	m.DurationMs = m.FinishedAt.Sub(m.StartedAt).Milliseconds()
	m.Redactions = r.opts.Redactor.Counts()
	r.mu.Lock()
	m.Collectors = nil
	m.Gaps = nil
	for _, rec := range r.recs {
		rec.mu.Lock()
		c := *rec.c
		rec.mu.Unlock()
		sort.Strings(c.Files)
		m.Collectors = append(m.Collectors, &c)
		if c.Status == bundle.StatusSkipped {
			continue // nothing to collect is not a gap
		}
		for _, e := range c.Errors {
			m.Gaps = append(m.Gaps, bundle.Gap{Collector: c.Name, Error: e})
		}
	}
	r.mu.Unlock()
	m.BytesWritten = r.dir.BytesWritten()
	if m.Gaps == nil {
		m.Gaps = []bundle.Gap{}
	}
	_, err := r.dir.WriteJSON(bundle.ManifestFile, m)
	return err
}

// record tracks one collector for the manifest.
type record struct {
	mu    sync.Mutex
	c     *bundle.Collector
	start time.Time
	log   *slog.Logger
}

func (r *run) newRecord(name string) *record {
	rec := &record{c: &bundle.Collector{Name: name, Status: bundle.StatusOK}, start: time.Now(), log: r.log}
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
	return rec
}

// errorf records a failed item; the collector becomes partial.
func (rec *record) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.c.Errors) < 200 {
		rec.c.Errors = append(rec.c.Errors, msg)
	} else if len(rec.c.Errors) == 200 {
		rec.c.Errors = append(rec.c.Errors, "(more errors omitted)")
	}
	if rec.c.Status == bundle.StatusOK {
		rec.c.Status = bundle.StatusPartial
	}
}

func (rec *record) fail(err error) {
	rec.mu.Lock()
	rec.c.Errors = append(rec.c.Errors, err.Error())
	rec.c.Status = bundle.StatusFailed
	rec.c.DurationMs = time.Since(rec.start).Milliseconds()
	rec.mu.Unlock()
}

func (rec *record) skip(reason string) {
	rec.mu.Lock()
	rec.c.Status = bundle.StatusSkipped
	rec.c.Errors = append(rec.c.Errors, reason)
	rec.mu.Unlock()
}

func (rec *record) add(objects int, bytes int64, files ...string) {
	rec.mu.Lock()
	rec.c.Objects += objects
	rec.c.Bytes += bytes
	rec.c.Files = append(rec.c.Files, files...)
	rec.mu.Unlock()
}

func (rec *record) truncated(file, reason string) {
	rec.mu.Lock()
	rec.c.Truncations = append(rec.c.Truncations, bundle.Truncation{File: file, Reason: reason})
	rec.mu.Unlock()
}

func (rec *record) redacted(kind string, n int) {
	if n == 0 {
		return
	}
	rec.mu.Lock()
	if rec.c.Redactions == nil {
		rec.c.Redactions = map[string]int{}
	}
	rec.c.Redactions[kind] += n
	rec.mu.Unlock()
}

// done closes the record: a collector whose every item failed is failed, not partial.
func (rec *record) done() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.c.DurationMs = time.Since(rec.start).Milliseconds()
	if rec.c.Status == bundle.StatusPartial && rec.c.Objects == 0 && len(rec.c.Files) == 0 {
		rec.c.Status = bundle.StatusFailed
	}
	rec.log.Info("collected", "collector", rec.c.Name, "status", rec.c.Status, "objects", rec.c.Objects,
		"bytes", rec.c.Bytes, "errors", len(rec.c.Errors), "took", time.Duration(rec.c.DurationMs)*time.Millisecond)
}
