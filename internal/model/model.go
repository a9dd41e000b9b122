// Package model reads a bundle directory (offline: it never talks to a cluster), test
// results and metrics into one Report that every renderer works from.
package model

import (
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// OperatorAction is an operator log line parsed into an action.
type OperatorAction = opactions.Action

// Report is everything the renderers show.
type Report struct {
	Bundle      string             `json:"bundle"`
	Manifest    *bundle.Manifest   `json:"manifest,omitempty"`
	Status      Status             `json:"status"`
	Findings    []findings.Finding `json:"findings"`
	FailedTests []FailedTest       `json:"failedTests"`
	Timeline    []timeline.Entry   `json:"timeline"`
	// Phases are the pods' phases as intervals (timeline.SourcePhase), for the page's lanes;
	// the text timelines and report.json leave them out.
	Phases          []timeline.Entry   `json:"-"`
	Pods            []PodRow           `json:"pods"`
	Tests           *results.Results   `json:"tests"`
	TestCounts      map[string]int     `json:"testCounts"`
	Metrics         []metrics.Metric   `json:"metrics,omitempty"`
	OperatorActions []opactions.Action `json:"operatorActions"`
	CustomResources []CRType           `json:"customResources"`
	Traces          *TraceSummary      `json:"traces,omitempty"`
	Screenshots     []Screenshot       `json:"screenshots,omitempty"`
	Pages           []bundle.Page      `json:"pages,omitempty"` // console pages and what the browser saw
	Logs            []LogTail          `json:"logs"`
	Errors          []ExtractedError   `json:"errors"`
	Gaps            []bundle.Gap       `json:"gaps"`
	Notes           []bundle.Gap       `json:"notes,omitempty"` // what collect left out by design (skipped collectors and why)
	Files           []File             `json:"files"`
	Shards          []Shard            `json:"shards,omitempty"`
	Cuts            []string           `json:"cuts,omitempty"`    // what was left out to keep an output within its budget
	History         *History           `json:"history,omitempty"` // the base branch's recorded runs, with a history store
	TailStats       TailStats          `json:"-"`
}

// History is what the base branch's recorded runs say about this run as a whole; each
// failed test and finding carries its own label (results.History).
type History struct {
	Base  HistoryBase `json:"base"`
	Fixed []string    `json:"fixed"` // tests that failed in the base branch's latest run and pass here
	// Counts of failed tests (or, with none, of findings) by label.
	New     int    `json:"new"`
	Failing int    `json:"failing"`
	Flaky   int    `json:"flaky"`
	Since   string `json:"since,omitempty"`  // the oldest streak's first failing commit
	Streak  int    `json:"streak,omitempty"` // and its length in runs
	Of      string `json:"of"`               // what the counts count: "tests" or "findings"
	Note    string `json:"note,omitempty"`   // why there are no labels (no history, no access)
	Fetch   string `json:"fetch,omitempty"`  // what refreshing from GitHub left out or why it failed (labels still shown)
	// Recent is, for each labelled failed test (by its case ID) and finding (by its ID),
	// its outcome in each base run, oldest first: "f" failed (a finding: was there), "k"
	// flaky, "p" passed (a finding: absent). The page draws it as a strip of cells.
	Recent map[string]string `json:"recent,omitempty"`
}

// HistoryBase is the window of base-branch runs the labels come from.
type HistoryBase struct {
	Branch string `json:"branch"`
	Runs   int    `json:"runs"`
	Latest string `json:"latest,omitempty"` // the newest run's commit
}

// FailedTest is a failed test with what happened around it.
type FailedTest struct {
	Case     results.Case     `json:"case"`
	Window   [2]time.Time     `json:"window"`
	Findings []string         `json:"findings"` // IDs
	Entries  []timeline.Entry `json:"entries"`
	LogLines []LogLine        `json:"logLines"`
	Traces   []string         `json:"traces,omitempty"` // IDs of traces.json's traces its output names
}

// PodRow is one line of the pod status table.
type PodRow struct {
	Shard     string `json:"shard,omitempty"` // the matrix leg it ran in (merged reports)
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Ready     string `json:"ready"`
	Restarts  int32  `json:"restarts"`
	Reason    string `json:"reason,omitempty"`
	Node      string `json:"node,omitempty"`
	// LastTermination is how a container last ended (the latest, when several did).
	LastTermination *Termination `json:"lastTermination,omitempty"`
	// Deleted is when the pod was deleted during the run (seen by `ci-report watch`); its
	// row is its last observed state.
	Deleted time.Time `json:"deleted,omitzero"`
}

// Healthy is the one rule of a healthy pod, for every output: not deleted, no reason
// given, and running with every container ready, or succeeded.
func (p PodRow) Healthy() bool {
	if !p.Deleted.IsZero() || p.Reason != "" {
		return false
	}
	ready, total, ok := strings.Cut(p.Ready, "/")
	return p.Phase == "Succeeded" || p.Phase == "Running" && ok && ready == total
}

// Termination is how a container run ended.
type Termination struct {
	Container string    `json:"container"`
	Reason    string    `json:"reason"`
	ExitCode  int32     `json:"exitCode"`
	At        time.Time `json:"at,omitzero"`
}

// CRType is one custom resource type's objects with their conditions.
type CRType struct {
	Kind  string   `json:"kind"`
	Items []CRItem `json:"items"`
}

// CRItem is one custom resource.
type CRItem struct {
	Namespace          string      `json:"namespace,omitempty"`
	Name               string      `json:"name"`
	Generation         int64       `json:"generation"`
	ObservedGeneration int64       `json:"observedGeneration"`
	Conditions         []Condition `json:"conditions"`
}

// Stale reports a status written for an older spec (kube.Stale).
func (c CRItem) Stale() bool { return kube.Stale(c.Generation, c.ObservedGeneration) }

// Condition is a status condition.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                time.Time
	Where                         string `json:",omitempty"` // the parent or listener a nested condition belongs to
}

// Screenshot is an image in the bundle.
type Screenshot struct {
	Path   string    `json:"path"`
	Title  string    `json:"title"`
	Type   string    `json:"type,omitempty"` // from the image's bytes
	URL    string    `json:"url,omitempty"`  // the page it shows, when pages.json names it
	Status int       `json:"status,omitempty"`
	Errors int       `json:"errors,omitempty"` // console errors and failed requests on that page
	Failed bool      `json:"failed,omitempty"` // the page could not be captured whole (an error, a timeout)
	At     time.Time `json:"at,omitzero"`      // when the page was opened
	Data   []byte    `json:"-"`
}

// LogLine is one log line with its parsed time and level.
type LogLine struct {
	Time    time.Time `json:"time,omitzero"`
	Text    string    `json:"text"`
	Level   string    `json:"level,omitempty"`   // "error" or "warning" when it looks like one
	File    string    `json:"file,omitempty"`    // in a failed test's window; a tail's lines are its File's
	TraceID string    `json:"traceID,omitempty"` // a trace of traces.json the line names
}

// LogTail is the end of one container log.
type LogTail struct {
	Service   string `json:"service"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Previous  bool   `json:"previous"`
	File      string `json:"file"`
	Size      int64  `json:"size"`
	More      bool   `json:"more"` // the file holds more than the tail
	// Healthy: the container runs ready and never restarted (or an init container
	// finished with 0), in a pod that is not failing. Its tail keeps only its last
	// HealthyTailLines lines and the error and warning lines before them; Omitted
	// counts the lines of the tail window left out.
	Healthy bool      `json:"healthy,omitempty"`
	Omitted int       `json:"omitted,omitempty"`
	Lines   []LogLine `json:"lines"`
}

// HealthyTailLines is how many last lines a healthy container's tail keeps.
const HealthyTailLines = 20

// Errors returns the tail's error and warning lines.
func (t LogTail) Errors() []LogLine {
	var out []LogLine
	for _, l := range t.Lines {
		if l.Level != "" {
			out = append(out, l)
		}
	}
	return out
}

// ExtractedError is a distinct error line across logs, with a count.
type ExtractedError struct {
	Text    string   `json:"text"`
	Level   string   `json:"level"`
	Count   int      `json:"count"`
	Sources []string `json:"sources"`
}

// File is one file of the bundle.
type File struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// Options for Load.
type Options struct {
	Results   []string // files (already expanded)
	Missing   []results.Source
	Metrics   string
	TailLines int              // per log; default 200
	Redactor  *redact.Redactor // scrubs every string of the report; nil: none (tests only)
	Outputs   map[string]bool  // files rendered into the bundle, left out of its file index
}
