package render

import (
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/view"
)

// historyLine is the reports' first line on cross-run memory, e.g. "2 new · 3 already
// failing on main (since abc1234, 6 runs) · 1 flaky · 1 fixed"; "" without a store.
func historyLine(h *model.History, comment bool) string {
	return view.HistoryWords(h, view.LineStyle{
		Text: func(s string) string { return mdText(s, comment) },
		Code: func(s string) string { return inlineCode(s, comment) },
		Bold: func(s string) string { return "**" + s + "**" },
		Sub:  func(s string) string { return "<sub>(" + s + ")</sub>" },
	})
}

// memo remembers f's result for the last slice it was given (the same backing array and
// length): a template calls it more than once per render, and shrinking to a budget
// renders again. It starts out knowing f(seed) = seeded (the view's groups of the report's
// own slices).
func memo[T, G any](f func([]T) []G, seed []T, seeded []G) func([]T) []G {
	var last *T
	var n int
	var out []G
	if len(seed) > 0 {
		last, n, out = &seed[0], len(seed), seeded
	}
	return func(items []T) []G {
		if len(items) == 0 {
			return nil
		}
		if &items[0] != last || len(items) != n {
			last, n, out = &items[0], len(items), f(items)
		}
		return out
	}
}
