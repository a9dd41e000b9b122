package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/loglines"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/view"
	deftemplates "github.com/org/k8s-e2e-report/templates"
)

// REPORT.html is a page of its own, for people: rendered from the view (not from
// REPORT.md), one self-contained file — its CSS and script inline and allowed by their
// hashes alone, screenshots as data: URIs — with the run's timeline drawn in SVG.

// Limits of the page.
const (
	maxShotBytes   = 1 << 20 // a screenshot larger than this is linked, not embedded
	maxShotsBytes  = 4 << 20 // all embedded screenshots together
	maxPageCards   = 500     // findings and failed tests shown as cards
	maxEvidence    = 40      // evidence lines a card shows
	maxSliceLines  = 60      // a failed test's log lines and entries
	pageScriptFile = "page.js"
	pageStyleFile  = "page.css"
)

type pageData struct {
	Title     string
	Status    model.Status
	Label     string // the status's word
	History   string // plain text
	Counts    []pageCount
	Grid      []gridCell
	Timeline  *timelineView
	Findings  []findingCard
	Tests     []testCard
	Pods      []model.PodRow
	Shots     []shot
	Gaps      []string
	Generated string
	More      []string // what was left out to keep the page small
	CSS       template.CSS
	JS        template.JS
	CSP       string
}

type pageCount struct {
	Label string
	N     int
	Class string
}

type gridCell struct {
	Href, Label, Title, Class, History string
}

type findingCard struct {
	ID, Rank, Severity, Category, Title, Subject, Explanation, Time, History string
	Evidence                                                                 []evidenceLine
	Refs                                                                     []pageLink
	CausedBy, Causes                                                         []pageLink
	Lane                                                                     string
	Strip                                                                    []stripCell // the base branch's runs, oldest first
	Search                                                                   string      // what the filter matches
}

// stripCell is one base run in a card's strip (TestGrid's cells).
type stripCell struct{ Class, Title string }

// strip turns a label's outcomes ("ppfff", oldest first) into cells; test says what a
// failure is called.
func strip(outcomes string, test bool) []stripCell {
	var out []stripCell
	for i, c := range outcomes {
		what := map[rune]string{'f': "failed", 'k': "flaky", 'p': "passed"}[c]
		if !test {
			what = map[rune]string{'f': "seen", 'p': "not seen"}[c]
		}
		if what == "" {
			continue
		}
		out = append(out, stripCell{Class: "r-" + string(c), Title: fmt.Sprintf("base run %d of %d (oldest first): %s", i+1, len(outcomes), what)})
	}
	return out
}

type evidenceLine struct {
	Text string
	Hit  bool // a line that says what went wrong
}

type pageLink struct{ Href, Text string }

type testCard struct {
	N                                          int
	ID, Name, Suite, Message, Details, History string
	Window                                     string
	Lane                                       string // its suite's lane on the timeline
	Strip                                      []stripCell
	Findings                                   []pageLink
	Entries                                    []evidenceLine
	Lines                                      []evidenceLine
	Search                                     string
}

type shot struct {
	ID               string // shot-N, the anchor its timeline mark links to
	Title, URL, Path string
	Src              template.URL // a data: URI built here from the image's bytes
	Status, Errors   int
}

// Page renders REPORT.html from the report's view.
func Page(r *model.Report, o Options) ([]byte, error) {
	o.defaults()
	v := o.viewOf(r)
	tmpl, err := readTemplate("report.html.tmpl", o)
	if err != nil {
		return nil, err
	}
	css, err := fs.ReadFile(deftemplates.FS, pageStyleFile)
	if err != nil {
		return nil, err
	}
	js, err := fs.ReadFile(deftemplates.FS, pageScriptFile)
	if err != nil {
		return nil, err
	}
	t, err := template.New("page").Funcs(template.FuncMap{"list": func(s ...string) []string { return s }}).Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("template report.html.tmpl: %w", err)
	}
	d := pageOf(v)
	d.CSS, d.JS = template.CSS(css), template.JS(js)
	// Nothing remote, nothing inline but this style and this script.
	d.CSP = "default-src 'none'; img-src data:; style-src " + cspHash(css) + "; script-src " + cspHash(js) + "; base-uri 'none'; form-action 'none'"
	var out bytes.Buffer
	if err := t.Execute(&out, d); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func cspHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func pageOf(v *view.View) *pageData {
	r := v.Report
	d := &pageData{Title: "ci-report", Status: r.Status, Label: StatusLabel(r.Status.Level), Pods: v.UnhealthyPods}
	if m := r.Manifest; m != nil && len(m.Namespaces) > 0 {
		d.Title = "ci-report — " + textsafe.OneLine(strings.Join(m.Namespaces, ", "), 200)
	}
	if m := r.Manifest; m != nil && !m.FinishedAt.IsZero() {
		d.Generated = m.FinishedAt.UTC().Format(time.RFC3339)
	}
	d.History = plainHistory(r.History)
	d.Counts = pageCounts(r)
	ranks := map[string]int{}
	for i, f := range r.Findings {
		ranks[f.ID] = i + 1
	}
	byObject := findingsByObject(r.Findings)
	anchors := testAnchors(r.FailedTests)
	d.Timeline = drawTimeline(v, byObject, anchors)
	laneOf := map[string]string{}
	if d.Timeline != nil {
		for _, g := range d.Timeline.Groups {
			for _, l := range g.Lanes {
				laneOf[l.Full] = l.ID
			}
		}
	}
	for i, f := range r.Findings {
		if i >= maxPageCards {
			d.More = append(d.More, fmt.Sprintf("%d more findings (report.json has them all)", len(r.Findings)-maxPageCards))
			break
		}
		fc := findingCardOf(f, i+1, ranks, laneOf[f.Subject.String()])
		if r.History != nil {
			fc.Strip = strip(r.History.Recent[f.ID], false)
		}
		d.Findings = append(d.Findings, fc)
		d.Grid = append(d.Grid, gridCell{Href: "#finding-" + f.ID, Label: fmt.Sprintf("#%d", i+1), Title: textsafe.OneLine(f.Title, 300),
			Class: "s-" + string(f.Severity), History: f.History.Label()})
	}
	for i, ft := range r.FailedTests {
		if i >= maxPageCards {
			d.More = append(d.More, fmt.Sprintf("%d more failed tests", len(r.FailedTests)-maxPageCards))
			break
		}
		tc := testCardOf(ft, i+1, ranks)
		tc.Lane = laneOf["tests: "+ft.Case.Suite]
		if r.History != nil {
			tc.Strip = strip(r.History.Recent[ft.Case.ID()], true)
		}
		d.Tests = append(d.Tests, tc)
		d.Grid = append(d.Grid, gridCell{Href: fmt.Sprintf("#test-%d", i+1), Label: "T" + fmt.Sprint(i+1), Title: textsafe.OneLine("Test "+ft.Case.Name+" failed", 300),
			Class: "s-error t", History: ft.Case.History.Label()})
	}
	d.Shots = shots(r.Screenshots)
	for _, g := range r.Gaps {
		d.Gaps = append(d.Gaps, textsafe.OneLine(g.Collector+": "+g.Error, 500))
	}
	return d
}

func findingCardOf(f findings.Finding, rank int, ranks map[string]int, lane string) findingCard {
	c := findingCard{ID: f.ID, Rank: fmt.Sprint(rank), Severity: string(f.Severity), Category: f.Category, Title: textsafe.OneLine(f.Title, 500),
		Subject: f.Subject.String(), Explanation: textsafe.Truncate(textsafe.Clean(f.Explanation), 4000), Lane: lane}
	if !f.Time.IsZero() {
		c.Time = f.Time.UTC().Format("2006-01-02 15:04:05Z")
	}
	c.History = f.History.Label()
	for i, e := range f.Evidence {
		if i >= maxEvidence {
			c.Evidence = append(c.Evidence, evidenceLine{Text: fmt.Sprintf("… %d more lines", len(f.Evidence)-maxEvidence)})
			break
		}
		c.Evidence = append(c.Evidence, evidenceLine{Text: textsafe.OneLine(e, 2000), Hit: loglines.Level(e) == "error" || loglines.Telling([]string{e}) == 0})
	}
	for _, ref := range f.Refs {
		if p, ok := relPath(ref); ok {
			c.Refs = append(c.Refs, pageLink{Href: p, Text: strings.TrimPrefix(ref, "./")})
		}
	}
	link := func(ids []string) []pageLink {
		var out []pageLink
		for _, id := range ids {
			out = append(out, pageLink{Href: "#finding-" + id, Text: fmt.Sprintf("#%d %s", ranks[id], id)})
		}
		return out
	}
	c.CausedBy, c.Causes = link(f.CausedBy), link(f.Causes)
	c.Search = strings.ToLower(strings.Join([]string{f.ID, f.Category, string(f.Severity), c.Title, c.Subject, c.Explanation, c.History}, " "))
	return c
}

func testCardOf(ft model.FailedTest, n int, ranks map[string]int) testCard {
	c := testCard{N: n, ID: fmt.Sprintf("test-%d", n), Name: textsafe.OneLine(ft.Case.Name, 500), Suite: textsafe.OneLine(ft.Case.Suite, 300),
		Message: textsafe.Truncate(textsafe.Clean(ft.Case.Message), 2000), Details: textsafe.Truncate(textsafe.Clean(ft.Case.Details), 8000)}
	c.History = ft.Case.History.Label()
	if !ft.Window[0].IsZero() {
		c.Window = ft.Window[0].UTC().Format("15:04:05") + " – " + ft.Window[1].UTC().Format("15:04:05")
	}
	for _, id := range ft.Findings {
		c.Findings = append(c.Findings, pageLink{Href: "#finding-" + id, Text: fmt.Sprintf("#%d %s", ranks[id], id)})
	}
	for i, e := range ft.Entries {
		if i >= maxSliceLines {
			break
		}
		c.Entries = append(c.Entries, evidenceLine{Text: textsafe.OneLine(e.Time.UTC().Format("15:04:05.000")+" "+e.Object.String()+" "+e.Message, 1000), Hit: e.Severity == "error"})
	}
	for i, l := range ft.LogLines {
		if i >= maxSliceLines {
			break
		}
		c.Lines = append(c.Lines, evidenceLine{Text: textsafe.OneLine(l.File+": "+l.Text, 1000), Hit: l.Level == "error"})
	}
	c.Search = strings.ToLower(strings.Join([]string{"test", "error", c.Name, c.Suite, c.Message, c.History}, " "))
	return c
}

func pageCounts(r *model.Report) []pageCount {
	sev := map[findings.Severity]int{}
	for _, f := range r.Findings {
		sev[f.Severity]++
	}
	out := []pageCount{{"failed tests", r.TestCounts["failed"] + r.TestCounts["error"], "s-error"}, {"tests", len(r.Tests.Cases), "s-ok"}}
	for _, s := range []findings.Severity{findings.Critical, findings.Error, findings.Warning, findings.Info} {
		if sev[s] > 0 {
			out = append(out, pageCount{string(s) + " findings", sev[s], "s-" + string(s)})
		}
	}
	return out
}

// shots are the screenshots, embedded as data: URIs up to their caps, linked beyond.
func shots(ss []model.Screenshot) []shot {
	var out []shot
	total := 0
	for i, s := range ss {
		sh := shot{ID: fmt.Sprintf("shot-%d", i+1), Title: textsafe.OneLine(s.Title, 300), URL: textsafe.OneLine(s.URL, 500), Status: s.Status, Errors: s.Errors}
		if p, ok := relPath(s.Path); ok {
			sh.Path = p
		}
		if (s.Type == "image/png" || s.Type == "image/jpeg") && len(s.Data) <= maxShotBytes && total+len(s.Data) <= maxShotsBytes {
			total += len(s.Data)
			sh.Src = template.URL("data:" + s.Type + ";base64," + base64.StdEncoding.EncodeToString(s.Data))
		}
		out = append(out, sh)
	}
	return out
}

// plainHistory is the history line as one line of plain text.
func plainHistory(h *model.History) string { return textsafe.OneLine(view.HistoryPlain(h), 600) }
