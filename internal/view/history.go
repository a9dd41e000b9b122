package view

import (
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/model"
)

// HistoryPlain is the history line as plain text (the page escapes it as HTML).
func HistoryPlain(h *model.History) string {
	id := func(s string) string { return s }
	return HistoryWords(h, LineStyle{Text: id, Code: id, Bold: id, Sub: func(s string) string { return "(" + s + ")" }})
}

// LineStyle is how a line's parts are written: Markdown or plain text.
type LineStyle struct{ Text, Code, Bold, Sub func(string) string }

// HistoryWords is the reports' first line on cross-run memory, e.g. "2 new · 3 already
// failing on main (since abc1234, 6 runs) · 1 flaky · 1 fixed", written in a style;
// "" without a store.
func HistoryWords(h *model.History, st LineStyle) string {
	if h == nil {
		return ""
	}
	branch := st.Code(h.Base.Branch)
	if h.Note != "" {
		return st.Bold("History:") + " " + st.Text(h.Note) + " (labels need recorded runs of " + branch + ")"
	}
	var parts []string
	if h.New > 0 {
		parts = append(parts, st.Bold(fmt.Sprintf("%d new", h.New)))
	}
	if h.Failing > 0 {
		s := fmt.Sprintf("%d already failing on %s", h.Failing, branch)
		if h.Since != "" {
			s += fmt.Sprintf(" (since %s, %d %s)", st.Text(h.Since), h.Streak, plural(h.Streak, "run", "runs"))
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
		window += "; " + st.Text(h.Fetch)
	}
	if len(parts) == 0 {
		return st.Bold("History:") + " nothing failed; compared with " + window
	}
	return st.Bold("History:") + " " + of + strings.Join(parts, " · ") + " " + st.Sub(window)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
