// Package findings detects what went wrong in a bundle: crashing, OOM-killed,
// unpullable, unschedulable or evicted pods, failing probes, unavailable Deployments,
// failed Jobs, pending PVCs, custom resources that are not Ready, operator reconcile
// errors, unexplained Warning events, failed tests, metric breaches and error spans.
// Findings are deduplicated (one per root cause, with counts) and ranked by severity and
// causality, so a crashing pod outranks the test that failed because of it.
package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/results"

	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// Severity of a finding.
type Severity string

const (
	Critical Severity = "critical"
	Error    Severity = "error"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

func (s Severity) weight() int {
	switch s {
	case Critical:
		return 4
	case Error:
		return 3
	case Warning:
		return 2
	}
	return 1
}

// Subject is what a finding is about.
type Subject = kube.ObjectRef

// Finding is one thing that went wrong.
type Finding struct {
	ID          string           `json:"id"`
	Category    string           `json:"category"`
	Severity    Severity         `json:"severity"`
	Title       string           `json:"title"`
	Subject     Subject          `json:"subject"`
	Explanation string           `json:"explanation"`
	Evidence    []string         `json:"evidence,omitempty"`
	Refs        []string         `json:"refs,omitempty"` // bundle files
	Count       int              `json:"count"`
	Time        time.Time        `json:"time,omitzero"`
	Related     []string         `json:"related,omitempty"`  // IDs of findings this one is caused by or causes
	CausedBy    []string         `json:"causedBy,omitempty"` // IDs of the findings that explain this one; they rank above it
	Causes      []string         `json:"causes,omitempty"`   // IDs of the findings this one explains; it ranks above them
	File        string           `json:"file,omitempty"`     // source file, for a test failure annotation
	Line        int              `json:"line,omitempty"`
	Shards      []string         `json:"shards,omitempty"`  // matrix legs it was seen in (merged reports)
	History     *results.History `json:"history,omitempty"` // what the base branch's earlier runs say
	rank        int
	explains    []string // IDs of findings (perhaps another detector's) this one explains; linked after detection
	recovered   bool     // history: from before a restart long past, on a pod healthy since; never a cause
}

// Category is a kind of finding and its place in the causal order: a higher rank is
// more often the cause of a lower one. Each detector declares its categories beside it;
// the registry (registry.go) lists them all.
type Category struct {
	Name string
	Rank int
}

// rankOf is a category's rank by name (for findings read back from report.json);
// a name no detector declares (a newer ci-report's) ranks lowest.
func rankOf(name string) int {
	for _, c := range Categories() {
		if c.Name == name {
			return c.Rank
		}
	}
	return 0
}

func newFinding(c Category, sev Severity, subj Subject, title, explanation string) Finding {
	h := sha256.Sum256([]byte(c.Name + "\x00" + subj.String() + "\x00" + title))
	return Finding{ID: c.Name + "-" + hex.EncodeToString(h[:4]), Category: c.Name, Severity: sev, Subject: subj,
		Title: title, Explanation: explanation, Count: 1, rank: sev.weight()*1000 + c.Rank}
}

// reportUnreadable is merge's category: a shard's report this ci-report cannot read.
var reportUnreadable = Category{"ReportUnreadable", 27}

// ReportUnreadable is the finding for a report this ci-report cannot read (a shard's
// report.json of a newer version, or malformed): its outcome is unknown, never passed.
func ReportUnreadable(name, why string) Finding {
	return newFinding(reportUnreadable, Error, Subject{Kind: "Report", Name: name},
		fmt.Sprintf("The report of %s could not be read", name),
		why+"; its tests and findings are unknown, so this run cannot count as passed")
}

// Rank sorts findings: severity, then causal category, then earliest first; and a
// finding that explains another (CausedBy) always comes before it.
func Rank(fs []Finding) {
	idx := map[string]int{}
	for i := range fs {
		if fs[i].rank == 0 {
			fs[i].rank = fs[i].Severity.weight()*1000 + rankOf(fs[i].Category)
		}
		idx[fs[i].ID] = i
	}
	// Lift causes above their consequences; chains are short, and the bound stops a cycle.
	for range min(len(fs), 8) {
		changed := false
		for i := range fs {
			for _, id := range fs[i].CausedBy {
				if j, ok := idx[id]; ok && j != i && fs[j].rank <= fs[i].rank {
					fs[j].rank, changed = fs[i].rank+1, true
				}
			}
		}
		if !changed {
			break
		}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.rank != b.rank {
			return a.rank > b.rank
		}
		if !a.Time.Equal(b.Time) {
			if a.Time.IsZero() || b.Time.IsZero() {
				return !a.Time.IsZero()
			}
			return a.Time.Before(b.Time)
		}
		return a.Title < b.Title
	})
	// Links read in rank order: the first cause named is the one ranked highest.
	pos := map[string]int{}
	for i := range fs {
		pos[fs[i].ID] = i
	}
	byPos := func(a, b string) int {
		pa, oka := pos[a]
		pb, okb := pos[b]
		switch {
		case oka && okb:
			return pa - pb
		case oka != okb: // a finding not in this list (a shard's) last
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	}
	for i := range fs {
		slices.SortStableFunc(fs[i].CausedBy, byPos)
		slices.SortStableFunc(fs[i].Causes, byPos)
	}
}

// dedupe merges findings with the same ID, adding counts and evidence.
func dedupe(fs []Finding) []Finding {
	idx := map[string]int{}
	var out []Finding
	for _, f := range fs {
		if i, ok := idx[f.ID]; ok {
			out[i].Count += f.Count
			out[i].Evidence = appendUnique(out[i].Evidence, f.Evidence...)
			out[i].Refs = appendUnique(out[i].Refs, f.Refs...)
			out[i].explains = appendUnique(out[i].explains, f.explains...)
			if !f.Time.IsZero() && (out[i].Time.IsZero() || f.Time.Before(out[i].Time)) {
				out[i].Time = f.Time
			}
			continue
		}
		idx[f.ID] = len(out)
		out = append(out, f)
	}
	return out
}

func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			if l == m {
				found = true
				break
			}
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}

// oneLine is an untrusted text as one line of a finding (textsafe's rule for all).
func oneLine(s string) string { return textsafe.OneLine(s, 400) }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
