package render

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"github.com/org/k8s-e2e-report/internal/view"
)

// formatters are the template functions that do not depend on the output: icons,
// times, sizes, lists and the shapes of log and timeline blocks (escaping is the
// templates' job, through the escapers of funcs).
var formatters = map[string]any{
	"criticalPath":  criticalPath,
	"healthyLines":  func() int { return model.HealthyTailLines },
	"trunc":         truncate,
	"join":          strings.Join,
	"add":           func(a, b int) int { return a + b },
	"limit":         limitSlice,
	"more":          more,
	"sev":           sevIcon,
	"statusIcon":    statusIcon,
	"ts":            timestamp,
	"tshort":        shortTime,
	"dur":           duration,
	"bytes":         humanBytes,
	"lines":         lastLines,
	"lastN":         func(l []model.LogLine, n int) []model.LogLine { return tailOf(l, n) },
	"logLines":      logLines,
	"timelineLines": timelineLines,
	"waterfall":     waterfall,
	"objref":        objref,
	"unhealthy":     view.UnhealthyPods,
	"shard":         shard,
}

func criticalPath(p model.CriticalPath) string {
	var b strings.Builder
	for i, s := range p.Steps {
		mark := ""
		if s.Error {
			mark = "  ✖ error"
		}
		fmt.Fprintf(&b, "%s%s %s  %s%s\n", strings.Repeat("  ", i), s.Service, s.Operation, s.Duration.Round(time.Millisecond), mark)
	}
	return b.String()
}

func more(total, shown int, what string) string {
	if total <= shown {
		return ""
	}
	return fmt.Sprintf("\n_%d more %s — see REPORT.md in the artifact._\n", total-shown, what)
}

var sevIcons = map[findings.Severity]string{findings.Critical: "🔥", findings.Error: "❌", findings.Warning: "⚠️"}

func sevIcon(s findings.Severity) string {
	if icon, ok := sevIcons[s]; ok {
		return icon
	}
	return "ℹ️"
}

var statusIcons = map[results.Status]string{results.Failed: "❌", results.Error: "❌", results.Flaky: "⚠️", results.Skipped: "⏭️"}

func statusIcon(s results.Status) string {
	if icon, ok := statusIcons[s]; ok {
		return icon
	}
	return "✅"
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05.000")
}

func duration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// lastLines is the last n lines (n <= 0: all), each cut to 500 bytes, as one text.
func lastLines(l []string, n int) string {
	if n > 0 && len(l) > n {
		l = l[len(l)-n:]
	}
	out := make([]string, len(l)) // never into the model's slice: renderers only read it
	for i := range l {
		out[i] = truncate(l[i], 500)
	}
	return strings.Join(out, "\n")
}

func logLines(l []model.LogLine) string {
	var b strings.Builder
	for _, x := range l {
		if !x.Time.IsZero() {
			b.WriteString(x.Time.UTC().Format("15:04:05.000 "))
		}
		if x.Level == "error" {
			b.WriteString("!! ")
		}
		b.WriteString(truncate(x.Text, 500))
		b.WriteByte('\n')
	}
	return b.String()
}

func timelineLines(es []timeline.Entry) string {
	var b strings.Builder
	_ = timeline.Write(&b, es)
	return b.String()
}

func objref(o *opactions.Object) string {
	if o == nil {
		return ""
	}
	return o.String()
}

// shard prefixes a merged report's row with its matrix leg: presentation, not data.
func shard(shard, s string) string {
	if shard == "" {
		return s
	}
	return shard + " · " + s
}

// limitSlice is the first n elements of any slice (templates range over what it gives).
func limitSlice(list any, n int) any {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice {
		panic(fmt.Sprintf("limit: unsupported %T", list))
	}
	return v.Slice(0, min(max(n, 0), v.Len())).Interface()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// waterfall draws the timeline as text bars: one row per entry, its offset on a
// 40-column scale.
func waterfall(es []timeline.Entry, n int) string {
	if len(es) == 0 || n <= 0 {
		return ""
	}
	// Keep the entries that matter most when there are too many: everything flagged,
	// then the rest, in time order.
	if len(es) > n {
		idx := make([]int, len(es))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return es[idx[a]].Severity != "" && es[idx[b]].Severity == "" })
		idx = idx[:n]
		sort.Ints(idx)
		kept := make([]timeline.Entry, 0, n)
		for _, i := range idx {
			kept = append(kept, es[i])
		}
		es = kept
	}
	t0, t1 := es[0].Time, es[0].Time // the entries may come out of order: take the extremes
	for _, e := range es {
		if e.Time.Before(t0) {
			t0 = e.Time
		}
		if e.Time.After(t1) {
			t1 = e.Time
		}
	}
	span := t1.Sub(t0)
	const width = 40
	var b strings.Builder
	for _, e := range es {
		pos := 0
		if span > 0 {
			pos = min(max(int(float64(e.Time.Sub(t0))/float64(span)*(width-1)), 0), width-1)
		}
		mark := "●"
		switch e.Severity {
		case "error":
			mark = "✖"
		case "warning":
			mark = "▲"
		}
		bar := strings.Repeat("·", pos) + mark + strings.Repeat(" ", width-1-pos)
		fmt.Fprintf(&b, "%s %-11s %s %-9s %s: %s\n", e.Time.UTC().Format("15:04:05.000"), timeline.Offset(e.Time.Sub(t0)), bar, e.Source, e.Object, truncate(strings.Join(strings.Fields(e.Message), " "), 240))
	}
	return b.String()
}

func tailOf[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// StatusLabel is a status level's label.
func StatusLabel(level string) string {
	switch level {
	case "failed":
		return "Failed"
	case "warning":
		return "Passed with warnings"
	case "passed":
		return "Passed"
	}
	return "Unknown"
}
