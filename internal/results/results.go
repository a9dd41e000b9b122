// Package results reads test results — JUnit XML in its real-world variants (gotestsum,
// go-junit-report, Ginkgo, jest-junit, pytest and pytest-xdist, Maven Surefire), `go test
// -json` streams and Ginkgo v2 JSON reports — into one normalised list of cases, with
// retried tests that failed and then passed reported as flaky.
package results

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/metrics"
)

// Status of a test case.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Error   Status = "error" // the test could not run properly (JUnit <error>, a panic, a setup failure)
	Skipped Status = "skipped"
	Flaky   Status = "flaky" // failed, then passed on a retry
)

// Failing reports statuses that fail a run.
func (s Status) Failing() bool { return s == Failed || s == Error }

// Case is one test case.
type Case struct {
	Shard     string        `json:"shard,omitempty"` // the matrix leg it ran in (merged reports)
	Suite     string        `json:"suite"`
	Classname string        `json:"classname,omitempty"`
	Name      string        `json:"name"`
	Status    Status        `json:"status"`
	Duration  time.Duration `json:"durationNs"`
	Start     time.Time     `json:"start,omitzero"`
	Message   string        `json:"message,omitempty"` // the failure's short message
	Details   string        `json:"details,omitempty"` // failure body or captured output (capped)
	File      string        `json:"file,omitempty"`
	Line      int           `json:"line,omitempty"`
	Attempts  int           `json:"attempts"`
	Source    string        `json:"source"` // the results file
	Format    string        `json:"format"`
	History   *History      `json:"history,omitempty"` // what the base branch's earlier runs say (with a history store)
}

// History is what the base branch's recorded runs say about a failure: new (it never
// failed there), failing (it has failed there since a commit) or flaky (both outcomes).
type History struct {
	State    string `json:"state"`           // new, failing, flaky
	Since    string `json:"since,omitempty"` // first commit of the current failing streak
	Runs     int    `json:"runs"`            // base runs in the window
	Failures int    `json:"failures"`        // of which it failed (or, for a finding, showed up) in
}

// Label is the state as the reports and investigate print it: "new", "failing since
// abc1234 (6 of 20 runs)", "flaky (3 of 20 runs)"; "" for none.
func (h *History) Label() string {
	if h == nil {
		return ""
	}
	switch h.State {
	case "failing":
		if h.Since != "" {
			return fmt.Sprintf("failing since %s (%d of %d runs)", h.Since, h.Failures, h.Runs)
		}
		return fmt.Sprintf("failing (%d of %d runs)", h.Failures, h.Runs)
	case "flaky":
		return fmt.Sprintf("flaky (%d of %d runs)", h.Failures, h.Runs)
	case "new":
		return "new"
	}
	return ""
}

// ID identifies a test across retries.
func (c Case) ID() string { return c.Suite + "\x00" + c.Classname + "\x00" + c.Name }

// End is when the case finished, if its start is known.
func (c Case) End() time.Time {
	if c.Start.IsZero() {
		return time.Time{}
	}
	return c.Start.Add(c.Duration)
}

// Source is one results file and how it went.
type Source struct {
	Path   string `json:"path"`
	Format string `json:"format,omitempty"`
	Cases  int    `json:"cases"`
	Error  string `json:"error,omitempty"`
}

// Results is every case from every source.
type Results struct {
	Cases   []Case   `json:"cases"`
	Sources []Source `json:"sources"`
	// Metrics the files measured (Ginkgo report entries, go test -bench lines); the
	// report lists them among its metrics.
	Metrics []metrics.Metric `json:"-"`
}

// Counts by status.
func (r *Results) Counts() map[Status]int {
	m := map[Status]int{}
	for _, c := range r.Cases {
		m[c.Status]++
	}
	return m
}

// MaxDetails caps a case's output as reports show it, cut by CapDetails after the
// report is scrubbed of secrets; parsers keep four times as much (rawDetails), so a
// secret that straddles the shown cut is still whole when it is scrubbed.
const (
	MaxDetails = 16 * 1024
	rawDetails = 4 * MaxDetails
	maxDetails = rawDetails // what parsers keep
)

// capText is what a parser keeps of a case's output: at most rawDetails bytes, cut on a
// rune boundary.
func capText(s string) string { return cut(strings.TrimSpace(s), rawDetails) }

// CapDetails cuts a scrubbed case output to MaxDetails bytes on a rune boundary.
func CapDetails(s string) string { return cut(s, MaxDetails) }

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "\n[… cut]"
}

// Expand turns paths and globs into files (directories: every file inside). A pattern
// that matches nothing is reported as a source with an error.
func Expand(patterns []string) ([]string, []Source) {
	var files []string
	var bad []Source
	seen := map[string]bool{}
	for _, p := range patterns {
		matches, err := filepath.Glob(p)
		if err != nil || len(matches) == 0 {
			bad = append(bad, Source{Path: p, Error: "no file matches this path or pattern"})
			continue
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				bad = append(bad, Source{Path: m, Error: err.Error()})
				continue
			}
			if info.IsDir() {
				entries, _ := os.ReadDir(m)
				for _, e := range entries {
					if !e.IsDir() {
						f := filepath.Join(m, e.Name())
						if !seen[f] {
							seen[f] = true
							files = append(files, f)
						}
					}
				}
				continue
			}
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, bad
}

// MaxFile is the largest results file read.
const MaxFile = 256 << 20

// Input is one results file: its name (for messages) and how to read it.
type Input struct {
	Path string
	Read func() ([]byte, error)
}

// ParseFiles reads every file (only regular files, at most MaxFile bytes each).
func ParseFiles(files []string) *Results {
	var in []Input
	for _, f := range files {
		in = append(in, Input{Path: f, Read: func() ([]byte, error) { return bundle.ReadRegular(f, MaxFile) }})
	}
	r, _ := Parse(context.Background(), in)
	return r
}

// Parse reads every input; one that cannot be read or parsed becomes a Source with an
// error naming it, and the others are still read. It stops early only when ctx ends.
func Parse(ctx context.Context, inputs []Input) (*Results, error) {
	r := &Results{Cases: []Case{}}
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src := Source{Path: in.Path}
		cases, format, measured, err := parseInput(ctx, in)
		r.Metrics = append(r.Metrics, measured...)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		src.Format, src.Cases = format, len(cases)
		if err != nil {
			src.Error = err.Error()
		}
		r.Sources = append(r.Sources, src)
		r.Cases = append(r.Cases, cases...)
	}
	r.Cases = MergeRetries(r.Cases)
	return r, nil
}

func parseInput(ctx context.Context, in Input) ([]Case, string, []metrics.Metric, error) {
	b, err := in.Read()
	if err != nil {
		return nil, "", nil, err
	}
	var measured []metrics.Metric
	switch format := Detect(b); format {
	case "ginkgo-json":
		measured = GinkgoMetrics(b)
	case "go-test-json", "go-test-text":
		measured = BenchMetrics(b, format == "go-test-json")
	}
	for i := range measured {
		measured[i].Source += " (" + in.Path + ")"
	}
	cases, format, err := parseCases(ctx, in.Path, b)
	return cases, format, measured, err
}

func parseCases(ctx context.Context, path string, b []byte) ([]Case, string, error) {
	var err error
	format := Detect(b)
	var cases []Case
	switch format {
	case "junit":
		cases, err = parseJUnit(ctx, b)
	case "ginkgo-json":
		cases, err = ParseGinkgoJSON(b)
	case "go-test-json":
		cases, err = ParseGoTestJSON(bytes.NewReader(b))
	case "go-test-text":
		cases, err = ParseGoTestText(b)
	default:
		return nil, "", fmt.Errorf("%s: not a results file ci-report knows (JUnit XML, go test -json or -v output, Ginkgo JSON report)", path)
	}
	for i := range cases {
		cases[i].Source, cases[i].Format = path, format
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return cases, format, err
}

// Detect names a results file's format from its content.
func Detect(b []byte) string {
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(t, []byte("<")):
		return "junit"
	case bytes.HasPrefix(t, []byte("[")) && bytes.Contains(t[:min(len(t), 4096)], []byte(`"SuiteDescription"`)):
		return "ginkgo-json"
	case bytes.HasPrefix(t, []byte("{")) && bytes.Contains(t[:min(len(t), 4096)], []byte(`"Action"`)):
		return "go-test-json"
	case goTestText().Match(t[:min(len(t), 64<<10)]):
		return "go-test-text"
	}
	return ""
}

// MergeRetries folds repeated runs of one test into one case: failed then passed is
// flaky; failed every time is failed (or error), with the attempts counted.
func MergeRetries(cases []Case) []Case {
	type group struct {
		first int
		runs  []Case
	}
	groups := map[string]*group{}
	var order []string
	for i, c := range cases {
		g, ok := groups[c.ID()]
		if !ok {
			g = &group{first: i}
			groups[c.ID()] = g
			order = append(order, c.ID())
		}
		g.runs = append(g.runs, c)
	}
	out := make([]Case, 0, len(order))
	for _, id := range order {
		runs := groups[id].runs
		merged := runs[len(runs)-1]
		attempts := 0
		var passed, failed bool
		var lastFail *Case
		for i := range runs {
			n := runs[i].Attempts
			if n == 0 {
				n = 1
			}
			attempts += n
			switch {
			case runs[i].Status == Passed || runs[i].Status == Flaky:
				passed = true
				if runs[i].Status == Flaky {
					failed = true
					lastFail = &runs[i]
				}
			case runs[i].Status.Failing():
				failed = true
				lastFail = &runs[i]
			}
		}
		merged.Attempts = attempts
		switch {
		case passed && failed:
			merged.Status = Flaky
		case failed:
			merged.Status = lastFail.Status
		}
		if lastFail != nil {
			merged.Message, merged.Details = lastFail.Message, lastFail.Details
			if merged.File == "" {
				merged.File, merged.Line = lastFail.File, lastFail.Line
			}
		}
		if merged.Start.IsZero() || (!runs[0].Start.IsZero() && runs[0].Start.Before(merged.Start)) {
			if !runs[0].Start.IsZero() {
				end := merged.End()
				merged.Start = runs[0].Start
				if !end.IsZero() {
					merged.Duration = end.Sub(merged.Start)
				}
			}
		}
		out = append(out, merged)
	}
	return out
}

// SortForReport orders cases: failing first, then flaky, then the rest, each by suite and name.
func SortForReport(cases []Case) {
	rank := map[Status]int{Error: 0, Failed: 0, Flaky: 1, Skipped: 3, Passed: 2}
	sort.SliceStable(cases, func(i, j int) bool {
		a, b := cases[i], cases[j]
		if rank[a.Status] != rank[b.Status] {
			return rank[a.Status] < rank[b.Status]
		}
		if a.Suite != b.Suite {
			return a.Suite < b.Suite
		}
		return a.Name < b.Name
	})
}
