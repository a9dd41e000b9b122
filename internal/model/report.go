package model

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
)

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
