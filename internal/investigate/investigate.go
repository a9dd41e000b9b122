// Package investigate answers "what is wrong in this cluster right now?" for a coding
// agent: a compact view of a report model (pod health, recent error lines per pod,
// operator reconciles, custom resource conditions, the ranked findings and the bundle
// file to open next for each), as stable text or as JSON (schema.json). It is a pure
// function of the model, so a live cluster (through a light collection) and a bundle give
// the same answer.
package investigate

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/view"
)

// Version of the JSON format; schema.json describes it.
const Version = 1

// Schema is the JSON Schema of the --json output.
//
//go:embed schema.json
var Schema []byte

// Investigation is the answer.
type Investigation struct {
	Version         int         `json:"version"`
	Source          Source      `json:"source"`
	Status          Status      `json:"status"`
	Focus           string      `json:"focus,omitempty"`
	Findings        []Finding   `json:"findings"`
	Pods            []Pod       `json:"pods"`
	LogErrors       []LogError  `json:"logErrors"`
	Operator        []Reconcile `json:"operator"`
	CustomResources []Resource  `json:"customResources"`
	Gaps            []string    `json:"gaps"`
}

// Source says what was looked at.
type Source struct {
	Mode       string    `json:"mode"`             // "live" or "bundle"
	Bundle     string    `json:"bundle,omitempty"` // the bundle directory (mode bundle)
	Context    string    `json:"context,omitempty"`
	Namespaces []string  `json:"namespaces"`
	At         time.Time `json:"at"`        // when the cluster state was read
	LogWindow  string    `json:"logWindow"` // "since start" or e.g. "last 15m0s"
	Kubernetes string    `json:"kubernetesVersion,omitempty"`
}

// Status is the one-line verdict, as in REPORT.md.
type Status struct {
	Level  string `json:"level"`
	Detail string `json:"detail"`
}

// Finding is a ranked finding; ID is report.json's.
type Finding struct {
	Rank        int              `json:"rank"`
	ID          string           `json:"id"`
	Category    string           `json:"category"`
	Severity    string           `json:"severity"`
	Title       string           `json:"title"`
	Subject     string           `json:"subject"`
	Explanation string           `json:"explanation"`
	Evidence    []string         `json:"evidence,omitempty"` // at most evidenceLines
	CausedBy    []string         `json:"causedBy,omitempty"` // IDs of the findings that explain it (they rank above it)
	Causes      []string         `json:"causes,omitempty"`   // IDs of the findings it explains
	Count       int              `json:"count"`
	Time        string           `json:"time,omitempty"`
	Open        string           `json:"open,omitempty"`    // the bundle file to open next
	Refs        []string         `json:"refs,omitempty"`    // every bundle file it names
	History     *results.History `json:"history,omitempty"` // with --store: the base branch's runs
	ranks       map[string]int   // every finding's rank by ID, to name links by place
}

// Pod is one pod's health.
type Pod struct {
	Namespace       string             `json:"namespace"`
	Name            string             `json:"name"`
	Phase           string             `json:"phase"`
	Ready           string             `json:"ready"`
	Restarts        int32              `json:"restarts"`
	Reason          string             `json:"reason,omitempty"`
	LastTermination *model.Termination `json:"lastTermination,omitempty"`
	Healthy         bool               `json:"healthy"`
	Deleted         string             `json:"deleted,omitempty"` // when it was deleted during the run (watch saw it)
}

// LogError is one distinct error or warning line of a container, with its count.
type LogError struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Previous  bool   `json:"previous,omitempty"`
	Level     string `json:"level"` // "error" or "warning"
	Count     int    `json:"count"`
	Line      string `json:"line"`
	Last      string `json:"last,omitempty"` // time of the last one
	File      string `json:"file"`
}

// Reconcile is an operator's last reconcile of one object.
type Reconcile struct {
	Controller string `json:"controller,omitempty"`
	Object     string `json:"object"`
	Last       string `json:"last,omitempty"`
	LastResult string `json:"lastResult"` // "error" or "ok"
	LastError  string `json:"lastError,omitempty"`
	Errors     int    `json:"errors"`
	Actions    int    `json:"actions"`
}

// Resource is a custom resource with its conditions.
type Resource struct {
	Kind       string      `json:"kind"`
	Namespace  string      `json:"namespace,omitempty"`
	Name       string      `json:"name"`
	Conditions []Condition `json:"conditions"`
	Stale      bool        `json:"stale,omitempty"` // observedGeneration < generation
}

// Condition is a status condition; Where names a nested owner (a Gateway API parent).
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Where   string `json:"where,omitempty"`
	Since   string `json:"since,omitempty"`
}

// Options shape the answer.
type Options struct {
	Mode    string // "live" or "bundle"
	Bundle  string
	Focus   string        // a pod name, or KIND/NAME (or KIND/NAMESPACE/NAME)
	Since   time.Duration // log window; 0: since start
	MaxLogs int           // distinct log lines per container (default 5)
}

const evidenceLines = 6

// Build makes the investigation of a report.
func Build(r *model.Report, o Options) (*Investigation, error) { return FromView(view.Build(r), o) }

// FromView makes the investigation of a report's view, the one REPORT.md is rendered
// from.
func FromView(v *view.View, o Options) (*Investigation, error) {
	r := v.Report
	if o.MaxLogs <= 0 {
		o.MaxLogs = 5
	}
	inv := &Investigation{Version: Version, Focus: o.Focus,
		Source:   Source{Mode: o.Mode, Bundle: o.Bundle, Namespaces: []string{}, LogWindow: "since start"},
		Status:   Status{Level: r.Status.Level, Detail: r.Status.Detail},
		Findings: []Finding{}, Pods: []Pod{}, LogErrors: []LogError{}, Operator: []Reconcile{}, CustomResources: []Resource{}, Gaps: []string{}}
	if m := r.Manifest; m != nil {
		inv.Source.Context, inv.Source.Namespaces, inv.Source.At, inv.Source.Kubernetes = m.Cluster.Context, m.Namespaces, m.FinishedAt, m.Cluster.Version
		if inv.Source.Namespaces == nil {
			inv.Source.Namespaces = []string{}
		}
	}
	focus, err := parseFocus(o.Focus)
	if err != nil {
		return nil, err
	}
	var since time.Time
	if o.Since > 0 {
		since = inv.Source.At.Add(-o.Since)
		inv.Source.LogWindow = "last " + o.Since.String()
	}

	inv.Findings = append(inv.Findings, findingsOf(r, focus)...)
	inv.Pods = append(inv.Pods, podsOf(r, focus)...)
	for _, t := range r.Logs {
		if focus.pod(t.Namespace, t.Pod) {
			inv.LogErrors = append(inv.LogErrors, logErrors(t, since, o.MaxLogs)...)
		}
	}
	inv.Operator = reconciles(v, focus)
	inv.CustomResources = append(inv.CustomResources, resourcesOf(v, focus)...)
	for _, g := range r.Gaps {
		inv.Gaps = append(inv.Gaps, capped(g.Collector+": "+g.Error))
	}
	return inv, nil
}

// capped cuts one text of the answer as REPORT.md cuts it.
func capped(s string) string { return textsafe.Truncate(s, maxItem) }

func reconciles(v *view.View, focus focusSpec) []Reconcile {
	out := []Reconcile{}
	for _, rc := range v.Reconciles {
		if !focus.object(rc.Object.Kind, rc.Object.Namespace, rc.Object.Name) {
			continue
		}
		r := Reconcile{Controller: rc.Controller, Object: rc.Object.String(), Actions: rc.Actions, Errors: rc.Errors, LastResult: "ok"}
		if !rc.Last.IsZero() {
			r.Last = rc.Last.UTC().Format(time.RFC3339Nano)
		}
		if rc.Failing() {
			r.LastResult = "error"
		}
		if rc.Errors > 0 {
			r.LastError = capped(rc.LastError)
		}
		out = append(out, r)
	}
	return out
}

// focusSpec narrows the answer to a pod or an object.
type focusSpec struct {
	kind, namespace, name string
}

func parseFocus(s string) (focusSpec, error) {
	if s == "" {
		return focusSpec{}, nil
	}
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" {
			return focusSpec{}, fmt.Errorf("--focus %q: want POD, KIND/NAME or KIND/NAMESPACE/NAME", s)
		}
	}
	switch len(parts) {
	case 1:
		return focusSpec{kind: "Pod", name: parts[0]}, nil
	case 2:
		return focusSpec{kind: parts[0], name: parts[1]}, nil
	case 3:
		return focusSpec{kind: parts[0], namespace: parts[1], name: parts[2]}, nil
	}
	return focusSpec{}, fmt.Errorf("--focus %q: want POD, KIND/NAME or KIND/NAMESPACE/NAME", s)
}

func (f focusSpec) on() bool { return f.name != "" }

func (f focusSpec) object(kind, ns, name string) bool {
	if !f.on() {
		return true
	}
	return strings.EqualFold(kind, f.kind) && name == f.name && (f.namespace == "" || ns == f.namespace)
}

func (f focusSpec) pod(ns, name string) bool { return f.object("Pod", ns, name) }

// finding matches a finding about the focused object, or one that names it (a
// Deployment's finding names its pod's cause; a test's names nothing).
func (f focusSpec) finding(fd findings.Finding) bool {
	if !f.on() {
		return true
	}
	if f.object(fd.Subject.Kind, fd.Subject.Namespace, fd.Subject.Name) {
		return true
	}
	// A finding that names the object as its cause ("caused by: Pod web-1 is …").
	named := f.kind + " " + f.name
	return strings.Contains(fd.Title, named) || strings.Contains(fd.Explanation, named)
}

// findingsOf are the report's findings in focus, ranked, evidence cut to what says why.
func findingsOf(r *model.Report, focus focusSpec) []Finding {
	var out []Finding
	ranks := map[string]int{}
	for i, f := range r.Findings {
		ranks[f.ID] = i + 1
	}
	for i, f := range r.Findings {
		if !focus.finding(f) {
			continue
		}
		fd := Finding{Rank: i + 1, ID: f.ID, Category: f.Category, Severity: string(f.Severity), Title: capped(f.Title), Subject: capped(f.Subject.String()),
			Explanation: capped(f.Explanation), CausedBy: f.CausedBy, Causes: f.Causes, Count: f.Count, Refs: view.BundlePaths(f.Refs), History: f.History, ranks: ranks}
		for _, e := range view.KeyEvidence(f.Evidence, evidenceLines) {
			fd.Evidence = append(fd.Evidence, capped(e))
		}
		if !f.Time.IsZero() {
			fd.Time = f.Time.UTC().Format(time.RFC3339)
		}
		fd.Open = view.OpenNext(fd.Refs)
		out = append(out, fd)
	}

	return out
}

// podsOf are the pods in focus with their health.
func podsOf(r *model.Report, focus focusSpec) []Pod {
	var out []Pod
	for _, p := range r.Pods {
		if !focus.pod(p.Namespace, p.Name) {
			continue
		}
		pod := Pod{Namespace: p.Namespace, Name: p.Name, Phase: p.Phase, Ready: p.Ready, Restarts: p.Restarts,
			Reason: p.Reason, LastTermination: p.LastTermination, Healthy: p.Healthy()}
		if !p.Deleted.IsZero() {
			pod.Deleted, pod.Healthy = p.Deleted.UTC().Format(time.RFC3339Nano), false
		}
		out = append(out, pod)
	}

	return out
}

// logErrors are a tail's distinct error and warning lines since since, the most
// frequent first, then the most recent.
func logErrors(t model.LogTail, since time.Time, most int) []LogError {
	var out []LogError
	lines := view.ContainerErrors(t, since)
	for _, l := range lines[:min(len(lines), most)] {
		e := LogError{Namespace: t.Namespace, Pod: t.Pod, Container: t.Container, Previous: t.Previous, Level: l.Level,
			Count: l.Count, Line: textsafe.Truncate(l.Line, 400)}
		if !l.Last.IsZero() {
			e.Last = l.Last.UTC().Format(time.RFC3339)
		}
		if p, err := bundle.RelPath(t.File); err == nil {
			e.File = p
		}
		out = append(out, e)
	}
	return out
}

// resourcesOf are the custom resources in focus with their conditions.
func resourcesOf(v *view.View, focus focusSpec) []Resource {
	var out []Resource
	for _, it := range v.Resources {
		if !focus.object(it.Kind, it.Namespace, it.Name) {
			continue
		}
		res := Resource{Kind: it.Kind, Namespace: it.Namespace, Name: it.Name, Conditions: []Condition{}, Stale: it.Stale}
		for _, c := range it.Conditions {
			cond := Condition{Type: capped(c.Type), Status: capped(c.Status), Reason: capped(c.Reason), Message: capped(c.Message), Where: capped(c.Where)}
			if !c.LastTransition.IsZero() {
				cond.Since = c.LastTransition.UTC().Format(time.RFC3339)
			}
			res.Conditions = append(res.Conditions, cond)
		}
		out = append(out, res)
	}
	return out
}
