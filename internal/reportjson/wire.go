package reportjson

import (
	_ "embed"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// Version of report.json. A change of its shape (report.schema.json, checked by
// TestSchemaSnapshot) is a new version; a reader refuses another version.
//
// Version 2: the schema named by $schema; timeline entries' object is {kind, namespace,
// name} with reason and end; no rendered status line.
// Version 3: pages[].at and screenshots[].at (when the console page was opened) and
// screenshots[].failed.
const Version = 3

// SchemaID names report.json's JSON Schema (report.schema.json in this package), the
// $schema of every report.json.
const SchemaID = "https://github.com/org/k8s-e2e-report/schema/report.v3.json"

// Report is report.json: a type of its own, converted from the model, so the model can
// change without changing the wire (TestSchemaSnapshot fails when this shape changes
// without a new Version).
type Report struct {
	Schema          string                 `json:"$schema"`
	Version         int                    `json:"version"`
	Bundle          string                 `json:"bundle"`
	Manifest        *bundle.Manifest       `json:"manifest,omitempty"`
	Status          Status                 `json:"status"`
	Findings        []findings.Finding     `json:"findings"`
	FailedTests     []model.FailedTest     `json:"failedTests"`
	Timeline        []timeline.Entry       `json:"timeline"`
	Pods            []model.PodRow         `json:"pods"`
	Tests           *results.Results       `json:"tests"`
	TestCounts      map[string]int         `json:"testCounts"`
	Metrics         []metrics.Metric       `json:"metrics,omitempty"`
	OperatorActions []opactions.Action     `json:"operatorActions"`
	CustomResources []model.CRType         `json:"customResources"`
	Traces          *model.TraceSummary    `json:"traces,omitempty"`
	Screenshots     []model.Screenshot     `json:"screenshots,omitempty"`
	Pages           []bundle.Page          `json:"pages,omitempty"`
	Logs            []model.LogTail        `json:"logs"`
	Errors          []model.ExtractedError `json:"errors"`
	Gaps            []bundle.Gap           `json:"gaps"`
	Notes           []bundle.Gap           `json:"notes,omitempty"`
	Files           []model.File           `json:"files"`
	Shards          []Shard                `json:"shards,omitempty"`
	Cuts            []string               `json:"cuts,omitempty"`
	History         *model.History         `json:"history,omitempty"`
}

// Status is the verdict: its level and what it counts. Renderers word it.
type Status struct {
	Level  string `json:"level"` // "passed", "warning" or "failed"
	Detail string `json:"detail"`
}

// Shard is one matrix leg of a merged report.
type Shard struct {
	Name     string         `json:"name"`
	Status   Status         `json:"status"`
	Findings int            `json:"findings"`
	Tests    map[string]int `json:"tests"`
	Gaps     int            `json:"gaps"`
}

// fromModel is r on the wire (a shallow copy: the slices are r's).
func fromModel(r *model.Report) *Report {
	w := &Report{Schema: SchemaID, Version: Version, Bundle: r.Bundle, Manifest: r.Manifest,
		Status: Status{Level: r.Status.Level, Detail: r.Status.Detail}, Findings: r.Findings, FailedTests: r.FailedTests,
		Timeline: r.Timeline, Pods: r.Pods, Tests: r.Tests, TestCounts: r.TestCounts, Metrics: r.Metrics,
		OperatorActions: r.OperatorActions, CustomResources: r.CustomResources, Traces: r.Traces, Screenshots: r.Screenshots,
		Pages: r.Pages, Logs: r.Logs, Errors: r.Errors, Gaps: r.Gaps, Notes: r.Notes, Files: r.Files, Cuts: r.Cuts, History: r.History}
	for _, s := range r.Shards {
		w.Shards = append(w.Shards, Shard{Name: s.Name, Status: Status{Level: s.Status.Level, Detail: s.Status.Detail},
			Findings: s.Findings, Tests: s.Tests, Gaps: s.Gaps})
	}
	return w
}

// model is the report read from the wire.
func (w *Report) model() *model.Report {
	r := &model.Report{Bundle: w.Bundle, Manifest: w.Manifest, Status: model.Status{Level: w.Status.Level, Detail: w.Status.Detail},
		Findings: w.Findings, FailedTests: w.FailedTests, Timeline: w.Timeline, Pods: w.Pods, Tests: w.Tests, TestCounts: w.TestCounts,
		Metrics: w.Metrics, OperatorActions: w.OperatorActions, CustomResources: w.CustomResources, Traces: w.Traces,
		Screenshots: w.Screenshots, Pages: w.Pages, Logs: w.Logs, Errors: w.Errors, Gaps: w.Gaps, Notes: w.Notes, Files: w.Files,
		Cuts: w.Cuts, History: w.History}
	for _, s := range w.Shards {
		r.Shards = append(r.Shards, model.Shard{Name: s.Name, Status: model.Status{Level: s.Status.Level, Detail: s.Status.Detail},
			Findings: s.Findings, Tests: s.Tests, Gaps: s.Gaps})
	}
	return r
}

// SchemaFile is report.json's JSON Schema in this package (generated from Report by
// go test ./internal/reportjson -update; TestSchemaIsGenerated keeps it so).
const SchemaFile = "report.schema.json"

// Schema is report.schema.json.
//
//go:embed report.schema.json
var Schema []byte
