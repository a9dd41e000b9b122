package render

import (
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/model"
)

// historyLine is the reports' first line on cross-run memory, e.g. "2 new · 3 already
// failing on main (since abc1234, 6 runs) · 1 flaky · 1 fixed"; "" without a store.
func historyLine(h *model.History, comment bool) string {
	return historyWords(h, lineStyle{
		text: func(s string) string { return mdText(s, comment) },
		code: func(s string) string { return inlineCode(s, comment) },
		bold: func(s string) string { return "**" + s + "**" },
		sub:  func(s string) string { return "<sub>(" + s + ")</sub>" },
	})
}

// historyPlain is the history line as plain text (the page escapes it as HTML).
func historyPlain(h *model.History) string {
	id := func(s string) string { return s }
	return historyWords(h, lineStyle{text: id, code: id, bold: id, sub: func(s string) string { return "(" + s + ")" }})
}

// lineStyle is how a line's parts are written: Markdown or plain text.
type lineStyle struct{ text, code, bold, sub func(string) string }

func historyWords(h *model.History, st lineStyle) string {
	if h == nil {
		return ""
	}
	branch := st.code(h.Base.Branch)
	if h.Note != "" {
		return st.bold("History:") + " " + st.text(h.Note) + " (labels need recorded runs of " + branch + ")"
	}
	var parts []string
	if h.New > 0 {
		parts = append(parts, st.bold(fmt.Sprintf("%d new", h.New)))
	}
	if h.Failing > 0 {
		s := fmt.Sprintf("%d already failing on %s", h.Failing, branch)
		if h.Since != "" {
			s += fmt.Sprintf(" (since %s, %d %s)", st.text(h.Since), h.Streak, plural(h.Streak, "run", "runs"))
		}
		parts = append(parts, s)
	}
	if h.Flaky > 0 {
		parts = append(parts, fmt.Sprintf("%d flaky", h.Flaky))
	}
	if len(h.Fixed) > 0 {
		parts = append(parts, fmt.Sprintf("%d fixed", len(h.Fixed)))
	}
	of := ""
	if h.Of == "findings" {
		of = "findings: "
	}
	window := fmt.Sprintf("%s's last %d %s", branch, h.Base.Runs, plural(h.Base.Runs, "run", "runs"))
	if h.Fetch != "" {
		window += "; " + st.text(h.Fetch)
	}
	if len(parts) == 0 {
		return st.bold("History:") + " nothing failed; compared with " + window
	}
	return st.bold("History:") + " " + of + strings.Join(parts, " · ") + " " + st.sub(window)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
