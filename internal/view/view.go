// Package view is what every output shows of an analysed report, built once from the
// model: failures and findings folded into groups, unhealthy pods, each container's
// distinct error lines, each operator's reconciles, stale custom resources and the
// timeline's lanes. REPORT.md, the comment, the summary, the HTML page and investigate
// all read it, so they agree by construction; each rule lives with the type it is about
// (PodRow.Healthy, Action.Failed, CRItem.Stale) and is asked here once.
package view

import (
	"github.com/org/k8s-e2e-report/internal/model"
)

// View is a report as the outputs show it.
type View struct {
	Report        *model.Report
	FailureGroups []FailureGroup
	FindingGroups []FindingGroup
	UnhealthyPods []model.PodRow
	Reconciles    []Reconcile // per controller and object, failing ones first
	Resources     []Resource  // custom resources, in the report's order
	Lanes         []Lane      // the timeline, one lane per object, tests first
}

// Build makes the view of r.
func Build(r *model.Report) *View {
	return &View{
		Report:        r,
		FailureGroups: GroupFailures(r.FailedTests),
		FindingGroups: GroupFindings(r.Findings),
		UnhealthyPods: UnhealthyPods(r.Pods),
		Reconciles:    Reconciles(r.OperatorActions),
		Resources:     Resources(r.CustomResources),
		Lanes:         Lanes(r),
	}
}

// UnhealthyPods are the rows whose pod is not healthy (PodRow.Healthy).
func UnhealthyPods(rows []model.PodRow) []model.PodRow {
	var out []model.PodRow
	for _, p := range rows {
		if !p.Healthy() {
			out = append(out, p)
		}
	}
	return out
}

// FailingReconciles are the reconciles whose last result failed.
func (v *View) FailingReconciles() []Reconcile {
	var out []Reconcile
	for _, rc := range v.Reconciles {
		if rc.Failing() {
			out = append(out, rc)
		}
	}
	return out
}
