// Package model reads a bundle directory (offline: it never talks to a cluster), test
// results and metrics into one Report that every renderer works from.
package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/conditions"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/loglines"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
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
	Pages           []bundle.Page      `json:"pages,omitempty"` // console pages and what the browser saw
	Logs            []LogTail          `json:"logs"`
	Errors          []ExtractedError   `json:"errors"`
	Gaps            []bundle.Gap       `json:"gaps"`
	Files           []File             `json:"files"`
	Shards          []Shard            `json:"shards,omitempty"`
	Cuts            []string           `json:"cuts,omitempty"` // what was left out to keep an output within its budget
	TailStats       TailStats          `json:"-"`
}

// Status is the one-line verdict. Its texts are plain (namespaces and shard names in
// them are untrusted); renderers format and escape them.
type Status struct {
	Level  string `json:"level"`  // "passed", "warning" or "failed"
	Detail string `json:"detail"` // counts, gaps and where, e.g. "2 of 9 tests failed, 5 findings in ns"
	Line   string `json:"line"`   // the label and the detail, as plain text
}

// StatusLabel is a status level's label.
func StatusLabel(level string) string {
	switch level {
	case "failed":
		return "Failed"
	case "warning":
		return "Passed with warnings"
	case "passed":
		return "Passed"
	}
	return "Unknown"
}

func newStatus(level, detail string) Status {
	return Status{Level: level, Detail: detail, Line: StatusLabel(level) + " — " + detail}
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

// Condition is a status condition.
type Condition struct {
	Type, Status, Reason, Message string
	LastTransition                time.Time
	Where                         string `json:",omitempty"` // the parent or listener a nested condition belongs to
}

// Screenshot is an image in the bundle.
type Screenshot struct {
	Path   string `json:"path"`
	Title  string `json:"title"`
	Type   string `json:"type,omitempty"` // from the image's bytes
	URL    string `json:"url,omitempty"`  // the page it shows, when pages.json names it
	Status int    `json:"status,omitempty"`
	Errors int    `json:"errors,omitempty"` // console errors and failed requests on that page
	Data   []byte `json:"-"`
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
}

// Load reads a bundle. Missing or unreadable files become gaps; only an unreadable
// bundle directory is an error. Every read is confined to the bundle (see
// bundle.Reader), and every string that reaches the report is scrubbed of secrets.
//
// A cancelled ctx returns at once: the reading goes on in the background only until
// it next checks ctx, so a huge input cannot hold a cancelled job.
func Load(ctx context.Context, dir string, o Options) (*Report, error) {
	type result struct {
		r   *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := load(ctx, dir, o)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func load(ctx context.Context, dir string, o Options) (*Report, error) {
	if o.TailLines <= 0 {
		o.TailLines = 200
	}
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle directory %s: not readable (run `ci-report collect` first or pass the bundle directory): %v", dir, err)
	}
	defer br.Close()
	r := &Report{Version: Version, Bundle: dir, Gaps: []bundle.Gap{}}
	gap := func(what string, err error) { r.Gaps = append(r.Gaps, bundle.Gap{Collector: what, Error: err.Error()}) }
	optional := func(rel string, err error) {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			gap("render", fmt.Errorf("%s: %v", rel, err))
		}
	}

	var m bundle.Manifest
	if err := readJSON(br, bundle.ManifestFile, &m); err == nil {
		r.Manifest = &m
		r.Gaps = append(r.Gaps, m.Gaps...)
	} else {
		gap("render", fmt.Errorf("%s: %v", bundle.ManifestFile, err))
	}

	in := &findings.Input{}
	objs, bad, err := readList(br, bundle.ResourcesJSON)
	optional(bundle.ResourcesJSON, err)
	if bad > 0 {
		gap("render", fmt.Errorf("%s: %d malformed items skipped", bundle.ResourcesJSON, bad))
	}
	unconvertible := 0
	for i := range objs {
		u := &objs[i]
		ok := true
		switch u.GetAPIVersion() + "/" + u.GetKind() {
		case "v1/Pod":
			var p corev1.Pod
			if ok = convert(u, &p); ok {
				in.Pods = append(in.Pods, p)
			}
		case "apps/v1/Deployment":
			var d appsv1.Deployment
			if ok = convert(u, &d); ok {
				in.Deployments = append(in.Deployments, d)
			}
		case "apps/v1/ReplicaSet":
			var rs appsv1.ReplicaSet
			if ok = convert(u, &rs); ok {
				in.ReplicaSets = append(in.ReplicaSets, rs)
			}
		case "batch/v1/Job":
			var j batchv1.Job
			if ok = convert(u, &j); ok {
				in.Jobs = append(in.Jobs, j)
			}
		case "v1/PersistentVolumeClaim":
			var pvc corev1.PersistentVolumeClaim
			if ok = convert(u, &pvc); ok {
				in.PVCs = append(in.PVCs, pvc)
			}
		default:
			if conditions.Has(u) {
				in.Objects = append(in.Objects, *u)
			}
		}
		if !ok {
			unconvertible++
		}
	}
	if unconvertible > 0 {
		gap("render", fmt.Errorf("%s: %d objects do not match their kind's schema and were skipped", bundle.ResourcesJSON, unconvertible))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Lists read item by item: one bad entry costs that entry, said in a gap.
	items := func(rel string, bad int, err error) {
		optional(rel, err)
		if bad > 0 {
			gap("render", fmt.Errorf("%s: %d malformed entries skipped", rel, bad))
		}
	}
	in.Events, bad, err = readItems[events.Event](br, bundle.EventsJSON)
	items(bundle.EventsJSON, bad, err)
	in.Actions, bad, err = readItems[opactions.Action](br, bundle.OperatorActionsJSON)
	items(bundle.OperatorActionsJSON, bad, err)
	r.OperatorActions = in.Actions
	if r.OperatorActions == nil {
		r.OperatorActions = []opactions.Action{}
	}
	r.Timeline, bad, err = readItems[timeline.Entry](br, bundle.TimelineJSON)
	items(bundle.TimelineJSON, bad, err)

	// Test results: the files given, and any the bundle carries under results/.
	var inputs []results.Input
	for _, f := range o.Results {
		inputs = append(inputs, results.Input{Path: f, Read: func() ([]byte, error) { return bundle.ReadRegular(f, results.MaxFile) }})
	}
	bundled, skipped, err := br.List("results")
	optional("results/", err)
	for _, name := range skipped {
		gap("results", fmt.Errorf("%s: %w", name, bundle.ErrNotRegular))
	}
	for _, e := range bundled {
		inputs = append(inputs, results.Input{Path: filepath.Join(dir, filepath.FromSlash(e.Path)), Read: func() ([]byte, error) { return br.ReadFile(e.Path, results.MaxFile) }})
	}
	r.Tests, err = results.Parse(ctx, inputs)
	if err != nil {
		return nil, err
	}
	r.Tests.Sources = append(r.Tests.Sources, o.Missing...)
	for _, s := range r.Tests.Sources {
		if s.Error != "" {
			gap("results", fmt.Errorf("%s", s.Error))
		}
	}
	results.SortForReport(r.Tests.Cases)
	in.Tests, in.Sources = r.Tests.Cases, r.Tests.Sources
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
	if err := readJSON(br, bundle.PagesJSON, &r.Pages); err != nil && !errors.Is(err, fs.ErrNotExist) {
		gap("render", fmt.Errorf("%s: %v", bundle.PagesJSON, err))
	}
	for i := range r.Pages {
		// A page names its screenshot: only a path inside the bundle is one.
		if f := r.Pages[i].File; f != "" {
			if p, err := bundle.RelPath(f); err != nil {
				gap("render", fmt.Errorf("%s: page %d: its screenshot path is not inside the bundle; ignored", bundle.PagesJSON, i+1))
				r.Pages[i].File = ""
			} else {
				r.Pages[i].File = p
			}
		}
	}
	in.Pages = r.Pages
	var traceEntries []timeline.Entry
	var known map[string]bool
	r.Traces, traceEntries, known = loadTraces(ctx, br, o.Redactor, gap)
	if r.Traces != nil {
		in.ErrorSpans = r.Traces.ErrorSpans
	}
	// Root and error spans join the timeline, and all of it is put in time order: a
	// bundle's timeline.json may not be.
	r.Timeline = append(r.Timeline, traceEntries...)
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].Time.Before(r.Timeline[j].Time) })
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if o.Redactor != nil {
		// What the detectors read, scrubbed as it enters the model, before findings split
		// anything into evidence lines (a private key in a test's output is one secret, not
		// a BEGIN line and a body): objects by their key names (a CR's spec.password),
		// every other text whole, the test results (in.Tests is r.Tests.Cases) among them.
		for i := range in.Objects {
			o.Redactor.Object(in.Objects[i].Object)
		}
		scrubInput(in, o.Redactor)
	}
	r.Logs = r.loadLogs(br, in.Pods, o.TailLines, o.Redactor)
	in.Logs = bundleLogs{br: br, tails: r.Logs, rd: o.Redactor}
	in.ObjectFile = objectFiles(r.Manifest)

	r.Findings = findings.Detect(in)
	if r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	r.Pods = podRows(in.Pods)
	r.CustomResources = customResources(in.Objects)
	r.Errors = extractErrors(r.Logs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Screenshots = screenshots(br, gap)
	for i := range r.Screenshots {
		for _, p := range r.Pages {
			if p.File == r.Screenshots[i].Path {
				r.Screenshots[i].URL, r.Screenshots[i].Status = p.URL, p.Status
				r.Screenshots[i].Errors = len(p.ConsoleErrors) + len(p.FailedRequests)
			}
		}
	}
	r.Files = index(br, gap)
	if o.Redactor != nil {
		r.redact(o.Redactor, false) // before slices, which copy what it scrubs; the tails are scrubbed already
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.FailedTests = r.slices()
	r.linkTraces(known)
	r.Status = r.status()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func convert(u *unstructured.Unstructured, into any) bool {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into) == nil
}

func readJSON(br *bundle.Reader, rel string, v any) error {
	b, err := br.ReadFile(rel, bundle.MaxJSON)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// readItems reads a JSON array item by item: a malformed item is skipped and counted.
func readItems[T any](br *bundle.Reader, rel string) ([]T, int, error) {
	var raw []json.RawMessage
	if err := readJSON(br, rel, &raw); err != nil {
		return nil, 0, err
	}
	out := make([]T, 0, len(raw))
	bad := 0
	for _, item := range raw {
		var v T
		if err := json.Unmarshal(item, &v); err != nil {
			bad++
			continue
		}
		out = append(out, v)
	}
	return out, bad, nil
}

// readList reads a kubectl List item by item: a malformed item is skipped and counted,
// never the reason every object is lost.
func readList(br *bundle.Reader, rel string) ([]unstructured.Unstructured, int, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := readJSON(br, rel, &list); err != nil {
		return nil, 0, err
	}
	out := make([]unstructured.Unstructured, 0, len(list.Items))
	bad := 0
	for _, raw := range list.Items {
		var it map[string]any
		if err := json.Unmarshal(raw, &it); err != nil || it == nil {
			bad++
			continue
		}
		out = append(out, unstructured.Unstructured{Object: it})
	}
	return out, bad, nil
}

func serviceOf(p *corev1.Pod) string {
	for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "job-name"} {
		if v := p.Labels[k]; v != "" {
			return v
		}
	}
	return p.Name
}

// loadLogs reads the last n lines of every container log: the unhealthy containers'
// first, whole; then the healthy ones', cut to their last HealthyTailLines lines and
// the error and warning lines before them.
func (r *Report) loadLogs(br *bundle.Reader, pods []corev1.Pod, n int, rd *redact.Redactor) []LogTail {
	type job struct {
		p    *corev1.Pod
		ctr  string
		prev bool
	}
	var jobs []job
	for i := range pods {
		for _, ctr := range bundle.ContainerNames(&pods[i]) {
			for _, prev := range []bool{true, false} {
				jobs = append(jobs, job{&pods[i], ctr, prev})
			}
		}
	}
	// Two readers: reading and classifying 800 tails is a fifth of a render.
	tails := make([]*LogTail, len(jobs))
	var read atomic.Int64
	parallel(len(jobs), 2, func(k int) {
		j := jobs[k]
		rel := bundle.LogPath(j.p.Namespace, j.p.Name, j.ctr, j.prev)
		var st TailStats
		lines, more, size, err := tailLines(br, rel, n, 4<<20, &st)
		read.Add(st.BytesRead)
		if err != nil {
			return
		}
		// As a stream, before the cut: a key spans lines.
		lines = scrubLines(rd, lines)
		t := &LogTail{Service: serviceOf(j.p), Namespace: j.p.Namespace, Pod: j.p.Name, Container: j.ctr, Previous: j.prev, File: rel, Size: size, More: more,
			Healthy: !j.prev && containerHealthy(j.p, j.ctr)}
		keepFrom := 0
		if t.Healthy {
			keepFrom = len(lines) - HealthyTailLines
		}
		for i, l := range lines {
			ts, text := opactions.SplitTimestamp(l)
			level := loglines.Level(text)
			if i < keepFrom && level == "" {
				t.Omitted++
				continue
			}
			t.Lines = append(t.Lines, LogLine{Time: ts, Text: text, Level: level})
		}
		tails[k] = t
	})
	r.TailStats.BytesRead += read.Load()
	var sick, healthy []LogTail
	for _, t := range tails {
		switch {
		case t == nil:
		case t.Healthy:
			healthy = append(healthy, *t)
		default:
			sick = append(sick, *t)
		}
	}
	return append(sick, healthy...)
}

// parallel runs f(0..n-1) on the given number of goroutines.
func parallel(n, workers int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// containerHealthy: the pod is not failing, pending or deleted, and the container is
// running ready and never restarted, or (an init container) finished with exit code 0.
// A container without a status is not healthy: nothing says it is.
func containerHealthy(p *corev1.Pod, ctr string) bool {
	if p.Annotations[bundle.DeletedAtAnnotation] != "" || p.Status.Reason != "" {
		return false
	}
	if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodSucceeded {
		return false
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if cs.Name == ctr {
			t := cs.State.Terminated
			return cs.RestartCount == 0 && (t != nil && t.ExitCode == 0 || cs.State.Running != nil && cs.Ready)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == ctr {
			if cs.RestartCount > 0 || cs.State.Waiting != nil {
				return false
			}
			if t := cs.State.Terminated; t != nil {
				return t.ExitCode == 0
			}
			return cs.State.Running != nil && cs.Ready
		}
	}
	return false
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
		if at := p.Annotations[bundle.DeletedAtAnnotation]; at != "" {
			row.Deleted, _ = time.Parse(time.RFC3339Nano, at)
			if row.Deleted.IsZero() {
				row.Deleted = time.Unix(0, 0).UTC()
			}
			row.Reason = strings.TrimSpace("deleted " + row.Reason)
		}
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			for _, t := range []*corev1.ContainerStateTerminated{cs.LastTerminationState.Terminated, cs.State.Terminated} {
				if t == nil || t.Reason == "Completed" && t.ExitCode == 0 {
					continue
				}
				if row.LastTermination == nil || t.FinishedAt.After(row.LastTermination.At) {
					row.LastTermination = &Termination{Container: cs.Name, Reason: t.Reason, ExitCode: t.ExitCode, At: t.FinishedAt.Time}
				}
			}
		}
		out = append(out, row)
	}
	// Unhealthy pods first.
	sort.SliceStable(out, func(i, j int) bool {
		if hi, hj := out[i].Healthy(), out[j].Healthy(); hi != hj {
			return hj
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
		for _, c := range conditions.Of(&o) {
			item.Conditions = append(item.Conditions, Condition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message, LastTransition: c.LastTransition, Where: c.Where})
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

// extractErrors deduplicates error and warning lines across all tails.
func extractErrors(tails []LogTail) []ExtractedError {
	idx := map[string]int{}
	var out []ExtractedError
	for _, t := range tails {
		for _, l := range t.Lines {
			if l.Level == "" {
				continue
			}
			key := loglines.Normalise(l.Text)
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

// perTest caps what each failed test's slice holds.
const perTest = 20

// slices links each failed test to the findings, timeline entries and log lines in its
// time window (from a minute before it started to ten seconds after it ended; the whole
// run when the test has no times). The candidates are sorted by time once and each
// window is found by binary search, so n failed tests cost O(n log m), not O(n·m).
func (r *Report) slices() []FailedTest {
	out := []FailedTest{}
	// Candidates, each in time order; those without a time match only tests without one.
	var critical []string // critical findings go with every failed test
	var timedFindings []timed[string]
	rank := map[string]int{}
	for i, f := range r.Findings {
		rank[f.ID] = i
		if f.Category == "TestFailed" || f.Category == "TestFlaky" {
			continue
		}
		if f.Severity == findings.Critical {
			critical = append(critical, f.ID)
		} else {
			timedFindings = append(timedFindings, timed[string]{f.Time, f.ID})
		}
	}
	var entries []timed[timeline.Entry]
	for _, e := range r.Timeline {
		if e.Severity != "" {
			entries = append(entries, timed[timeline.Entry]{e.Time, e})
		}
	}
	var lines []timed[LogLine]
	for _, t := range r.Logs {
		for _, l := range t.Lines {
			if l.Level != "" {
				l.File = t.File // a window mixes lines of many logs
				lines = append(lines, timed[LogLine]{l.Time, l})
			}
		}
	}
	sortTimed(timedFindings)
	sortTimed(entries)
	sortTimed(lines)
	for _, c := range r.Tests.Cases {
		if !c.Status.Failing() {
			continue
		}
		ft := FailedTest{Case: c, Findings: []string{}, Entries: []timeline.Entry{}, LogLines: []LogLine{}}
		var from, to time.Time
		if !c.Start.IsZero() {
			from, to = c.Start.Add(-time.Minute), c.End().Add(10*time.Second)
			ft.Window = [2]time.Time{from, to}
		}
		// Critical findings first, then the others in the window, in their ranked order.
		ft.Findings = append(ft.Findings, critical[:min(len(critical), perTest)]...)
		ids := window(timedFindings, from, to, -1)
		sort.SliceStable(ids, func(i, j int) bool { return rank[ids[i]] < rank[ids[j]] })
		ft.Findings = append(ft.Findings, ids[:min(len(ids), perTest)]...)
		ft.Entries = append(ft.Entries, window(entries, from, to, perTest)...)
		ft.LogLines = append(ft.LogLines, window(lines, from, to, perTest)...)
		out = append(out, ft)
	}
	return out
}

type timed[T any] struct {
	t time.Time
	v T
}

func sortTimed[T any](s []timed[T]) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].t.Before(s[j].t) })
}

// window returns up to n (n < 0: all) values with from <= t <= to, in time order; a
// zero window (a test without times) takes everything.
func window[T any](s []timed[T], from, to time.Time, n int) []T {
	lo, hi := 0, len(s)
	if !from.IsZero() {
		lo = sort.Search(len(s), func(i int) bool { return !s[i].t.IsZero() && !s[i].t.Before(from) })
		hi = sort.Search(len(s), func(i int) bool { return !s[i].t.IsZero() && s[i].t.After(to) })
	}
	var out []T
	for i := lo; i < hi && (n < 0 || len(out) < n); i++ {
		out = append(out, s[i].v)
	}
	return out
}

// Image limits: one screenshot, and all of them together.
const (
	maxImage       = 8 << 20
	maxImagesTotal = 64 << 20
)

// screenshots reads the images under screenshots/, keeping only files whose bytes are a
// PNG, JPEG, GIF or WebP image (whatever their names say).
func screenshots(br *bundle.Reader, gap func(string, error)) []Screenshot {
	entries, skipped, err := br.List("screenshots")
	if err != nil {
		gap("render", fmt.Errorf("screenshots/: %v", err))
	}
	for _, name := range skipped {
		gap("render", fmt.Errorf("%s: %w", name, bundle.ErrNotRegular))
	}
	var out []Screenshot
	total := 0
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Path))
		if ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".gif" && ext != ".webp" {
			continue
		}
		if e.Size > maxImage || total+int(e.Size) > maxImagesTotal {
			gap("render", fmt.Errorf("%s: %d bytes, too large to embed", e.Path, e.Size))
			continue
		}
		b, err := br.ReadFile(e.Path, maxImage)
		if err != nil {
			gap("render", fmt.Errorf("%s: %v", e.Path, err))
			continue
		}
		typ := http.DetectContentType(b)
		switch typ {
		case "image/png", "image/jpeg", "image/gif", "image/webp":
		default:
			gap("render", fmt.Errorf("%s: not an image (its bytes say %s)", e.Path, typ))
			continue
		}
		total += len(b)
		name := strings.TrimSuffix(path.Base(e.Path), path.Ext(e.Path))
		out = append(out, Screenshot{Path: e.Path, Title: name, Type: typ, Data: b})
	}
	return out
}

func index(br *bundle.Reader, gap func(string, error)) []File {
	entries, cut := br.Walk(func(rel string) bool {
		return bundle.Outputs[rel] || strings.HasPrefix(path.Base(rel), ".")
	})
	if cut {
		gap("render", fmt.Errorf("file index: stopped at %d files or %d directories deep", bundle.MaxWalkEntries, bundle.MaxWalkDepth))
	}
	out := make([]File, 0, len(entries))
	for _, e := range entries {
		out = append(out, File{Path: e.Path, Bytes: e.Size})
	}
	return out
}

func countCategory(fs []findings.Finding, category string) int {
	n := 0
	for _, f := range fs {
		if f.Category == category {
			n++
		}
	}
	return n
}

func (r *Report) status() Status {
	counts := map[findings.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	failedTests := r.TestCounts["failed"] + r.TestCounts["error"]
	total := len(r.Tests.Cases)
	var parts []string
	unreadable := 0
	for _, src := range r.Tests.Sources {
		if src.Error != "" {
			unreadable++
		}
	}
	if unreadable > 0 {
		parts = append(parts, fmt.Sprintf("%d test results file(s) unreadable", unreadable))
	}
	if n := countCategory(r.Findings, "ReportUnreadable"); n > 0 {
		parts = append([]string{fmt.Sprintf("%d report(s) unreadable, outcome unknown", n)}, parts...)
	}
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
		return newStatus("failed", strings.Join(parts, ", ")+where)
	case len(r.Findings) > 0 || r.TestCounts["flaky"] > 0:
		return newStatus("warning", strings.Join(parts, ", ")+where)
	}
	return newStatus("passed", strings.Join(parts, ", ")+where)
}

// ReportFile is where render writes the model as JSON.
const ReportFile = bundle.ReportJSON

// Read reads the report.json that render wrote into dir, confined to dir like any
// bundle read. The file may come from someone else's run (a matrix shard, a fork's
// artifact): missing parts are filled in, never trusted to be there.
func Read(dir string) (*Report, error) {
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	defer br.Close()
	b, err := br.ReadFile(ReportFile, bundle.MaxJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (run `ci-report render %s` first)", filepath.Join(dir, ReportFile), err, dir)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ReportFile), err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("%s: report version %d, this ci-report reads version %d", filepath.Join(dir, ReportFile), r.Version, Version)
	}
	r.Bundle = dir
	r.normalise()
	return &r, nil
}

// normalise replaces the nil parts of a report read from JSON by empty ones.
func (r *Report) normalise() {
	if r.Tests == nil {
		r.Tests = &results.Results{}
	}
	if r.Tests.Cases == nil {
		r.Tests.Cases = []results.Case{}
	}
	if r.TestCounts == nil {
		r.TestCounts = map[string]int{}
		for k, v := range r.Tests.Counts() {
			r.TestCounts[string(k)] = v
		}
	}
	if r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	if r.FailedTests == nil {
		r.FailedTests = []FailedTest{}
	}
	if r.Gaps == nil {
		r.Gaps = []bundle.Gap{}
	}
	if r.OperatorActions == nil {
		r.OperatorActions = []opactions.Action{}
	}
}
