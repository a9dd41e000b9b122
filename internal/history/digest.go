// Package history is ci-report's memory across runs: a digest of each run (its tests'
// outcomes and its findings' fingerprints), a store of digests (SQLite by default,
// PostgreSQL for an organisation), and the labels a new run gets against the base
// branch's recorded runs: new, failing (since a commit), flaky, fixed.
package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/org/k8s-e2e-report/internal/fingerprint"
	"github.com/org/k8s-e2e-report/internal/model"
)

// DigestFile is the digest's name beside the reports; the action uploads it as an
// artifact of its own.
const DigestFile = "history-digest.json"

// DigestVersion is the digest format's version; a newer one is refused.
const DigestVersion = 1

// MaxDigest bounds a digest file read from disk or an artifact.
const MaxDigest = 16 << 20

// Digest is one run as history keeps it.
type Digest struct {
	Version  int       `json:"version"`
	Repo     string    `json:"repo"`           // owner/name, or "local"
	Key      string    `json:"key"`            // the job: workflow/job/matrix values
	Branch   string    `json:"branch"`         // the branch the run tested
	SHA      string    `json:"sha"`            // the commit it tested
	Tree     string    `json:"tree,omitempty"` // the tree of that commit: equal trees, equal code
	Run      string    `json:"run,omitempty"`  // the CI run's ID (and attempt)
	Time     time.Time `json:"time"`
	Tests    []Test    `json:"tests"`
	Findings []Finding `json:"findings"`
}

// Meta is what a digest says about its run beside the report's content.
type Meta struct {
	Repo, Key, Branch, SHA, Tree, Run string
	Time                              time.Time
}

// Test is one test's outcome; a test is its suite, class and name.
type Test struct {
	Suite      string `json:"suite"`
	Class      string `json:"class,omitempty"`
	Name       string `json:"name"`
	Status     string `json:"status"` // passed, failed, error, skipped, flaky (passed on a retry)
	DurationMs int64  `json:"durationMs"`
	Attempts   int    `json:"attempts"`
}

// Finding is one finding as later runs recognise it.
type Finding struct {
	Fingerprint string `json:"fingerprint"`
	Category    string `json:"category"`
	Subject     string `json:"subject"` // normalised
	Message     string `json:"message"` // the title, normalised
}

// FromReport is the digest of a rendered report.
func FromReport(r *model.Report, m Meta) Digest {
	d := Digest{Version: DigestVersion, Repo: m.Repo, Key: m.Key, Branch: m.Branch, SHA: m.SHA, Tree: m.Tree, Run: m.Run, Time: m.Time.UTC(),
		Tests: []Test{}, Findings: []Finding{}}
	if d.Time.IsZero() {
		d.Time = time.Now().UTC()
	}
	if r.Tests != nil {
		for _, c := range r.Tests.Cases {
			d.Tests = append(d.Tests, Test{Suite: c.Suite, Class: c.Classname, Name: c.Name, Status: string(c.Status),
				DurationMs: c.Duration.Milliseconds(), Attempts: c.Attempts})
		}
	}
	for _, f := range r.Findings {
		d.Findings = append(d.Findings, findingOf(f.Category, f.Subject.String(), f.Title))
	}
	return d
}

func findingOf(category, subject, title string) Finding {
	return Finding{Fingerprint: fingerprint.Of(category, subject, title), Category: category,
		Subject: fingerprint.Normalise(subject), Message: fingerprint.Normalise(title)}
}

// WriteDigest writes d as JSON to path.
func WriteDigest(path string, d Digest) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadDigest reads a digest file: a regular file (not a symlink or FIFO) of at most
// MaxDigest bytes, of a version this ci-report knows.
func ReadDigest(path string) (Digest, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Digest{}, err
	}
	if !fi.Mode().IsRegular() {
		return Digest{}, fmt.Errorf("digest %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, err
	}
	defer f.Close()
	d, err := DecodeDigest(f)
	if err != nil {
		return Digest{}, fmt.Errorf("digest %s: %w", path, err)
	}
	return d, nil
}

// DecodeDigest reads one digest from r, bounded and checked.
func DecodeDigest(r io.Reader) (Digest, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxDigest+1))
	if err != nil {
		return Digest{}, err
	}
	return DecodeDigestBytes(b)
}

// DecodeDigestBytes is DecodeDigest of a digest already in memory (not copied again).
func DecodeDigestBytes(b []byte) (Digest, error) {
	if len(b) > MaxDigest {
		return Digest{}, fmt.Errorf("larger than %d MiB", MaxDigest>>20)
	}
	var d Digest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return Digest{}, fmt.Errorf("not a ci-report history digest: %w", err)
	}
	return d, d.check()
}

func (d Digest) check() error {
	switch {
	case d.Version == 0:
		return errors.New("not a ci-report history digest (no version)")
	case d.Version > DigestVersion:
		return fmt.Errorf("digest version %d is newer than this ci-report reads (%d): upgrade ci-report", d.Version, DigestVersion)
	case d.SHA == "" || d.Branch == "":
		return errors.New("digest names no commit or branch")
	case d.Time.IsZero():
		return errors.New("digest has no time")
	}
	return nil
}
