package view

import (
	"sort"
	"time"

	"github.com/org/k8s-e2e-report/internal/fingerprint"
	"github.com/org/k8s-e2e-report/internal/model"
)

// LineCount is one distinct error or warning line of a container's log: its latest
// wording, how often it came (repeats normalised as fingerprints are), and when last.
type LineCount struct {
	Level string
	Line  string
	Count int
	Last  time.Time
}

// ContainerErrors are a log tail's distinct error and warning lines at or after since
// (zero: all), the most frequent first, then the most recent.
func ContainerErrors(t model.LogTail, since time.Time) []LineCount {
	byText := map[string]*LineCount{}
	var order []string
	for _, l := range t.Lines {
		if l.Level == "" || (!since.IsZero() && !l.Time.IsZero() && l.Time.Before(since)) {
			continue
		}
		key := fingerprint.Normalise(l.Text)
		a, ok := byText[key]
		if !ok {
			a = &LineCount{Level: l.Level}
			byText[key] = a
			order = append(order, key)
		}
		a.Count++
		a.Line = l.Text // the latest wording
		if !l.Time.IsZero() {
			a.Last = l.Time
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := byText[order[i]], byText[order[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Last.After(b.Last)
	})
	out := make([]LineCount, 0, len(order))
	for _, k := range order {
		out = append(out, *byText[k])
	}
	return out
}
