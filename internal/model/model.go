// Package model reads a bundle directory (offline: it never talks to a cluster), test
// results and metrics into one Report that every renderer works from.
package model

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// OperatorAction is an operator log line parsed into an action.
type OperatorAction = opactions.Action

// Version of report.json.
const Version = 1

// Report is everything the renderers show.
type Report struct {
	Version         int                `json:"version"`
	Bundle          string             `json:"bundle"`
	Manifest        *bundle.Manifest   `json:"manifest,omitempty"`
	Status          Status             `json:"status"`
	Findings        []findings.Finding `json:"findings"`
	FailedTests     []FailedTest       `json:"failedTests"`
	Timeline        []timeline.Entry   `json:"timeline"`
	Pods            []PodRow           `json:"pods"`
	Tests           *results.Results   `json:"tests"`
	TestCounts      map[string]int     `json:"testCounts"`
	Metrics         []metrics.Metric   `json:"metrics,omitempty"`
	OperatorActions []opactions.Action `json:"operatorActions"`
	CustomResources []CRType           `json:"customResources"`
	Traces          *TraceSummary      `json:"traces,omitempty"`
	Screenshots     []Screenshot       `json:"screenshots,omitempty"`
	Logs            []LogTail          `json:"logs"`
	Errors          []ExtractedError   `json:"errors"`
	Gaps            []bundle.Gap       `json:"gaps"`
	Files           []File             `json:"files"`
	Shards          []Shard            `json:"shards,omitempty"`
	TailStats       TailStats          `json:"-"`
}

// Status is the one-line verdict.
type Status struct {
	Level string `json:"level"` // "passed", "warning" or "failed"
	Line  string `json:"line"`
}

// FailedTest is a failed test with what happened around it.
type FailedTest struct {
	Case     results.Case     `json:"case"`
	Window   [2]time.Time     `json:"window"`
	Findings []string         `json:"findings"` // IDs
	Entries  []timeline.Entry `json:"entries"`
	LogLines []LogLine        `json:"logLines"`
}

// PodRow is one line of the pod status table.
type PodRow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Ready     string `json:"ready"`
	Restarts  int32  `json:"restarts"`
	Reason    string `json:"reason,omitempty"`
	Node      string `json:"node,omitempty"`
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

// Condition is a status condition.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                time.Time
}

// TraceSummary summarises traces.json when present.
type TraceSummary struct {
	Traces     int             `json:"traces"`
	Spans      int             `json:"spans"`
	ErrorSpans []findings.Span `json:"errorSpans,omitempty"`
	Services   map[string]int  `json:"services"`
}

// Screenshot is an image in the bundle.
type Screenshot struct {
	Path  string `json:"path"`
	Title string `json:"title"`
}

// LogLine is one log line with its parsed time and level.
type LogLine struct {
	Time  time.Time `json:"time,omitzero"`
	Text  string    `json:"text"`
	Level string    `json:"level,omitempty"` // "error" or "warning" when it looks like one
	File  string    `json:"file,omitempty"`
}

// LogTail is the end of one container log.
type LogTail struct {
	Service   string    `json:"service"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Previous  bool      `json:"previous"`
	File      string    `json:"file"`
	Size      int64     `json:"size"`
	More      bool      `json:"more"` // the file holds more than the tail
	Lines     []LogLine `json:"lines"`
}

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
	TailLines int // per log; default 200
}

// Load reads a bundle. Missing or unreadable files become gaps; only an unreadable
// bundle directory is an error.
func Load(dir string, o Options) (*Report, error) {
	if o.TailLines <= 0 {
		o.TailLines = 200
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("bundle directory %s: not readable (run `ci-report collect` first or pass --bundle): %v", dir, err)
	}
	r := &Report{Version: Version, Bundle: dir, Gaps: []bundle.Gap{}}
	gap := func(what string, err error) { r.Gaps = append(r.Gaps, bundle.Gap{Collector: what, Error: err.Error()}) }

	if m, err := bundle.ReadManifest(dir); err == nil {
		r.Manifest = m
		r.Gaps = append(r.Gaps, m.Gaps...)
	} else {
		gap("render", fmt.Errorf("%s: %v", bundle.ManifestFile, err))
	}

	in := &findings.Input{}
	objs, err := readList(filepath.Join(dir, bundle.ResourcesJSON))
	if err != nil && !os.IsNotExist(err) {
		gap("render", fmt.Errorf("%s: %v", bundle.ResourcesJSON, err))
	}
	for i := range objs {
		u := &objs[i]
		switch u.GetAPIVersion() + "/" + u.GetKind() {
		case "v1/Pod":
			var p corev1.Pod
			if convert(u, &p) {
				in.Pods = append(in.Pods, p)
			}
		case "apps/v1/Deployment":
			var d appsv1.Deployment
			if convert(u, &d) {
				in.Deployments = append(in.Deployments, d)
			}
		case "apps/v1/ReplicaSet":
			var rs appsv1.ReplicaSet
			if convert(u, &rs) {
				in.ReplicaSets = append(in.ReplicaSets, rs)
			}
		case "batch/v1/Job":
			var j batchv1.Job
			if convert(u, &j) {
				in.Jobs = append(in.Jobs, j)
			}
		case "v1/PersistentVolumeClaim":
			var pvc corev1.PersistentVolumeClaim
			if convert(u, &pvc) {
				in.PVCs = append(in.PVCs, pvc)
			}
		default:
			if _, has, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); has {
				in.Objects = append(in.Objects, *u)
			}
		}
	}
	if err := readJSON(filepath.Join(dir, bundle.EventsJSON), &in.Events); err != nil && !os.IsNotExist(err) {
		gap("render", fmt.Errorf("%s: %v", bundle.EventsJSON, err))
	}
	if err := readJSON(filepath.Join(dir, bundle.OperatorActionsJSON), &in.Actions); err != nil && !os.IsNotExist(err) {
		gap("render", fmt.Errorf("%s: %v", bundle.OperatorActionsJSON, err))
	}
	r.OperatorActions = in.Actions
	if r.OperatorActions == nil {
		r.OperatorActions = []opactions.Action{}
	}
	if err := readJSON(filepath.Join(dir, bundle.TimelineJSON), &r.Timeline); err != nil && !os.IsNotExist(err) {
		gap("render", fmt.Errorf("%s: %v", bundle.TimelineJSON, err))
	}

	// Test results: the files given, and any the bundle carries under results/.
	files := append([]string(nil), o.Results...)
	if bundled, _ := filepath.Glob(filepath.Join(dir, "results", "*")); len(bundled) > 0 {
		files = append(files, bundled...)
	}
	r.Tests = results.ParseFiles(files)
	r.Tests.Sources = append(r.Tests.Sources, o.Missing...)
	for _, s := range r.Tests.Sources {
		if s.Error != "" {
			gap("results", fmt.Errorf("%s", s.Error))
		}
	}
	results.SortForReport(r.Tests.Cases)
	in.Tests = r.Tests.Cases
	r.TestCounts = map[string]int{}
	for k, v := range r.Tests.Counts() {
		r.TestCounts[string(k)] = v
	}
	if o.Metrics != "" {
		ms, err := metrics.Load(o.Metrics)
		if err != nil {
			gap("metrics", err)
		}
		r.Metrics, in.Metrics = ms, ms
	}
	r.Traces = loadTraces(dir, gap)
	if r.Traces != nil {
		in.ErrorSpans = r.Traces.ErrorSpans
	}

	r.Logs = r.loadLogs(dir, in.Pods, o.TailLines)
	in.LogTail = func(ns, pod, ctr string, previous bool, n int) []string {
		for _, t := range r.Logs {
			if t.Namespace == ns && t.Pod == pod && t.Container == ctr && t.Previous == previous {
				lines := t.Lines
				if len(lines) > n {
					lines = lines[len(lines)-n:]
				}
				out := make([]string, len(lines))
				for i, l := range lines {
					out[i] = l.Text
				}
				return out
			}
		}
		return nil
	}

	r.Findings = findings.Detect(in)
	if r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	r.Pods = podRows(in.Pods)
	r.CustomResources = customResources(in.Objects)
	r.Errors = extractErrors(r.Logs)
	r.FailedTests = r.slices()
	r.Screenshots = screenshots(dir)
	r.Files = index(dir)
	r.Status = r.status()
	return r, nil
}

func convert(u *unstructured.Unstructured, into any) bool {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into) == nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readList(path string) ([]unstructured.Unstructured, error) {
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := readJSON(path, &list); err != nil {
		return nil, err
	}
	out := make([]unstructured.Unstructured, 0, len(list.Items))
	for _, it := range list.Items {
		out = append(out, unstructured.Unstructured{Object: it})
	}
	return out, nil
}

// errorLine and warnLine classify log lines.
var (
	errorLine = regexp.MustCompile(`(?i)(^E\d{4} |^F\d{4} |"level":"(error|fatal|dpanic|panic)"|level=(error|fatal)|\bERROR\b|\bFATAL\b|^panic:|\bpanic:|\bexception\b|^Traceback|--- FAIL|\bfailed\b|\berror:)`)
	warnLine  = regexp.MustCompile(`(?i)(^W\d{4} |"level":"warn(ing)?"|level=warn(ing)?|\bWARN(ING)?\b)`)
)

func classify(text string) string {
	switch {
	case errorLine.MatchString(text):
		return "error"
	case warnLine.MatchString(text):
		return "warning"
	}
	return ""
}

func serviceOf(p *corev1.Pod) string {
	for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "job-name"} {
		if v := p.Labels[k]; v != "" {
			return v
		}
	}
	return p.Name
}

func (r *Report) loadLogs(dir string, pods []corev1.Pod, n int) []LogTail {
	var out []LogTail
	for i := range pods {
		p := &pods[i]
		for _, ctr := range bundle.ContainerNames(p) {
			for _, prev := range []bool{true, false} {
				rel := bundle.LogPath(p.Namespace, p.Name, ctr, prev)
				lines, more, size, err := tailLines(filepath.Join(dir, filepath.FromSlash(rel)), n, 4<<20, &r.TailStats)
				if err != nil {
					continue
				}
				t := LogTail{Service: serviceOf(p), Namespace: p.Namespace, Pod: p.Name, Container: ctr, Previous: prev, File: rel, Size: size, More: more}
				for _, l := range lines {
					ts, text := opactions.SplitTimestamp(l)
					t.Lines = append(t.Lines, LogLine{Time: ts, Text: text, Level: classify(text), File: rel})
				}
				out = append(out, t)
			}
		}
	}
	return out
}

func podRows(pods []corev1.Pod) []PodRow {
	var out []PodRow
	for _, p := range pods {
		row := PodRow{Namespace: p.Namespace, Name: p.Name, Phase: string(p.Status.Phase), Node: p.Spec.NodeName, Reason: p.Status.Reason}
		ready := 0
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Ready {
				ready++
			}
			row.Restarts += cs.RestartCount
			if w := cs.State.Waiting; w != nil && w.Reason != "" {
				row.Reason = w.Reason
			} else if t := cs.State.Terminated; t != nil && row.Reason == "" && t.Reason != "Completed" {
				row.Reason = t.Reason
			} else if lt := cs.LastTerminationState.Terminated; lt != nil && row.Reason == "" {
				row.Reason = "last: " + lt.Reason
			}
		}
		if row.Reason == "" && p.Status.Phase == corev1.PodPending {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
					row.Reason = c.Reason
				}
			}
		}
		row.Ready = fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers))
		out = append(out, row)
	}
	// Unhealthy pods first.
	sort.SliceStable(out, func(i, j int) bool {
		bi, bj := out[i].Reason != "" || out[i].Phase != "Running" && out[i].Phase != "Succeeded", out[j].Reason != "" || out[j].Phase != "Running" && out[j].Phase != "Succeeded"
		if bi != bj {
			return bi
		}
		return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name
	})
	return out
}

func customResources(objs []unstructured.Unstructured) []CRType {
	byKind := map[string]*CRType{}
	var kinds []string
	for _, o := range objs {
		gv := o.GetAPIVersion()
		if !strings.Contains(gv, ".") || strings.HasSuffix(strings.Split(gv, "/")[0], ".k8s.io") && !strings.HasPrefix(gv, "gateway.networking.k8s.io") {
			continue // built-in types (Deployments and friends have their own sections)
		}
		k := o.GetKind()
		t, ok := byKind[k]
		if !ok {
			t = &CRType{Kind: k}
			byKind[k] = t
			kinds = append(kinds, k)
		}
		item := CRItem{Namespace: o.GetNamespace(), Name: o.GetName(), Generation: o.GetGeneration()}
		item.ObservedGeneration, _, _ = unstructured.NestedInt64(o.Object, "status", "observedGeneration")
		conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			str := func(k string) string { s, _ := m[k].(string); return s }
			lt, _ := time.Parse(time.RFC3339, str("lastTransitionTime"))
			item.Conditions = append(item.Conditions, Condition{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message"), LastTransition: lt})
		}
		t.Items = append(t.Items, item)
	}
	sort.Strings(kinds)
	out := []CRType{}
	for _, k := range kinds {
		out = append(out, *byKind[k])
	}
	return out
}

var normaliser = regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:.]+Z?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|\b\d+(\.\d+)?\b`)

// extractErrors deduplicates error and warning lines across all tails.
func extractErrors(tails []LogTail) []ExtractedError {
	idx := map[string]int{}
	var out []ExtractedError
	for _, t := range tails {
		for _, l := range t.Lines {
			if l.Level == "" {
				continue
			}
			key := normaliser.ReplaceAllString(l.Text, "#")
			if i, ok := idx[key]; ok {
				out[i].Count++
				if len(out[i].Sources) < 5 && !contains(out[i].Sources, t.File) {
					out[i].Sources = append(out[i].Sources, t.File)
				}
				continue
			}
			idx[key] = len(out)
			out = append(out, ExtractedError{Text: l.Text, Level: l.Level, Count: 1, Sources: []string{t.File}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level == "error"
		}
		return out[i].Count > out[j].Count
	})
	if out == nil {
		out = []ExtractedError{}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// slices links each failed test to the findings, timeline entries and log lines in its
// time window (from a minute before it started to ten seconds after it ended; the whole
// run when the test has no times).
func (r *Report) slices() []FailedTest {
	out := []FailedTest{}
	for _, c := range r.Tests.Cases {
		if !c.Status.Failing() {
			continue
		}
		ft := FailedTest{Case: c, Findings: []string{}, Entries: []timeline.Entry{}, LogLines: []LogLine{}}
		from, to := time.Time{}, time.Time{}
		if !c.Start.IsZero() {
			from, to = c.Start.Add(-time.Minute), c.End().Add(10*time.Second)
			ft.Window = [2]time.Time{from, to}
		}
		in := func(t time.Time) bool {
			if from.IsZero() {
				return true
			}
			return !t.IsZero() && !t.Before(from) && !t.After(to)
		}
		for _, f := range r.Findings {
			if f.Category != "TestFailed" && f.Category != "TestFlaky" && (f.Severity == findings.Critical || in(f.Time)) {
				ft.Findings = append(ft.Findings, f.ID)
			}
		}
		for _, e := range r.Timeline {
			if e.Severity != "" && in(e.Time) && len(ft.Entries) < 20 {
				ft.Entries = append(ft.Entries, e)
			}
		}
		for _, t := range r.Logs {
			for _, l := range t.Lines {
				if l.Level != "" && in(l.Time) && len(ft.LogLines) < 20 {
					ft.LogLines = append(ft.LogLines, l)
				}
			}
		}
		out = append(out, ft)
	}
	return out
}

func screenshots(dir string) []Screenshot {
	var out []Screenshot
	for _, pat := range []string{"screenshots/*.png", "screenshots/*.jpg", "screenshots/*.jpeg"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range m {
			rel, _ := filepath.Rel(dir, p)
			name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
			out = append(out, Screenshot{Path: filepath.ToSlash(rel), Title: name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Outputs render writes into the bundle; they are left out of its index.
var Outputs = map[string]bool{"REPORT.md": true, "REPORT.html": true, "report.json": true, "summary.md": true, "comment.md": true, "k8s-e2e-results.json": true}

func index(dir string) []File {
	var out []File
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if Outputs[rel] || strings.HasPrefix(filepath.Base(rel), ".") {
			return nil
		}
		info, err := d.Info()
		if err == nil {
			out = append(out, File{Path: rel, Bytes: info.Size()})
		}
		return nil
	})
	return out
}

func (r *Report) status() Status {
	counts := map[findings.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	failedTests := r.TestCounts["failed"] + r.TestCounts["error"]
	total := len(r.Tests.Cases)
	var parts []string
	if total > 0 {
		p := fmt.Sprintf("%d/%d tests passed", r.TestCounts["passed"], total)
		if failedTests > 0 {
			p = fmt.Sprintf("%d of %d tests failed", failedTests, total)
		}
		if n := r.TestCounts["flaky"]; n > 0 {
			p += fmt.Sprintf(", %d flaky", n)
		}
		parts = append(parts, p)
	}
	serious := counts[findings.Critical] + counts[findings.Error]
	switch {
	case len(r.Findings) == 0:
		parts = append(parts, "no findings")
	default:
		f := fmt.Sprintf("%d findings", len(r.Findings))
		if counts[findings.Critical] > 0 {
			f += fmt.Sprintf(" (%d critical)", counts[findings.Critical])
		}
		parts = append(parts, f)
	}
	if len(r.Gaps) > 0 {
		parts = append(parts, fmt.Sprintf("%d collection gaps", len(r.Gaps)))
	}
	where := ""
	if r.Manifest != nil && len(r.Manifest.Namespaces) > 0 {
		where = " in " + strings.Join(r.Manifest.Namespaces, ", ")
	}
	switch {
	case failedTests > 0 || serious > 0:
		return Status{Level: "failed", Line: "🔴 **Failed** — " + strings.Join(parts, ", ") + where}
	case len(r.Findings) > 0 || r.TestCounts["flaky"] > 0:
		return Status{Level: "warning", Line: "🟡 **Passed with warnings** — " + strings.Join(parts, ", ") + where}
	}
	return Status{Level: "passed", Line: "🟢 **Passed** — " + strings.Join(parts, ", ") + where}
}
