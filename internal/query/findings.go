package query

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/view"
)

const (
	lineBytes  = 300 // one line of a list
	textBytes  = 2000
	keyLines   = 4 // evidence lines the summary shows for the top finding
	topN       = 5
	evidenceAt = 40 // evidence lines get_finding shows
	maxRelated = 20 // findings named as its causes, or as caused by it
)

// FindingRef is a finding in a list.
type FindingRef struct {
	Rank     int    `json:"rank"`
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Category string `json:"category"`
	Title    string `json:"title"`
	Subject  string `json:"subject,omitempty"`
	Count    int    `json:"count"`
	History  string `json:"history,omitempty"` // new, failing since …, flaky (…)
	Time     string `json:"time,omitempty"`
}

func ref(rank int, f findings.Finding) FindingRef {
	r := FindingRef{Rank: rank, ID: f.ID, Severity: string(f.Severity), Category: f.Category, Title: one(f.Title, lineBytes),
		Subject: one(f.Subject.String(), 200), Count: f.Count, History: f.History.Label()}
	if !f.Time.IsZero() {
		r.Time = f.Time.UTC().Format(time.RFC3339)
	}
	return r
}

func (f FindingRef) line() string {
	s := fmt.Sprintf("%d. [%s] %s %s — %s", f.Rank, f.Severity, f.ID, f.Category, f.Title)
	if f.Subject != "" {
		s += " · " + f.Subject
	}
	if f.Count > 1 {
		s += fmt.Sprintf(" · ×%d", f.Count)
	}
	if f.History != "" {
		s += " · " + f.History
	}
	return s + "\n"
}

// TestRef is a failed test in a list.
type TestRef struct {
	Name     string `json:"name"`
	Suite    string `json:"suite,omitempty"`
	Status   string `json:"status"`
	Duration string `json:"duration,omitempty"`
	Start    string `json:"start,omitempty"`
	Message  string `json:"message,omitempty"` // its first line
	Findings int    `json:"findings"`          // findings in its window
	History  string `json:"history,omitempty"`
}

// Summary is the first answer: the verdict, counts, history, the top findings with the
// first one's telling evidence (the cause, in most runs), the failed tests and the gaps.
type Summary struct {
	Status      string         `json:"status"` // passed, warning, failed
	Detail      string         `json:"detail"`
	Source      string         `json:"source"`
	Collected   string         `json:"collected,omitempty"`
	Tests       map[string]int `json:"tests"`
	History     string         `json:"history,omitempty"`
	Findings    int            `json:"findings"`
	Top         []FindingRef   `json:"top"`
	TopEvidence []string       `json:"topEvidence,omitempty"` // the first finding's telling lines
	FailedTests []TestRef      `json:"failedTests"`
	Failed      int            `json:"failedCount"`
	Unhealthy   []PodRef       `json:"unhealthyPods"` // the first of them
	UnhealthyN  int            `json:"unhealthyCount"`
	Gaps        []string       `json:"gaps"`
	Next        []string       `json:"next"` // the calls to make next
}

// Summary answers summary.
func (r *Run) Summary(limit int) (*Summary, string) {
	rep := r.Report
	s := &Summary{Status: rep.Status.Level, Detail: one(rep.Status.Detail, textBytes), Source: one(r.Source, 300),
		Tests: rep.TestCounts, History: one(view.HistoryPlain(rep.History), 600), Findings: len(rep.Findings),
		Top: []FindingRef{}, FailedTests: []TestRef{}, Failed: len(rep.FailedTests), Unhealthy: []PodRef{}, Gaps: []string{}}
	if s.Tests == nil {
		s.Tests = map[string]int{}
	}
	if m := rep.Manifest; m != nil && !m.FinishedAt.IsZero() {
		s.Collected = m.FinishedAt.UTC().Format(time.RFC3339)
	}
	for i, f := range rep.Findings[:min(topN, len(rep.Findings))] {
		s.Top = append(s.Top, ref(i+1, f))
	}
	if len(rep.Findings) > 0 {
		for _, l := range view.KeyEvidence(rep.Findings[0].Evidence, keyLines) {
			s.TopEvidence = append(s.TopEvidence, one(l, lineBytes))
		}
	}
	for _, ft := range rep.FailedTests[:min(topN, len(rep.FailedTests))] {
		s.FailedTests = append(s.FailedTests, testRef(ft.Case, len(ft.Findings)))
	}
	for _, p := range r.View.UnhealthyPods[:min(topN*2, len(r.View.UnhealthyPods))] {
		s.Unhealthy = append(s.Unhealthy, podRef(p))
	}
	s.UnhealthyN = len(r.View.UnhealthyPods)
	for _, g := range rep.Gaps[:min(10, len(rep.Gaps))] {
		s.Gaps = append(s.Gaps, one(g.Collector+": "+g.Error, lineBytes))
	}
	if len(rep.Findings) > 0 {
		s.Next = append(s.Next, fmt.Sprintf("get_finding id=%s", rep.Findings[0].ID))
	}
	if len(rep.FailedTests) > 0 {
		s.Next = append(s.Next, fmt.Sprintf("test_slice test=%s", quote(rep.FailedTests[0].Case.Name, 200)))
	}
	s.Next = append(s.Next, "list_findings", "timeline severity=warning")

	p := newPager(Paging{Limit: limit}.limit())
	var b strings.Builder
	fmt.Fprintf(&b, "Run: %s — %s\nSource: %s", strings.ToUpper(s.Status), s.Detail, s.Source)
	if s.Collected != "" {
		fmt.Fprintf(&b, " (collected %s)", s.Collected)
	}
	b.WriteString("\n")
	if n := len(s.Tests); n > 0 {
		keys := make([]string, 0, n)
		for k := range s.Tests {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d %s", s.Tests[k], k))
		}
		fmt.Fprintf(&b, "Tests: %s\n", strings.Join(parts, ", "))
	}
	if s.History != "" {
		b.WriteString(s.History + "\n")
	}
	fmt.Fprintf(&b, "\nFindings (%d, causes first):\n", s.Findings)
	for i, f := range s.Top {
		b.WriteString(f.line())
		if i == 0 && len(s.TopEvidence) > 0 {
			b.WriteString("   evidence:\n")
			for _, l := range s.TopEvidence {
				b.WriteString("   | " + l + "\n")
			}
		}
	}
	if len(s.Top) == 0 {
		b.WriteString("none\n")
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, "\nFailed tests (%d):\n", s.Failed)
		for _, t := range s.FailedTests {
			b.WriteString(t.line())
		}
	}
	if s.UnhealthyN > 0 {
		fmt.Fprintf(&b, "\nUnhealthy pods (%d; logs namespace=… pod=…, describe kind=Pod):\n", s.UnhealthyN)
		for _, p := range s.Unhealthy {
			b.WriteString(p.line())
		}
	}
	if len(s.Gaps) > 0 {
		fmt.Fprintf(&b, "\nNot collected or not read (%d):\n", len(rep.Gaps))
		for _, g := range s.Gaps {
			b.WriteString("- " + g + "\n")
		}
	}
	fmt.Fprintf(&b, "\nNext: %s\n", strings.Join(s.Next, " · "))
	p.head(b.String())
	return s, p.String()
}

// FindingFilter narrows list_findings.
type FindingFilter struct {
	Severity string // critical, error, warning, info: that severity or worse
	Category string // exact, case-insensitive
	Subject  string // a substring of the subject (Kind/namespace/name)
	History  string // new, failing, flaky, none
}

var severities = []string{"critical", "error", "warning", "info"}

// FindingList is a page of findings.
type FindingList struct {
	Findings []FindingRef `json:"findings"`
	Page
}

// Findings answers list_findings.
func (r *Run) Findings(f FindingFilter, pg Paging) (*FindingList, string, error) {
	worst := len(severities)
	if f.Severity != "" {
		if worst = slices.Index(severities, strings.ToLower(f.Severity)); worst < 0 {
			return nil, "", argErrorf("severity %s: want one of %s", quote(f.Severity, 40), strings.Join(severities, ", "))
		}
	}
	switch f.History {
	case "", "new", "failing", "flaky", "none":
	default:
		return nil, "", argErrorf("history %s: want new, failing, flaky or none", quote(f.History, 40))
	}
	var match []FindingRef
	for i, fd := range r.Report.Findings {
		if f.Severity != "" && slices.Index(severities, string(fd.Severity)) > worst {
			continue
		}
		if f.Category != "" && !strings.EqualFold(f.Category, fd.Category) {
			continue
		}
		if f.Subject != "" && !strings.Contains(strings.ToLower(fd.Subject.String()), strings.ToLower(f.Subject)) {
			continue
		}
		if f.History != "" {
			state := "none"
			if fd.History != nil {
				state = fd.History.State
			}
			if state != f.History {
				continue
			}
		}
		match = append(match, ref(i+1, fd))
	}
	p := newPager(pg.limit())
	p.head(fmt.Sprintf("%d of %d findings match (rank. [severity] id category — title · subject):\n", len(match), len(r.Report.Findings)))
	page, shown, err := items(p, pg, len(match), func(i int) string { return match[i].line() })
	if err != nil {
		return nil, "", err
	}
	out := &FindingList{Findings: []FindingRef{}, Page: page}
	for _, i := range shown {
		out.Findings = append(out.Findings, match[i])
	}
	return out, p.String(), nil
}

// FindingDetail is one finding in full.
type FindingDetail struct {
	FindingRef
	Explanation string       `json:"explanation"`
	Evidence    []string     `json:"evidence"`
	Omitted     int          `json:"omittedEvidence,omitempty"`
	CausedBy    []FindingRef `json:"causedBy,omitempty"`
	Causes      []FindingRef `json:"causes,omitempty"`
	MoreCauses  int          `json:"moreCauses,omitempty"` // causes beyond the first maxRelated
	Files       []Link       `json:"files"`
	Source      string       `json:"source,omitempty"` // file:line of a test failure
	Tests       []string     `json:"tests,omitempty"`  // failed tests whose window holds it
	Window      []string     `json:"window,omitempty"` // a minute before and after it, for logs and timeline
}

// Finding answers get_finding.
func (r *Run) Finding(id string, limit int) (*FindingDetail, string, error) {
	rank := map[string]int{}
	for i, f := range r.Report.Findings {
		rank[f.ID] = i
	}
	i, ok := rank[id]
	if !ok {
		return nil, "", argErrorf("no finding %s in this run (list_findings gives the ids)", quote(id, 80))
	}
	f := r.Report.Findings[i]
	d := &FindingDetail{FindingRef: ref(i+1, f), Explanation: textsafe.Clean(textsafe.Truncate(f.Explanation, textBytes)), Evidence: []string{}, Files: []Link{}}
	ev := f.Evidence
	if len(ev) > evidenceAt {
		ev = view.KeyEvidence(ev, evidenceAt)
		d.Omitted = len(f.Evidence) - evidenceAt
	}
	for _, l := range ev {
		d.Evidence = append(d.Evidence, textsafe.Clean(textsafe.Truncate(l, 1000)))
	}
	for _, id := range f.CausedBy[:min(len(f.CausedBy), maxRelated)] {
		if j, ok := rank[id]; ok {
			d.CausedBy = append(d.CausedBy, ref(j+1, r.Report.Findings[j]))
		}
	}
	for _, id := range f.Causes[:min(len(f.Causes), maxRelated)] {
		if j, ok := rank[id]; ok {
			d.Causes = append(d.Causes, ref(j+1, r.Report.Findings[j]))
		}
	}
	d.MoreCauses = max(0, len(f.Causes)-maxRelated)
	for _, p := range view.BundlePaths(f.Refs) {
		d.Files = append(d.Files, r.FileLink(p))
	}
	if f.File != "" {
		d.Source = one(fmt.Sprintf("%s:%d", f.File, f.Line), 300)
	}
	for _, ft := range r.Report.FailedTests {
		if slices.Contains(ft.Findings, f.ID) {
			d.Tests = append(d.Tests, one(ft.Case.Name, lineBytes))
		}
	}
	if !f.Time.IsZero() {
		d.Window = []string{f.Time.Add(-time.Minute).UTC().Format(time.RFC3339), f.Time.Add(time.Minute).UTC().Format(time.RFC3339)}
	}

	var b strings.Builder
	b.WriteString(d.line())
	fmt.Fprintf(&b, "\n%s\n", d.Explanation)
	if len(d.CausedBy) > 0 {
		b.WriteString("\nCaused by:\n")
		for _, c := range d.CausedBy {
			b.WriteString(c.line())
		}
	}
	if len(d.Causes) > 0 {
		b.WriteString("\nExplains:\n")
		for _, c := range d.Causes {
			b.WriteString(c.line())
		}
		if d.MoreCauses > 0 {
			fmt.Fprintf(&b, "… and %d more (list_findings lists them all)\n", d.MoreCauses)
		}
	}
	if d.Source != "" {
		fmt.Fprintf(&b, "\nSource: %s\n", d.Source)
	}
	if len(d.Tests) > 0 {
		fmt.Fprintf(&b, "Failed tests in its window: %s\n", strings.Join(d.Tests, "; "))
	}
	if len(d.Window) == 2 {
		fmt.Fprintf(&b, "Window: %s to %s (timeline from=… to=…, logs around=%s)\n", d.Window[0], d.Window[1], f.Time.UTC().Format(time.RFC3339))
	}
	if len(d.Files) > 0 {
		b.WriteString("Files:")
		for _, l := range d.Files {
			fmt.Fprintf(&b, " %s", l.URI)
		}
		b.WriteString("\n")
	}
	p := newPager(Paging{Limit: limit}.limit())
	p.head(b.String())
	if len(d.Evidence) > 0 {
		p.head("\nEvidence:\n")
		for i, l := range d.Evidence {
			if !p.item("| "+strings.ReplaceAll(l, "\n", "\n| ")+"\n", i == 0) {
				d.Evidence = d.Evidence[:i]
				p.b.WriteString("… (cut to the budget; read the files above)\n")
				break
			}
		}
		if d.Omitted > 0 {
			fmt.Fprintf(&p.b, "… %d more lines in the files above\n", d.Omitted)
		}
	}
	return d, p.String(), nil
}

// PodRef is a pod in a list: its health in a line.
type PodRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Ready     string `json:"ready"`
	Restarts  int32  `json:"restarts"`
	Reason    string `json:"reason,omitempty"`
	Last      string `json:"lastTermination,omitempty"` // how a container last ended
	Deleted   bool   `json:"deleted,omitempty"`
}

func podRef(p model.PodRow) PodRef {
	r := PodRef{Namespace: one(p.Namespace, 100), Name: one(p.Name, 200), Phase: one(p.Phase, 40), Ready: one(p.Ready, 20), Restarts: p.Restarts,
		Reason: one(p.Reason, 100), Deleted: !p.Deleted.IsZero()}
	if t := p.LastTermination; t != nil {
		r.Last = one(fmt.Sprintf("%s %s, exit code %d", t.Container, t.Reason, t.ExitCode), 200)
	}
	return r
}

func (p PodRef) line() string {
	s := fmt.Sprintf("- %s/%s %s %s ready, %d restarts", p.Namespace, p.Name, p.Phase, p.Ready, p.Restarts)
	if p.Reason != "" && !(p.Last != "" && strings.HasPrefix(p.Reason, "last: ")) {
		s += ", " + p.Reason
	}
	if p.Last != "" {
		s += "; last: " + p.Last
	}
	if p.Deleted {
		s += " (deleted during the run)"
	}
	return s + "\n"
}
