package model

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/conditions"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// loader is one Load: the bundle, the report it fills, and what the detectors read.
type loader struct {
	dir   string
	o     Options
	br    *bundle.Reader
	r     *Report
	in    *findings.Input
	known map[string]bool // trace IDs in traces.json
	// deleted: pods deleted during the run (ns/name -> when), from deletions.json, or
	// from the annotation that bundles written before it carry.
	deleted map[string]time.Time
	gaps    *[]bundle.Gap // where this loader's gaps go
	// conds are the objects with conditions but pods and Jobs, in the bundle's order
	// (their condition transitions join the timeline; in.Objects are among them); observed, the timeline entries only watch saw;
	// traced, the trace's root and error spans.
	conds            []unstructured.Unstructured
	observed, traced []timeline.Entry
}

func load(ctx context.Context, dir string, o Options, open func() (*bundle.Reader, error)) (*Report, error) {
	if o.TailLines <= 0 {
		o.TailLines = 200
	}
	br, err := open()
	if err != nil {
		return nil, err
	}
	defer br.Close()
	r := &Report{Bundle: dir, Gaps: []bundle.Gap{}}
	l := &loader{dir: dir, o: o, br: br, in: &findings.Input{}, r: r, known: map[string]bool{}, deleted: map[string]time.Time{}, gaps: &r.Gaps}
	// Facts first (read, confined, scrubbed whole), then the one analysis over them.
	if err := l.run(ctx, (*loader).manifest); err != nil {
		return nil, err
	}
	// Two chains that share nothing read side by side: the objects with the pods' logs,
	// and every other file. Each keeps its own gaps, added in this order.
	a, b := *l, *l
	var aGaps, bGaps []bundle.Gap
	a.gaps, b.gaps = &aGaps, &bGaps
	g, gctx := errgroup.WithContext(ctx)
	// The pods are scrubbed after their logs are read (which reads the pods); the other
	// objects by the second chain once the first has read them, to even out the two.
	read := make(chan struct{})
	g.Go(func() error {
		if err := a.run(gctx, (*loader).objects); err != nil {
			return err
		}
		close(read)
		return a.run(gctx, (*loader).deletions, (*loader).logs, (*loader).operatorActions, (*loader).scrubPods)
	})
	g.Go(func() error {
		if err := b.run(gctx, (*loader).lists, (*loader).tests, (*loader).pages, (*loader).traces, (*loader).scrubRecords); err != nil {
			return err
		}
		select {
		case <-read:
		case <-gctx.Done():
			return gctx.Err()
		}
		return b.run(gctx, (*loader).scrubObjects)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.Gaps = append(append(r.Gaps, aGaps...), bGaps...)
	l.conds, l.observed, l.traced = a.conds, b.observed, b.traced
	if r.OperatorActions = l.in.Actions; r.OperatorActions == nil {
		r.OperatorActions = []opactions.Action{}
	}
	if err := l.run(ctx, (*loader).jobTests, (*loader).timeline, (*loader).analyse); err != nil {
		return nil, err
	}
	return r, nil
}

// run runs steps in order, stopping at the first error or when ctx ends.
func (l *loader) run(ctx context.Context, steps ...func(*loader, context.Context) error) error {
	for _, step := range steps {
		if err := step(l, ctx); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) gap(what string, err error) {
	*l.gaps = append(*l.gaps, bundle.Gap{Collector: what, Error: err.Error()})
}

// optional: a missing file is no gap (collect records why it wrote none); any other
// error reading it is.
func (l *loader) optional(rel string, err error) {
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.gap("render", fmt.Errorf("%s: %v", rel, err))
	}
}

// skipped: entries of a list that could not be read cost those entries, said in a gap.
func (l *loader) skipped(rel string, bad int, err error, what string) {
	l.optional(rel, err)
	if bad > 0 {
		l.gap("render", fmt.Errorf("%s: %d %s skipped", rel, bad, what))
	}
}

func (l *loader) manifest(context.Context) error {
	var m bundle.Manifest
	if err := readJSON(l.br, bundle.ManifestFile, &m); err != nil {
		l.gap("render", fmt.Errorf("%s: %v", bundle.ManifestFile, err))
		return nil
	}
	l.r.Manifest = &m
	*l.gaps = append(*l.gaps, m.Gaps...)
	for _, c := range m.Collectors {
		if c != nil && c.Status == bundle.StatusSkipped {
			for _, why := range c.Errors {
				l.r.Notes = append(l.r.Notes, bundle.Gap{Collector: c.Name, Error: why})
			}
		}
	}
	l.in.ObjectFile = objectFiles(&m)
	l.in.Collected = findings.Collected{Namespaces: m.Namespaces, All: m.AllNamespaces, At: m.StartedAt}
	return nil
}

// objects sorts resources.json into the typed objects the detectors read.
func (l *loader) objects(context.Context) error {
	objs, bad, err := readList(l.br, bundle.ResourcesJSON)
	l.skipped(bundle.ResourcesJSON, bad, err, "malformed items")
	in, unconvertible := l.in, 0
	for i := range objs {
		u := &objs[i]
		var ok bool
		switch u.GetAPIVersion() + "/" + u.GetKind() {
		case "v1/Pod":
			in.Pods, ok = appendAs(in.Pods, u)
		case "apps/v1/Deployment":
			in.Deployments, ok = appendAs(in.Deployments, u)
		case "apps/v1/ReplicaSet":
			in.ReplicaSets, ok = appendAs(in.ReplicaSets, u)
		case "batch/v1/Job":
			in.Jobs, ok = appendAs(in.Jobs, u)
		case "v1/PersistentVolumeClaim":
			in.PVCs, ok = appendAs(in.PVCs, u)
		case "v1/Namespace":
			in.Namespaces, ok = appendAs(in.Namespaces, u)
		case "apps/v1/StatefulSet":
			in.StatefulSets, ok = appendAs(in.StatefulSets, u)
		case "apps/v1/DaemonSet":
			in.DaemonSets, ok = appendAs(in.DaemonSets, u)
		case "v1/Service":
			in.Services, ok = appendAs(in.Services, u)
		case "policy/v1/PodDisruptionBudget":
			in.PDBs, ok = appendAs(in.PDBs, u)
		case "v1/Secret": // its data was never written; only its name and type are read
			typ, _, _ := unstructured.NestedString(u.Object, "type")
			in.Secrets, ok = append(in.Secrets, findings.SecretRef{Namespace: u.GetNamespace(), Name: u.GetName(), Type: typ}), true
		case "networking.k8s.io/v1/Ingress":
			in.Ingresses, ok = appendAs(in.Ingresses, u)
		case "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration":
			in.MutatingWebhooks, ok = appendAs(in.MutatingWebhooks, u)
		case "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration":
			in.ValidatingWebhooks, ok = appendAs(in.ValidatingWebhooks, u)
		default:
			if ok = true; conditions.Has(u) {
				in.Objects = append(in.Objects, *u)
			}
		}
		if kind := u.GetAPIVersion() + "/" + u.GetKind(); kind != "v1/Pod" && kind != "batch/v1/Job" && kind != "v1/Namespace" && conditions.Has(u) {
			l.conds = append(l.conds, *u)
		}
		if !ok {
			unconvertible++
		}
	}
	if unconvertible > 0 {
		l.gap("render", fmt.Errorf("%s: %d objects do not match their kind's schema and were skipped", bundle.ResourcesJSON, unconvertible))
	}
	return nil
}

// deletions reads which pods were deleted during the run, and when.
func (l *loader) deletions(context.Context) error {
	for _, p := range l.in.Pods {
		if at := p.Annotations[bundle.DeletedAtAnnotation]; at != "" {
			t, _ := time.Parse(time.RFC3339Nano, at)
			if t.IsZero() {
				t = time.Unix(0, 0).UTC()
			}
			l.deleted[p.Namespace+"/"+p.Name] = t
		}
	}
	ds, bad, err := readItems[bundle.Deletion](l.br, bundle.DeletionsJSON)
	l.skipped(bundle.DeletionsJSON, bad, err, "malformed entries")
	for _, d := range ds {
		if d.Kind == "Pod" {
			l.deleted[d.Namespace+"/"+d.Name] = d.At
		}
	}
	return nil
}

// appendAs converts an object to its typed form and appends it (false: it does not fit).
func appendAs[T any](list []T, u *unstructured.Unstructured) ([]T, bool) {
	var v T
	if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v) != nil {
		return list, false
	}
	return append(list, v), true
}

// lists reads the events, operator actions and timeline, entry by entry.
func (l *loader) lists(context.Context) error {
	var bad int
	var err error
	l.in.Events, bad, err = readItems[events.Event](l.br, bundle.EventsJSON)
	l.skipped(bundle.EventsJSON, bad, err, "malformed entries")
	if !l.parsesActions() { // a bundle from before manifest.operator: collect parsed them
		l.in.Actions, bad, err = readItems[opactions.Action](l.br, bundle.OperatorActionsJSON)
		l.skipped(bundle.OperatorActionsJSON, bad, err, "malformed entries")
	}
	// What only watch saw; a bundle from before observed.json has it inside the timeline
	// collect derived, which is read instead (its derived entries are the same facts).
	rel := bundle.ObservedJSON
	if _, err := l.br.Stat(rel); errors.Is(err, fs.ErrNotExist) {
		rel = bundle.TimelineJSON
	}
	l.observed, bad, err = readItems[timeline.Entry](l.br, rel)
	l.skipped(rel, bad, err, "malformed entries")
	return nil
}

// tests reads the results files given and those the bundle carries under results/, and
// the metrics file.
func (l *loader) tests(ctx context.Context) error {
	r := l.r
	var inputs []results.Input
	for _, f := range l.o.Results {
		inputs = append(inputs, results.Input{Path: f, Read: func() ([]byte, error) { return bundle.ReadRegular(f, results.MaxFile) }})
	}
	bundled, skipped, err := l.br.List("results")
	l.optional("results/", err)
	for _, name := range skipped {
		l.gap("results", fmt.Errorf("%s: %w", name, bundle.ErrNotRegular))
	}
	for _, e := range bundled {
		inputs = append(inputs, results.Input{Path: filepath.Join(l.dir, filepath.FromSlash(e.Path)), Read: func() ([]byte, error) { return l.br.ReadFile(e.Path, results.MaxFile) }})
	}
	if r.Tests, err = results.Parse(ctx, inputs); err != nil {
		return err
	}
	r.Tests.Sources = append(r.Tests.Sources, l.o.Missing...)
	for _, s := range r.Tests.Sources {
		if s.Error != "" {
			l.gap("results", fmt.Errorf("%s", s.Error))
		}
	}
	l.setTests()
	var file []metrics.Metric
	if l.o.Metrics != "" {
		if file, err = metrics.Load(l.o.Metrics); err != nil {
			l.gap("metrics", err)
		}
	}
	// What the results files measured, with the metrics file's thresholds winning.
	ms, unmeasured := metrics.Merge(file, r.Tests.Metrics)
	for _, name := range unmeasured {
		l.gap("metrics", fmt.Errorf("%s: %s has a threshold but no value, and no test measured it", l.o.Metrics, name))
	}
	if len(ms) > 0 {
		r.Metrics, l.in.Metrics = ms, ms
	}
	return nil
}

// setTests sorts the cases and gives them to the analysis, with their counts.
func (l *loader) setTests() {
	r := l.r
	results.SortForReport(r.Tests.Cases)
	l.in.Tests, l.in.Sources = r.Tests.Cases, r.Tests.Sources
	r.TestCounts = map[string]int{}
	for k, v := range r.Tests.Counts() {
		r.TestCounts[string(k)] = v
	}
}

// pages reads what the browser saw; a page names its screenshot, and only a path inside
// the bundle is one.
func (l *loader) pages(context.Context) error {
	r := l.r
	if err := readJSON(l.br, bundle.PagesJSON, &r.Pages); err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.gap("render", fmt.Errorf("%s: %v", bundle.PagesJSON, err))
	}
	for i := range r.Pages {
		if f := r.Pages[i].File; f != "" {
			if p, err := bundle.RelPath(f); err != nil {
				l.gap("render", fmt.Errorf("%s: page %d: its screenshot path is not inside the bundle; ignored", bundle.PagesJSON, i+1))
				r.Pages[i].File = ""
			} else {
				r.Pages[i].File = p
			}
		}
	}
	l.in.Pages = r.Pages
	return nil
}

// traces summarises traces.json; its root and error spans join the timeline, and all of
// it is put in time order (a bundle's timeline.json may not be).
func (l *loader) traces(ctx context.Context) error {
	var known map[string]bool
	l.r.Traces, l.traced, known = loadTraces(ctx, l.br, l.o.Redactor, l.gap)
	for id := range known {
		l.known[id] = true
	}
	if l.r.Traces != nil {
		l.in.ErrorSpans = l.r.Traces.ErrorSpans
	}
	return nil
}

func (l *loader) logs(context.Context) error {
	l.r.Logs = l.r.loadLogs(l.br, l.in.Pods, l.deleted, l.o.TailLines, l.o.Redactor)
	l.in.Logs = bundleLogs{br: l.br, tails: l.r.Logs, rd: l.o.Redactor}
	return nil
}

// timeline derives the timeline from the facts with today's rules (events, container
// states, Job and condition transitions, operator actions), adds what only watch saw
// and the traces' spans, and puts it all in time order. Its inputs are scrubbed already.
func (l *loader) timeline(context.Context) error {
	var b timeline.Builder
	b.Events(l.in.Events)
	b.Pods(l.in.Pods)
	b.Jobs(l.in.Jobs)
	b.Conditions(l.conds)
	b.Operator(l.in.Actions)
	entries := timeline.Merge(b.Entries(), l.observed)
	entries = append(entries, l.traced...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.Before(entries[j].Time) })
	if entries == nil {
		entries = []timeline.Entry{}
	}
	l.r.Timeline, l.r.Phases = entries, b.Phases()
	return nil
}

// analyse derives everything else from the facts: findings, rows, errors, screenshots,
// the failed tests' windows and the status.
func (l *loader) analyse(ctx context.Context) error {
	r := l.r
	if r.Findings = findings.Detect(l.in); r.Findings == nil {
		r.Findings = []findings.Finding{}
	}
	r.Pods = podRows(l.in.Pods, l.deleted)
	r.CustomResources = customResources(l.in.Objects, r.Manifest)
	r.Errors = extractErrors(r.Logs)
	if err := ctx.Err(); err != nil {
		return err
	}
	r.Screenshots = screenshots(l.br, l.gap)
	for i := range r.Screenshots {
		for _, p := range r.Pages {
			if p.File == r.Screenshots[i].Path {
				r.Screenshots[i].URL, r.Screenshots[i].Status, r.Screenshots[i].At = p.URL, p.Status, p.At
				r.Screenshots[i].Failed = p.Error != "" || p.TimedOut
				r.Screenshots[i].Errors = len(p.ConsoleErrors) + len(p.FailedRequests)
			}
		}
	}
	r.Files = index(l.br, l.o.Outputs, l.gap)
	if l.o.Redactor != nil {
		// Before slices, which copy what it scrubs; the tails and the timeline were
		// scrubbed as they were read.
		r.redactBut(l.o.Redactor, false, map[string]bool{"Timeline": true})
	}
	// Test output is cut to what reports show only now, scrubbed whole.
	for i := range r.Tests.Cases {
		r.Tests.Cases[i].Details = results.CapDetails(r.Tests.Cases[i].Details)
	}
	r.FailedTests = r.slices()
	r.linkTraces(l.known)
	r.Status = r.status()
	return nil
}
