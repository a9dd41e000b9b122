package view

import (
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/fingerprint"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

// GroupFailures folds failed tests with one normalised message and history label;
// GroupFindings findings of one category, severity and label with one normalised
// explanation.

// FailureGroup is failed tests that share one cause: their messages are the same once
// normalised (or within 10%), so the comment shows them as one line with a count.
type FailureGroup struct {
	model.FailedTest
	Others []string // the other tests' names
}

// FindingGroup is findings of one category whose explanations are the same once
// normalised: 14 tests failing with one message are one line.
type FindingGroup struct {
	findings.Finding
	Others []string // the other findings' titles
}

func GroupFailures(fts []model.FailedTest) []FailureGroup {
	var out []FailureGroup
	// Failures with different history labels are never one line: a new failure among
	// known ones must be named where a person reads the comment.
	for _, g := range group(fts, func(ft model.FailedTest) (string, string) {
		return historyState(ft.Case.History), fingerprint.Normalise(ft.Case.Message)
	}) {
		fg := FailureGroup{FailedTest: g[0]}
		for _, ft := range g[1:] {
			fg.Others = append(fg.Others, ft.Case.Name)
		}
		out = append(out, fg)
	}
	return out
}

func GroupFindings(fs []findings.Finding) []FindingGroup {
	var out []FindingGroup
	for _, g := range group(fs, func(f findings.Finding) (string, string) {
		if f.Explanation == "" {
			return "", ""
		}
		return f.Category + "\x00" + string(f.Severity) + "\x00" + historyState(f.History), fingerprint.Normalise(f.Explanation)
	}) {
		fg := FindingGroup{Finding: g[0]}
		for _, f := range g[1:] {
			fg.Others = append(fg.Others, f.Title)
		}
		out = append(out, fg)
	}
	return out
}

// maxFuzzyGroups bounds the edit-distance comparisons: past it, only equal keys group
// (edit distance is quadratic in the texts' length).
const maxFuzzyGroups = 40

// group folds items whose kinds are equal and whose texts are equal or within 10% of
// each other (fingerprint's rule), in the order of each group's first item; an empty
// text never groups.
func group[T any](items []T, key func(T) (kind, text string)) [][]T {
	type k struct{ kind, text string }
	var groups [][]T
	var keys []k
	index := map[k]int{}
	for _, it := range items {
		kind, text := key(it)
		found, ok := index[k{kind, text}]
		if !ok && text != "" && len(keys) <= maxFuzzyGroups {
			for i, other := range keys {
				if other.kind == kind && other.text != "" && fingerprint.Similar(other.text, text) {
					found, ok = i, true
					break
				}
			}
		}
		if !ok || text == "" {
			index[k{kind, text}] = len(groups)
			groups, keys = append(groups, []T{it}), append(keys, k{kind, text})
			continue
		}
		groups[found] = append(groups[found], it)
	}
	return groups
}

// historyState is a label's state ("" without history).
func historyState(h *results.History) string {
	if h == nil {
		return ""
	}
	return h.State
}
