package view

import (
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/loglines"
)

// KeyEvidence keeps n lines of a finding's evidence: from just before the first line
// that says why (a panic, a fatal error), else the first ones.
func KeyEvidence(ev []string, n int) []string {
	if len(ev) <= n {
		return ev
	}
	start := 0
	if i := loglines.Telling(ev); i >= 0 {
		start = max(0, min(i-1, len(ev)-n))
	}
	return ev[start : start+n]
}

// OpenNext is the bundle file an agent should open first for a finding: the log that
// shows the failure (a previous log for a crash), else the first file it names.
func OpenNext(refs []string) string {
	for _, r := range refs {
		if strings.HasSuffix(r, ".previous.log") {
			return r
		}
	}
	for _, r := range refs {
		if strings.HasSuffix(r, ".log") {
			return r
		}
	}
	if len(refs) > 0 {
		return refs[0]
	}
	return ""
}

// BundlePaths keeps the paths that stay inside the bundle, bundle-relative: an agent is
// never told to open ../../var/log/auth.log or an absolute path a page named.
func BundlePaths(refs []string) []string {
	var out []string
	for _, r := range refs {
		if p, err := bundle.RelPath(r); err == nil {
			out = append(out, p)
		}
	}
	return out
}
