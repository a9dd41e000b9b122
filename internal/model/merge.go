package model

import (
	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
)

// Shard is one matrix leg's bundle in a merged report.
type Shard struct {
	Name     string         `json:"name"`
	Status   Status         `json:"status"`
	Findings int            `json:"findings"`
	Tests    map[string]int `json:"tests"`
	Gaps     int            `json:"gaps"`
}

// Unreadable is the report of a shard whose report.json cannot be read and which has
// no bundle to render instead: failed, with a finding that says why.
func Unreadable(name string, err error) *Report {
	r := &Report{Tests: &results.Results{Cases: []results.Case{}}, TestCounts: map[string]int{},
		Gaps: []bundle.Gap{{Collector: "merge", Error: err.Error()}}, FailedTests: []FailedTest{},
		Findings: []findings.Finding{findings.ReportUnreadable(name, err.Error())}}
	r.Normalise()
	r.Status = r.status()
	return r
}

// Merge combines the reports of matrix shards into one: a per-shard status table,
// findings merged (one per root cause across shards, counts added, shard names noted),
// and every shard's tests, failed tests, pods, custom resources and gaps.
func Merge(names []string, reports []*Report) *Report {
	m := &Report{Tests: &results.Results{Cases: []results.Case{}}, TestCounts: map[string]int{},
		Gaps: []bundle.Gap{}, Findings: []findings.Finding{}, FailedTests: []FailedTest{}}
	idx := map[string]int{}
	for i, r := range reports {
		name := names[i]
		m.Shards = append(m.Shards, Shard{Name: name, Status: r.Status, Findings: len(r.Findings), Tests: r.TestCounts, Gaps: len(r.Gaps)})
		for _, f := range r.Findings {
			if j, ok := idx[f.ID]; ok {
				m.Findings[j].Count += f.Count
				m.Findings[j].Shards = append(m.Findings[j].Shards, name)
				continue
			}
			f.Shards = []string{name}
			idx[f.ID] = len(m.Findings)
			m.Findings = append(m.Findings, f)
		}
		for _, c := range r.Tests.Cases {
			c.Shard = name
			m.Tests.Cases = append(m.Tests.Cases, c)
		}
		m.Tests.Sources = append(m.Tests.Sources, r.Tests.Sources...)
		for _, ft := range r.FailedTests {
			ft.Case.Shard = name
			m.FailedTests = append(m.FailedTests, ft)
		}
		for _, p := range r.Pods {
			p.Shard = name
			m.Pods = append(m.Pods, p)
		}
		m.CustomResources = append(m.CustomResources, r.CustomResources...)
		for _, g := range r.Gaps {
			g.Shard = name
			m.Gaps = append(m.Gaps, g)
		}
		m.Metrics = append(m.Metrics, r.Metrics...)
		if m.Manifest == nil && r.Manifest != nil {
			mf := *r.Manifest
			m.Manifest = &mf
		}
	}
	findings.Rank(m.Findings)
	for k, v := range m.Tests.Counts() {
		m.TestCounts[string(k)] = v
	}
	m.OperatorActions = []OperatorAction{}
	m.Status = m.status()
	return m
}

// Normalise replaces the nil parts of a report read from JSON by empty ones.
func (r *Report) Normalise() {
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
