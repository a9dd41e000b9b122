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
	"sort"
	"strings"
	"time"
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
type Subject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (s Subject) String() string {
	if s.Namespace == "" {
		return s.Kind + "/" + s.Name
	}
	return s.Kind + "/" + s.Namespace + "/" + s.Name
}

// Finding is one thing that went wrong.
type Finding struct {
	ID          string    `json:"id"`
	Category    string    `json:"category"`
	Severity    Severity  `json:"severity"`
	Title       string    `json:"title"`
	Subject     Subject   `json:"subject"`
	Explanation string    `json:"explanation"`
	Evidence    []string  `json:"evidence,omitempty"`
	Refs        []string  `json:"refs,omitempty"` // bundle files
	Count       int       `json:"count"`
	Time        time.Time `json:"time,omitzero"`
	Related     []string  `json:"related,omitempty"`  // IDs of findings this one is caused by or causes
	CausedBy    []string  `json:"causedBy,omitempty"` // IDs of the findings that explain this one; they rank above it
	File        string    `json:"file,omitempty"`     // source file, for a test failure annotation
	Line        int       `json:"line,omitempty"`
	Shards      []string  `json:"shards,omitempty"` // matrix legs it was seen in (merged reports)
	rank        int
}

// Categories, in causal order: earlier ones are more often the cause of later ones.
var categoryRank = map[string]int{
	"CrashLoopBackOff":           100,
	"OOMKilled":                  95,
	"ImagePullBackOff":           90,
	"CreateContainerConfigError": 90,
	"Unschedulable":              85,
	"Evicted":                    80,
	"PVCPending":                 75,
	"JobFailed":                  70,
	"ResourceNotReady":           65,
	"OperatorError":              60,
	"DeploymentUnavailable":      55,
	"ErrorSpan":                  50,
	"ProbeFailing":               45,
	"HighRestarts":               40,
	"ConsoleError":               35,
	"MetricBreach":               30,
	"ResultsUnreadable":          28,
	"ReportUnreadable":           27,
	"TestFailed":                 25,
	"WarningEvent":               20,
	"TestFlaky":                  10,
}

func newFinding(category string, sev Severity, subj Subject, title, explanation string) Finding {
	h := sha256.Sum256([]byte(category + "\x00" + subj.String() + "\x00" + title))
	return Finding{ID: category + "-" + hex.EncodeToString(h[:4]), Category: category, Severity: sev, Subject: subj,
		Title: title, Explanation: explanation, Count: 1, rank: sev.weight()*1000 + categoryRank[category]}
}

// ReportUnreadable is the finding for a report this ci-report cannot read (a shard's
// report.json of a newer version, or malformed): its outcome is unknown, never passed.
func ReportUnreadable(name, why string) Finding {
	return newFinding("ReportUnreadable", Error, Subject{Kind: "Report", Name: name},
		fmt.Sprintf("The report of %s could not be read", name),
		why+"; its tests and findings are unknown, so this run cannot count as passed")
}

// Rank sorts findings: severity, then causal category, then earliest first; and a
// finding that explains another (CausedBy) always comes before it.
func Rank(fs []Finding) {
	idx := map[string]int{}
	for i := range fs {
		if fs[i].rank == 0 {
			fs[i].rank = fs[i].Severity.weight()*1000 + categoryRank[fs[i].Category]
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

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
