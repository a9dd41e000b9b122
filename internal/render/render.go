// Package render turns a model.Report into REPORT.md, the job summary, the PR comment,
// REPORT.html and report.json. Renderers are pure: a report in, text out. Budgets are
// kept by progressive shrinking — lower-priority sections lose items first, each cut
// replaced by a note — so a cut never falls inside a code fence or a table row.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"text/template"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/view"
	deftemplates "github.com/org/k8s-e2e-report/templates"
)

// Budgets.
const (
	// DefaultReportBudget keeps REPORT.md readable for a coding agent: about 60k tokens.
	DefaultReportBudget = 240 * 1024
	// CommentBudget is GitHub's limit for a comment body, in characters (bytes here, which
	// is stricter), including the hidden marker.
	CommentBudget = 65536
	// SummaryBudget is GitHub's limit for a job summary.
	SummaryBudget = 1 << 20
)

// Options for rendering.
type Options struct {
	Templates    fs.FS // overrides (by file name) of the embedded templates; nil: embedded only
	ReportBudget int
	LogLines     int    // per container in REPORT.md; default 200
	Marker       string // hidden comment marker, e.g. "<!-- ci-report:KEY -->"
	JSONBudget   int    // size limit of report.json; default reportjson.DefaultBudget
	JaegerUIURL  string // when set, trace IDs link to this Jaeger UI's /trace/ID
	PageURL      string // when set, the comment links the report page there (prcomment checks it)
	// View is the report's view (WriteAll builds it once for every output); nil: built
	// from the report.
	View *view.View
}

// viewOf is o.View when it is r's, else r's view.
func (o Options) viewOf(r *model.Report) *view.View {
	if o.View != nil && o.View.Report == r {
		return o.View
	}
	return view.Build(r)
}

func (o *Options) defaults() {
	if o.ReportBudget <= 0 {
		o.ReportBudget = DefaultReportBudget
	}
	if o.LogLines <= 0 {
		o.LogLines = 200
	}
}

// section is one part of a document, in reading order, with its priority when cutting
// (lower is cut first; 0 is never cut).
type section struct {
	name  string
	prio  int
	items int
	limit int
	// size estimates the bytes of the section's first n items at lines log lines each
	// (nil: not estimated); a section far over the budget starts at what can fit, not
	// rendered whole to be thrown away.
	size func(n, lines int) int
}

type data struct {
	R     *model.Report
	V     *view.View // R's view
	Limit int
	Lines int
}

func reportSections(r *model.Report) []section {
	crItems := 0
	for _, t := range r.CustomResources {
		crItems = max(crItems, len(t.Items))
	}
	spans := 0
	if r.Traces != nil {
		spans = len(r.Traces.ErrorSpans)
	}
	// Initial limits: no REPORT.md within budget shows more than these, and starting
	// lower keeps shrinking cheap for huge reports.
	return []section{
		{"status", 0, 1, 1, nil},
		{"shards", 0, len(r.Shards), min(len(r.Shards), 200), nil},
		{"findings", 12, len(r.Findings), min(len(r.Findings), 500), nil},
		{"failed-tests", 11, len(r.FailedTests), min(len(r.FailedTests), 300), nil},
		{"timeline", 7, len(r.Timeline), min(len(r.Timeline), 400), nil},
		{"pods", 9, len(r.Pods), min(len(r.Pods), 1000), nil},
		{"tests", 8, len(r.Tests.Cases), min(len(r.Tests.Cases), 2000), nil},
		{"operator", 4, len(r.OperatorActions), min(len(r.OperatorActions), 300), nil},
		{"crs", 6, crItems, min(crItems, 500), nil},
		{"traces", 5, spans, min(spans, 200), nil},
		{"screenshots", 5, len(r.Screenshots), min(len(r.Screenshots), 100), nil},
		{"logs", 2, len(r.Logs), min(len(r.Logs), 500), logsSize(r.Logs)},
		{"errors", 3, len(r.Errors), min(len(r.Errors), 100), nil},
		{"gaps", 10, len(r.Gaps), min(len(r.Gaps), 200), nil},
		{"files", 1, len(r.Files), min(len(r.Files), 2000), nil},
	}
}

func commentSections(r *model.Report) []section {
	unhealthy := len(view.UnhealthyPods(r.Pods))
	return []section{
		{"status", 0, 1, 1, nil},
		{"shards", 0, len(r.Shards), len(r.Shards), nil},
		{"findings", 12, len(r.Findings), min(len(r.Findings), 15), nil},
		{"failed-tests", 11, len(r.FailedTests), min(len(r.FailedTests), 30), nil},
		{"pods", 9, unhealthy, min(unhealthy, 20), nil},
		{"gaps", 10, len(r.Gaps), min(len(r.Gaps), 10), nil},
		{"screenshots", 5, len(r.Screenshots), min(len(r.Screenshots), 10), nil},
		{"footer", 0, 1, 1, nil},
	}
}

// override reads the --templates directory's version of a template: nil if it has
// none, an error if it has one that cannot be read (a FIFO, a symlink, too large).
func override(o Options, name string) ([]byte, error) {
	if o.Templates == nil {
		return nil, nil
	}
	b, err := fs.ReadFile(o.Templates, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("--templates: %w", err)
	}
	return b, nil
}

// readTemplate is a template's text: the override's, else the embedded one.
func readTemplate(name string, o Options) (string, error) {
	if b, err := override(o, name); err != nil || b != nil {
		return string(b), err
	}
	b, err := fs.ReadFile(deftemplates.FS, name)
	return string(b), err
}

func loadTemplate(name string, o Options, funcs template.FuncMap) (*template.Template, error) {
	b, err := fs.ReadFile(deftemplates.FS, name)
	if err != nil {
		return nil, err
	}
	if ob, err := override(o, name); err != nil {
		return nil, err
	} else if ob != nil {
		b = ob
	}
	t, err := template.New(name).Funcs(funcs).Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return t, nil
}

// assemble renders sections and shrinks them until the document fits in budget.
func assemble(t *template.Template, v *view.View, secs []section, budget, lines int) (string, error) {
	for i, s := range secs {
		if s.size != nil && s.size(s.limit, lines) > budget {
			// The most items whose estimate fits the whole budget (sort.Search: the first n
			// that does not fit, minus one).
			secs[i].limit = max(sort.Search(s.limit+1, func(n int) bool { return s.size(n, lines) > budget })-1, 0)
		}
	}
	parts := make([]string, len(secs))
	exec := func(i int) error {
		if t.Lookup(secs[i].name) == nil {
			parts[i] = ""
			return nil
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, secs[i].name, data{R: v.Report, V: v, Limit: secs[i].limit, Lines: lines}); err != nil {
			return fmt.Errorf("section %s: %w", secs[i].name, err)
		}
		parts[i] = tidy(b.String())
		return nil
	}
	for i := range secs {
		if err := exec(i); err != nil {
			return "", err
		}
	}
	total := func() int {
		n := 0
		for _, p := range parts {
			n += len(p) + 1
		}
		return n
	}
	// Two passes: first every section shrinks, lowest priority first, down to a few
	// items, so each keeps a sample; only then do sections empty, in the same order.
	const keep = 3
	floor := func(s section, pass int) int {
		if pass == 0 {
			return min(s.items, keep)
		}
		return 0
	}
	for pass := 0; pass < 2 && total() > budget; pass++ {
		for total() > budget {
			pick := -1
			for i, s := range secs {
				if s.prio == 0 || s.limit <= floor(s, pass) {
					continue
				}
				if pick < 0 || s.prio < secs[pick].prio {
					pick = i
				}
			}
			if pick < 0 {
				break
			}
			// Halve the section, or cut it to the share of the overshoot it can absorb
			// when that is smaller, so a huge section does not take many rounds to fit.
			over := total() - budget
			size := len(parts[pick])
			newLimit := secs[pick].limit / 2
			if size > 0 && over < size {
				newLimit = min(newLimit, int(float64(secs[pick].limit)*float64(size-over)/float64(size)))
			}
			secs[pick].limit = max(newLimit, floor(secs[pick], pass))
			if err := exec(pick); err != nil {
				return "", err
			}
		}
	}
	if total() > budget {
		// Nothing left to shrink: keep what fits of the uncuttable parts.
		return hardCut(parts, budget), nil
	}
	return strings.Join(nonEmpty(parts), "\n"), nil
}

// hardCut is the last resort when even the headline exceeds the budget: keep whole
// sections while they fit.
func hardCut(parts []string, budget int) string {
	var out []string
	n := 0
	note := "\n_(cut to fit; see REPORT.md in the artifact)_\n"
	for _, p := range nonEmpty(parts) {
		if n+len(p)+1+len(note) > budget {
			break
		}
		out = append(out, p)
		n += len(p) + 1
	}
	return strings.Join(out, "\n") + note
}

func nonEmpty(parts []string) []string {
	var out []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

// tidy collapses the blank lines templates leave behind.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	inFence := ""
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		if inFence == "" && strings.HasPrefix(trimmed, "```") {
			inFence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
		} else if inFence != "" && trimmed == inFence {
			inFence = ""
			out = append(out, l)
			blank = 0
			continue
		}
		if inFence == "" && trimmed == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// Markdown renders REPORT.md.
func Markdown(r *model.Report, o Options) (string, error) {
	o.defaults()
	o.View = o.viewOf(r)
	t, err := loadTemplate("report.md.tmpl", o, o.funcs(false))
	if err != nil {
		return "", err
	}
	return assemble(t, o.View, reportSections(r), o.ReportBudget, o.LogLines)
}

// Summary renders the job summary (REPORT.md's sections, within GitHub's 1 MiB).
func Summary(r *model.Report, o Options) (string, error) {
	o.defaults()
	o.View = o.viewOf(r)
	t, err := loadTemplate("report.md.tmpl", o, o.funcs(false))
	if err != nil {
		return "", err
	}
	secs := reportSections(r)
	for i := range secs {
		if secs[i].name == "files" || secs[i].name == "screenshots" {
			secs[i].limit = 0 // relative links do not work in a job summary
		}
	}
	return assemble(t, o.View, secs, min(SummaryBudget, o.ReportBudget*4), min(o.LogLines, 50))
}

// Comment renders the PR comment, marker included, within GitHub's 65,536 characters.
func Comment(r *model.Report, o Options) (string, error) {
	return CommentWithin(r, o, CommentBudget)
}

// CommentWithin renders the PR comment within budget (the marker counts), for a retry
// after GitHub refused a body as too long.
func CommentWithin(r *model.Report, o Options, budget int) (string, error) {
	o.defaults()
	o.View = o.viewOf(r)
	t, err := loadTemplate("comment.md.tmpl", o, o.funcs(true))
	if err != nil {
		return "", err
	}
	marker := o.Marker
	if marker != "" {
		marker += "\n"
	}
	body, err := assemble(t, o.View, commentSections(r), budget-len(marker), 8)
	if err != nil {
		return "", err
	}
	return marker + body, nil
}

// funcs are the templates' functions: the escapers of the output (a comment's are
// stricter) and the formatters every output shares.
// funcs are the templates' functions; o.View is set.
func (o Options) funcs(comment bool) template.FuncMap {
	v := o.View
	fm := template.FuncMap{
		"traceLink": func(id string) string { return traceLink(o.JaegerUIURL, id, comment) },
		"pageLink": func() string {
			if o.PageURL == "" {
				return ""
			}
			return " · [open the report page](" + o.PageURL + ")"
		},
		"text":   func(s string) string { return mdText(s, comment) },
		"cell":   func(s string) string { return cell(s, comment) },
		"inline": func(s string) string { return inlineCode(s, comment) },
		"image":  func(title, p string) string { return imageLink(title, p, comment) },
		"link":   func(p string) string { return link(p, comment) },
		"code": func(s, lang string) string {
			limit := 32 * 1024
			if comment {
				limit = 6 * 1024
			}
			// Mentions inside code do not notify today; fence neutralises them anyway.
			return fence(truncate(s, limit), lang, comment)
		},
		"history": func(h *model.History) string { return historyLine(h, comment) },
		// findingRefs names findings by their place in the ranked list and their IDs.
		"findingRefs": func(r *model.Report, ids []string) string {
			parts := make([]string, len(ids))
			for k, id := range ids {
				parts[k] = inlineCode(id, comment)
				for i, f := range r.Findings {
					if f.ID == id {
						parts[k] = mdText(fmt.Sprintf("#%d", i+1), comment) + " " + parts[k]
						break
					}
				}
			}
			return strings.Join(parts, ", ")
		},
		"label":   func(h *results.History) string { return mdText(h.Label(), comment) },
		"groups":  memo(view.GroupFailures, v.Report.FailedTests, v.FailureGroups),
		"fgroups": memo(view.GroupFindings, v.Report.Findings, v.FindingGroups),
		// rootCause is the title of the deepest finding a finding's causes lead to (its
		// first cause's first cause, …), "" when nothing causes it or its explanation
		// names it already.
		"rootCause": func(r *model.Report, f findings.Finding) string {
			title := rootCause(r.Findings, f)
			if title == "" || strings.Contains(f.Explanation, title) {
				return ""
			}
			return mdText(title, comment)
		},
		"status": func(s model.Status) string {
			icon := map[string]string{"failed": "🔴", "warning": "🟡", "passed": "🟢"}[s.Level]
			if icon == "" {
				icon = "⚪"
			}
			return icon + " **" + StatusLabel(s.Level) + "** — " + mdText(s.Detail, comment)
		},
	}
	for name, f := range formatters {
		fm[name] = f
	}
	return fm
}

// logsSize estimates the logs section: per tail, its heading and file line, its last
// error lines (up to 20) and its last lines, each with a time and fence overhead.
func logsSize(tails []model.LogTail) func(n, lines int) int {
	return func(n, lines int) int {
		total := 0
		for _, t := range tails[:min(n, len(tails))] {
			total += 200 + len(t.Service) + len(t.Pod) + len(t.Container) + len(t.File)
			errs := 0
			for i := len(t.Lines) - 1; i >= 0; i-- {
				l := t.Lines[i]
				if len(t.Lines)-i <= lines {
					total += min(len(l.Text), 500) + 14
				}
				if l.Level != "" && errs < 20 {
					errs++
					total += min(len(l.Text), 500) + 14
				}
			}
		}
		return total
	}
}

// rootCause follows a finding's first cause (the one ranked highest) to the finding
// nothing causes, and returns its title ("" when f has no cause in fs).
func rootCause(fs []findings.Finding, f findings.Finding) string {
	byID := make(map[string]*findings.Finding, len(fs))
	for i := range fs {
		byID[fs[i].ID] = &fs[i]
	}
	title, seen := "", map[string]bool{f.ID: true}
	for len(f.CausedBy) > 0 {
		c, ok := byID[f.CausedBy[0]]
		if !ok || seen[c.ID] {
			break
		}
		seen[c.ID] = true
		f, title = *c, c.Title
	}
	return title
}
