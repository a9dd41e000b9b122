package render

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"github.com/org/k8s-e2e-report/internal/view"
)

// The page's timeline is drawn here, in Go, as numbers the template puts into SVG: it is
// whole without JavaScript, and every string in it goes through html/template.
const (
	svgWidth   = 1000.0 // viewBox units
	svgLabelW  = 250.0  // the lane labels' column
	svgPlotX0  = svgLabelW + 8
	svgPlotX1  = svgWidth - 10
	svgLaneH   = 18.0
	svgAxisH   = 22.0
	maxLanes   = 400 // past it, lanes are counted, not drawn
	maxMarks   = 4000
	mergeWidth = 3.0 // marks closer than this (viewBox units) on one lane merge into one
)

// timelineView is the drawn timeline: lane groups (one SVG each, collapsible), the axis,
// and the failed tests' windows shaded across every group.
type timelineView struct {
	Start, End time.Time
	T0, T1     int64 // Unix ms, for the zoom script
	Ticks      []tick
	Groups     []laneGroup
	Windows    []window
	Hidden     int // lanes past maxLanes
	Merged     int // marks merged into others
	Outside    int // facts far outside the others' time (another clock, a bad timestamp), drawn at the edge
	Marks      int
	namespaces int // distinct namespaces of the lanes' objects: one, and labels leave it out
}

type tick struct {
	X     float64
	Label string
}

type laneGroup struct {
	ID     string
	Title  string
	Open   bool // groups with an error start open
	Height float64
	Lanes  []drawnLane
}

type drawnLane struct {
	ID       string // lane-N, a link target
	Label    string // the object, cut to fit
	Full     string // the object, whole (the label's title)
	Worst    string
	Bars     []drawnSpan
	Phases   []drawnSpan // a pod's phases, a strip under its bars
	Marks    []drawnSpan
	TextY    float64
	MarkY    float64
	BarY     float64
	PhaseY   float64
	Finding  string // the finding on the lane's object, the lane label's link
	Category string // pod, test, job, object, service
}

type drawnSpan struct {
	X, W   float64
	S, E   int64 // Unix ms (E 0 for a mark), for the zoom script
	Class  string
	Title  string
	Href   string // #finding-ID or #test-N: where the page explains it
	Count  int    // merged marks
	Cx, Cy float64
	sev    string // the worst severity of the merged marks
}

type window struct {
	X, W  float64
	S, E  int64
	Title string
	Href  string
}

// podSuffix is a pod name's generated part: a ReplicaSet's hash and the pod's own, or
// a StatefulSet's ordinal stays (its pods are its lanes).
var podSuffix = lazyre.New(`(-[a-z0-9]{8,10})?-[a-z0-9]{5}$`)

// ownerGroup is the group a lane is drawn in: the tests, a pod's owner (its name without
// the generated suffix), or the object's kind.
func ownerGroup(l view.Lane) string {
	switch {
	case l.Tests:
		return "Tests"
	case l.Object.Kind == "Pod":
		return "Pods " + podSuffix().ReplaceAllString(l.Object.Name, "")
	}
	return l.Object.Kind
}

// drawTimeline lays out v's lanes on one time axis.
func drawTimeline(v *view.View, findingsByObject map[kube.ObjectRef]string, testAnchor map[string]string) *timelineView {
	lanes := v.Lanes
	if len(lanes) == 0 {
		return nil
	}
	t0, t1, outside := axisRange(lanes)
	tv := &timelineView{Start: t0, End: t1, T0: t0.UnixMilli(), T1: t1.UnixMilli(), Outside: outside}
	nss := map[string]bool{}
	for _, l := range lanes {
		if l.Object.Namespace != "" {
			nss[l.Object.Namespace] = true
		}
	}
	tv.namespaces = len(nss)
	x := func(t time.Time) float64 {
		t = maxTime(t0, minTime(t, t1)) // an outlier sits at the edge
		return round2(svgPlotX0 + float64(t.Sub(t0))/float64(t1.Sub(t0))*(svgPlotX1-svgPlotX0))
	}
	tv.Ticks = ticks(t0, t1, x)
	// Groups in the order of their first lane (the view puts tests, then errors, first).
	order := []string{}
	byGroup := map[string][]view.Lane{}
	for i, l := range lanes {
		if i >= maxLanes {
			tv.Hidden = len(lanes) - maxLanes
			break
		}
		g := ownerGroup(l)
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], l)
	}
	n := 0
	for gi, name := range order {
		g := laneGroup{ID: fmt.Sprintf("group-%d", gi), Title: textsafe.OneLine(name, 120)}
		for li, l := range byGroup[name] {
			dl := tv.lane(l, n, float64(li)*svgLaneH, x, findingsByObject, testAnchor)
			n++
			if dl.Worst == "error" || dl.Category == "console" && dl.Worst != "" {
				g.Open = true // errors, and a console page that answered with errors, show
			}
			g.Lanes = append(g.Lanes, dl)
		}
		if gi < 3 {
			g.Open = true
		}
		g.Height = float64(len(g.Lanes))*svgLaneH + 4
		tv.Groups = append(tv.Groups, g)
	}
	for i, ft := range v.Report.FailedTests {
		if ft.Window[0].IsZero() {
			continue
		}
		s, e := maxTime(ft.Window[0], t0), minTime(ft.Window[1], t1)
		if !e.After(s) {
			continue
		}
		tv.Windows = append(tv.Windows, window{X: x(s), W: round2(x(e) - x(s)), S: s.UnixMilli(), E: e.UnixMilli(),
			Title: "window of the failed test " + textsafe.OneLine(ft.Case.Name, 200), Href: fmt.Sprintf("#test-%d", i+1)})
	}
	return tv
}

// axisRange is the time the axis spans: every fact's, unless some lie far from the rest
// (a results file of another day, a timestamp of year 1), which would squash the run into
// a pixel. Far is more than twenty interquartile ranges (at least five minutes each)
// beyond the middle half of the facts; those are counted and drawn at the axis's ends.
func axisRange(lanes []view.Lane) (time.Time, time.Time, int) {
	var ts []time.Time
	for _, l := range lanes {
		for _, s := range l.Spans {
			ts = append(ts, s.Start)
			if !s.End.IsZero() {
				ts = append(ts, s.End)
			}
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	n := len(ts)
	q1, q3 := ts[n/4], ts[(3*n)/4]
	reach := 20 * max(q3.Sub(q1), 5*time.Minute)
	lo, hi := q1.Add(-reach), q3.Add(reach)
	t0, t1, outside := time.Time{}, time.Time{}, 0
	for _, t := range ts {
		if t.Before(lo) || t.After(hi) {
			outside++
			continue
		}
		if t0.IsZero() || t.Before(t0) {
			t0 = t
		}
		if t.After(t1) {
			t1 = t
		}
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	return t0, t1, outside
}

// lane draws one lane: intervals as bars, moments as marks, marks that would overlap
// merged (their titles kept, up to a few), each linked to what explains it.
func (tv *timelineView) lane(l view.Lane, n int, y float64, x func(time.Time) float64, findingsByObject map[kube.ObjectRef]string, testAnchor map[string]string) drawnLane {
	full := l.Title
	short := full
	if !l.Tests {
		short = l.Object.Name // the group names the kind (or the owner), the title the rest
		if l.Object.Namespace != "" && tv.namespaces > 1 {
			short = l.Object.Namespace + "/" + short
		}
	}
	dl := drawnLane{ID: fmt.Sprintf("lane-%d", n+1), Label: textsafe.OneLine(cutMiddle(short, 40), 200), Full: textsafe.OneLine(full, 400),
		Worst: l.Worst, TextY: y + 13, MarkY: y + 9, BarY: y + 4, PhaseY: y + 14.5, Category: laneCategory(l)}
	if !l.Tests {
		dl.Finding = findingsByObject[l.Object]
	}
	var last *drawnSpan
	for _, s := range l.Spans {
		if tv.Marks >= maxMarks {
			tv.Merged++
			continue
		}
		title := textsafe.OneLine(s.Start.UTC().Format("15:04:05.000")+" "+s.Label, 300)
		cls := "s-" + sevClass(s.Severity) + " k-" + s.Source
		href := ""
		if s.Shot > 0 {
			href = fmt.Sprintf("#shot-%d", s.Shot)
		} else if l.Tests && s.Severity == "error" {
			href = testAnchor[s.Label]
		} else if dl.Finding != "" && s.Severity != "" {
			href = "#finding-" + dl.Finding
		}
		if !s.End.IsZero() && s.End.After(s.Start) {
			w := round2(max(x(s.End)-x(s.Start), 1.5))
			if s.Source == timeline.SourcePhase {
				dl.Phases = append(dl.Phases, drawnSpan{X: x(s.Start), W: w, S: s.Start.UnixMilli(), E: s.End.UnixMilli(), Class: "phase p-" + strings.ToLower(s.Reason),
					Title: title + " (" + s.End.Sub(s.Start).Round(time.Millisecond).String() + ")"})
				tv.Marks++
				continue
			}
			dl.Bars = append(dl.Bars, drawnSpan{X: x(s.Start), W: w, S: s.Start.UnixMilli(), E: s.End.UnixMilli(), Class: cls,
				Title: title + " (" + s.End.Sub(s.Start).Round(time.Millisecond).String() + ")", Href: href})
			tv.Marks++
			continue
		}
		cx := x(s.Start)
		if last != nil && cx-last.Cx < mergeWidth {
			last.Count++
			if worse(s.Severity, last.sev) {
				last.Class, last.Href, last.sev = cls, href, s.Severity
			}
			if last.Count <= 5 {
				last.Title += "\n" + title
			}
			tv.Merged++
			continue
		}
		dl.Marks = append(dl.Marks, drawnSpan{Cx: cx, Cy: dl.MarkY, S: s.Start.UnixMilli(), Class: cls, Title: title, Href: href, Count: 1, sev: s.Severity})
		last = &dl.Marks[len(dl.Marks)-1]
		tv.Marks++
	}
	for i := range dl.Marks {
		if m := &dl.Marks[i]; m.Count > 5 {
			m.Title += fmt.Sprintf("\n… and %d more", m.Count-5)
		}
	}
	return dl
}

func laneCategory(l view.Lane) string {
	if l.Tests {
		return "test"
	}
	switch l.Object.Kind {
	case "Pod", "Job", "Service", "Console":
		return strings.ToLower(l.Object.Kind)
	}
	return "object"
}

// worse reports a severity worse than another.
func worse(a, b string) bool {
	rank := map[string]int{"error": 2, "warning": 1}
	return rank[a] > rank[b]
}

func sevClass(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

// cutMiddle cuts a long label in its middle, where names differ least.
func cutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n/2-1]) + "…" + string(r[len(r)-n/2:])
}

// ticks are about six labelled times at a round step (a sixth of the run past the
// steps listed: a bundle's times may be years apart).
func ticks(t0, t1 time.Time, x func(time.Time) float64) []tick {
	span := t1.Sub(t0)
	steps := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour}
	step := span / 6
	for _, s := range steps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	var out []tick
	for i := 0; i <= 6; i++ {
		d := time.Duration(i) * step
		if d > span || d < 0 {
			break
		}
		out = append(out, tick{X: x(t0.Add(d)), Label: shortOffset(d)})
	}
	return out
}

// shortOffset is an axis label: +MM:SS, or +H:MM:SS.
func shortOffset(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("+%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("+%02d:%02d", s/60, s%60)
}

// findingsByObject maps each object to the first (highest-ranked) finding about it.
func findingsByObject(fs []findings.Finding) map[kube.ObjectRef]string {
	out := map[kube.ObjectRef]string{}
	for _, f := range fs {
		if _, ok := out[f.Subject]; !ok {
			out[f.Subject] = f.ID
		}
	}
	return out
}

// testAnchors maps a failed test's name to its card.
func testAnchors(fts []model.FailedTest) map[string]string {
	out := map[string]string{}
	for i, ft := range fts {
		if _, ok := out[ft.Case.Name]; !ok {
			out[ft.Case.Name] = fmt.Sprintf("#test-%d", i+1)
		}
	}
	return out
}

// round2 keeps two decimals of a coordinate: a hundredth of a viewBox unit is finer
// than any screen, and the page stays small.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
