package model

import (
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// bundleLogs gives the detectors the bundle's container logs: the tails already read
// (and scrubbed), and windows around a time read from the log files and scrubbed whole.
type bundleLogs struct {
	br    *bundle.Reader
	tails []LogTail
	rd    *redact.Redactor
}

func (l bundleLogs) Tail(ns, pod, ctr string, previous bool, n int) []string {
	for _, t := range l.tails {
		if t.Namespace == ns && t.Pod == pod && t.Container == ctr && t.Previous == previous {
			lines := t.Lines
			if len(lines) > n {
				lines = lines[len(lines)-n:]
			}
			out := make([]string, len(lines))
			for i, line := range lines {
				out[i] = line.Text
			}
			return out
		}
	}
	return nil
}

func (l bundleLogs) Around(ns, pod, ctr string, at time.Time, before, after int) []string {
	return scrubLines(l.rd, linesAround(l.br, bundle.LogPath(ns, pod, ctr, false), at, before, after, 64<<20))
}

// objectFiles names the file that holds each custom resource type's objects, as the
// manifest records what collect wrote; "" (resources.json) for any other.
func objectFiles(m *bundle.Manifest) func(apiVersion, kind string) string {
	files := map[string]string{}
	if m != nil {
		for _, t := range m.Types {
			files[t.APIVersion+"/"+t.Kind] = t.File
		}
	}
	return func(apiVersion, kind string) string { return files[apiVersion+"/"+kind] }
}
