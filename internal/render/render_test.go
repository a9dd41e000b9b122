package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	gtext "github.com/yuin/goldmark/text"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

const bundles = "../../testdata/bundles"

func loadDir(dir string) (*model.Report, error) {
	return model.Load(context.Background(), dir, model.Options{})
}

func load(t testing.TB, name string) *model.Report {
	t.Helper()
	r, err := loadDir(filepath.Join(bundles, name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden renders each committed bundle and compares every registered output with its
// golden file; render writes nothing else.
func TestGolden(t *testing.T) {
	for _, name := range []string{"demo", "healthy"} {
		t.Run(name, func(t *testing.T) {
			r := load(t, name)
			out := t.TempDir()
			if err := WriteAll(context.Background(), out, r, Options{Marker: "<!-- ci-report:test -->"}); err != nil {
				t.Fatal(err)
			}
			written, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(written) != len(Outputs) {
				t.Errorf("render wrote %d files, %d outputs are registered", len(written), len(Outputs))
			}
			for _, o := range Outputs {
				f := o.File
				got, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, filepath.Join("testdata", "golden", name, f), got)
			}
		})
	}
}

func TestDemoFindings(t *testing.T) {
	r := load(t, "demo")
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	first := r.Findings[0]
	if first.Category != "CrashLoopBackOff" || !strings.HasPrefix(first.Subject.Name, "builder-") ||
		!strings.Contains(first.Explanation, "panic: assignment to entry in nil map") {
		t.Errorf("first finding = %s %s: %s", first.Category, first.Subject, first.Explanation)
	}
	seen := map[string]findings.Finding{}
	for _, f := range r.Findings {
		seen[f.Category] = f
	}
	for _, c := range []string{"OOMKilled", "Unschedulable", "ResourceNotReady", "OperatorError", "JobFailed", "TestFailed"} {
		if _, ok := seen[c]; !ok {
			t.Errorf("no %s finding", c)
		}
	}
	if f := seen["ResourceNotReady"]; f.Subject.Kind != "APIGraph" || f.Subject.Name != "orders" || !strings.Contains(f.Explanation, "DependencyNotReady") {
		t.Errorf("APIGraph finding = %+v", f)
	}
	if f := seen["OperatorError"]; f.Count != 3 {
		t.Errorf("operator errors deduplicated to count %d, want 3", f.Count)
	}
	if f := seen["Unschedulable"]; !strings.Contains(f.Explanation, "Insufficient cpu") {
		t.Errorf("unschedulable lacks the scheduler message: %s", f.Explanation)
	}
	// The crash outranks the test that failed because of it.
	var crash, test int
	for i, f := range r.Findings {
		switch f.Category {
		case "CrashLoopBackOff":
			crash = i
		case "TestFailed":
			test = i
		}
	}
	if crash > test {
		t.Errorf("CrashLoopBackOff ranked %d, after the failed test at %d", crash, test)
	}
	if len(r.FailedTests) != 1 || len(r.FailedTests[0].Entries) == 0 || len(r.FailedTests[0].Findings) == 0 {
		t.Errorf("failed test slice = %+v", r.FailedTests)
	}
	if r.Status.Level != "failed" {
		t.Errorf("status = %+v", r.Status)
	}
}

func TestHealthyIsGreen(t *testing.T) {
	r := load(t, "healthy")
	if len(r.Findings) != 0 {
		t.Errorf("healthy bundle has findings: %+v", r.Findings)
	}
	md, err := Markdown(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.SplitN(md, "\n\n", 3)[1], "🟢 **Passed**") {
		t.Errorf("status line is not green:\n%s", md[:200])
	}
}

// hostile is untrusted text that tries every escape.
const hostile = "x ``` </details><script>alert(1)</script> | cell | @octocat fixes #123 <img src=x onerror=alert(1)>\n```\n# heading\n- [link](javascript:alert(1)) \x1b[31mred\x1b[0m \x00"

func hostileReport(t testing.TB, n int) *model.Report {
	r := load(t, "demo")
	// History's strings come from a store that other runs (or repositories) wrote.
	label := &results.History{State: "failing", Since: hostile, Runs: 3, Failures: 2}
	r.History = &model.History{Base: model.HistoryBase{Branch: hostile, Runs: 3}, Fixed: []string{hostile}, Failing: n, Since: hostile, Streak: 2, Of: "tests"}
	for i := 0; i < n; i++ {
		r.Findings = append(r.Findings, findings.Finding{ID: "X", Category: fmt.Sprintf("WarningEvent%d", i), Severity: findings.Warning, // distinct: not one group
			Title: hostile, Explanation: hostile, Evidence: []string{hostile, strings.Repeat("`", 20)}, Count: 1, History: label})
		r.Tests.Cases = append(r.Tests.Cases, results.Case{Suite: hostile, Name: hostile, Status: results.Failed, Message: hostile, Details: hostile, History: label})
		r.FailedTests = append(r.FailedTests, model.FailedTest{Case: results.Case{Suite: hostile, Name: hostile, Message: hostile, Details: strings.Repeat(hostile, 50), History: label}})
	}
	r.Logs = append(r.Logs, model.LogTail{Service: hostile, Pod: hostile, Container: "c", File: "k8s/x.log", Lines: []model.LogLine{{Text: hostile, Level: "error", Time: time.Now()}}})
	r.Screenshots = append(r.Screenshots, model.Screenshot{Path: "screenshots/x.png", Title: hostile, URL: hostile, Status: 500, Errors: 2, At: r.Manifest.FinishedAt.Add(-10 * time.Second)})
	return r
}

// Each console screenshot is a mark on the console's lane at the moment its page was
// opened, a warning when the page answered with errors, linked to the screenshot.
func TestScreenshotMarks(t *testing.T) {
	r := load(t, "demo")
	at := r.Manifest.FinishedAt
	r.Screenshots = []model.Screenshot{{Path: "screenshots/index.png", Title: "index", URL: "http://console/", Status: 200, At: at.Add(-20 * time.Second)},
		{Path: "screenshots/graphs.png", Title: "graphs", URL: "http://console/graphs", Status: 200, Errors: 3, At: at.Add(-10 * time.Second)},
		{Path: "screenshots/old.png", Title: "no time"}}
	page, err := Page(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{`<title>console screenshots</title>`, `<a href="#shot-1" aria-label="`, `<a href="#shot-2" aria-label="`,
		`class="mark s-warning k-screenshot"`, `graphs of http://console/graphs: HTTP 200, 3 console errors or failed requests`, `<figure id="shot-2">`, `<figure id="shot-3">`} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(s, `href="#shot-3"`) {
		t.Error("a screenshot without a time has a mark")
	}
	// A page that answered with errors opens the console's group, wherever it is.
	if !regexp.MustCompile(`<details class="group" id="group-\d+" open>\s*<summary>Console `).MatchString(s) {
		t.Error("the console's group is closed though a page answered with errors")
	}
}

func TestHostileTextStaysInert(t *testing.T) {
	r := hostileReport(t, 3)
	comment, err := Comment(r, Options{Marker: "<!-- ci-report:k -->"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"comment": comment, "report": md} {
		checkInert(t, name, doc)
	}
	if strings.Contains(comment, "@octocat") || strings.Contains(comment, "#123") {
		t.Error("comment still mentions @octocat or links #123")
	}
	page, err := Page(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// One script, the page's own; the hostile text's <script>, <img onerror> and
	// javascript: link stay text, in the cards, the grid and the timeline alike.
	if bytes.Count(page, []byte("<script>")) != 1 || bytes.Contains(page, []byte("<img src=x")) || bytes.Contains(page, []byte(`href="javascript:`)) ||
		!bytes.Contains(page, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Error("REPORT.html lets hostile HTML through")
	}
}

// checkInert parses doc as GitHub Markdown and fails on raw HTML that is not ours.
func checkInert(t *testing.T, name, doc string) {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	root := gm.Parser().Parse(gtext.NewReader([]byte(doc)))
	src := []byte(doc)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var raw string
		switch h := n.(type) {
		case *ast.RawHTML:
			for i := 0; i < h.Segments.Len(); i++ {
				s := h.Segments.At(i)
				raw += string(s.Value(src))
			}
		case *ast.HTMLBlock:
			for i := 0; i < h.Lines().Len(); i++ {
				s := h.Lines().At(i)
				raw += string(s.Value(src))
			}
		}
		if raw != "" {
			ok := false
			for _, allowed := range []string{"<details>", "</details>", "<summary>", "</summary>", "<sub>", "</sub>", "<!-- ci-report:"} {
				ok = ok || strings.HasPrefix(strings.TrimSpace(raw), allowed)
			}
			if !ok {
				t.Errorf("%s: raw HTML from untrusted text: %q", name, raw)
			}
		}
		return ast.WalkContinue, nil
	})
}

func TestCommentBudget(t *testing.T) {
	r := hostileReport(t, 400)
	for _, budget := range []int{CommentBudget, 20000, 3000} {
		c, err := CommentWithin(r, Options{Marker: "<!-- ci-report:k -->"}, budget)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) > budget {
			t.Errorf("comment is %d bytes, budget %d", len(c), budget)
		}
		if !strings.HasPrefix(c, "<!-- ci-report:k -->\n### ci-report") {
			t.Errorf("comment does not start with the marker and headline: %q", c[:80])
		}
		if budget == CommentBudget && !strings.Contains(c, "more findings — see REPORT.md in the artifact") {
			t.Error("cut findings are not announced")
		}
		checkInert(t, "comment", c)
	}
	md, err := Markdown(r, Options{ReportBudget: 50000})
	if err != nil {
		t.Fatal(err)
	}
	if len(md) > 50000 {
		t.Errorf("REPORT.md is %d bytes over its 50000 budget", len(md))
	}
	if !strings.Contains(md, "## What went wrong") {
		t.Error("findings were cut before lower-priority sections")
	}
}

func FuzzFence(f *testing.F) {
	f.Add("plain")
	f.Add("```\nbreak\n```")
	f.Add("~~~\n````` x")
	f.Fuzz(func(t *testing.T, s string) {
		doc := fence(s, "text", false)
		gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
		root := gm.Parser().Parse(gtext.NewReader([]byte(doc)))
		if root.ChildCount() != 1 {
			t.Fatalf("fence of %q parsed into %d blocks", s, root.ChildCount())
		}
		cb, ok := root.FirstChild().(*ast.FencedCodeBlock)
		if !ok {
			t.Fatalf("fence of %q is a %T", s, root.FirstChild())
		}
		var got strings.Builder
		for i := 0; i < cb.Lines().Len(); i++ {
			seg := cb.Lines().At(i)
			got.Write(seg.Value([]byte(doc)))
		}
		// Only our comment marker is neutralised in REPORT.md's code blocks.
		want := neutralise(strings.TrimRight(clean(s), "\n"), false)
		if strings.TrimRight(got.String(), "\n") != want {
			t.Errorf("content changed:\n got %q\nwant %q", got.String(), want)
		}
	})
}

// FuzzCell puts untrusted text through every inline escaper a template may use in a
// table cell (cell, inline code, a bundle link, an image link, a trace link) and parses
// the table with goldmark's GFM parser: the row keeps its two cells, and no link other
// than ours into the bundle (or the Jaeger UI the user gave), no autolink (URL or
// e-mail) and no raw HTML appears.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"a | b", "`|`\\|", "x\\", "trace|<img src=x onerror=alert(1)>", "a\\|b", "dir\\x|y.png", "mail evil@example.com", "[x](https://evil.example)|", "``|``",
		// Every character goldmark takes in an e-mail's local part (RFC 5322), not only GFM's.
		"o'brien@example.com", "a/b@example.com", "x=y@host.io", "a?b@host.io", "a^b@host.io", "a{b}@host.io",
		"a!b@host.io", "a#b@host.io", "a$b@host.io", "a&b@host.io", "a*b@host.io", "a~b@host.io", "a`b@host.io"} {
		f.Add(s)
	}
	escapers := map[string]func(s string, comment bool) string{
		"cell":   cell,
		"inline": inlineCode,
		"link":   link,
		"image":  func(s string, comment bool) string { return imageLink(s, s, comment) },
		"trace":  func(s string, comment bool) string { return traceLink("", s, comment) },
		"traceUI": func(s string, comment bool) string {
			return traceLink("http://127.0.0.1:16686", s, comment)
		},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, esc := range escapers {
			for _, comment := range []bool{false, true} {
				out := esc(s, comment)
				if out == "" {
					out = " "
				}
				doc := "| a | b |\n|---|---|\n| " + out + " | end |\n"
				gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
				src := []byte(doc)
				root := gm.Parser().Parse(gtext.NewReader(src))
				tbl, ok := root.FirstChild().(*east.Table)
				if !ok || root.FirstChild().NextSibling() != nil {
					t.Fatalf("%s(%q) broke the table: %q", name, s, doc)
				}
				rows := 0
				for row := tbl.FirstChild(); row != nil; row = row.NextSibling() {
					rows++
					if row.ChildCount() != 2 {
						t.Fatalf("%s(%q): a row has %d cells: %q", name, s, row.ChildCount(), doc)
					}
				}
				if rows != 2 {
					t.Fatalf("%s(%q): %d rows", name, s, rows)
				}
				_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
					if !entering {
						return ast.WalkContinue, nil
					}
					switch v := n.(type) {
					case *ast.Link:
						if d := string(v.Destination); !strings.HasPrefix(d, "./") && !strings.HasPrefix(d, "http://127.0.0.1:16686/trace/") {
							t.Errorf("%s(%q): link to %q", name, s, d)
						}
					case *ast.Image:
						if !strings.HasPrefix(string(v.Destination), "./") {
							t.Errorf("%s(%q): image from %q", name, s, v.Destination)
						}
					case *ast.AutoLink:
						t.Errorf("%s(%q): autolink %q", name, s, v.URL(src))
					}
					return ast.WalkContinue, nil
				})
				checkInert(t, name, doc)
				if comment && mention().MatchString(out) {
					t.Errorf("%s(%q) keeps a mention", name, s)
				}
			}
		}
	})
}

func FuzzComment(f *testing.F) {
	f.Add(hostile, 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = n % 300
		if n < 0 {
			n = -n
		}
		r := &model.Report{Tests: &results.Results{}, Status: model.Status{Level: s, Detail: s}}
		for i := 0; i < n; i++ {
			r.Findings = append(r.Findings, findings.Finding{ID: s, Title: s, Explanation: s, Evidence: []string{s}, Severity: findings.Error})
			r.FailedTests = append(r.FailedTests, model.FailedTest{Case: results.Case{Name: s, Suite: s, Message: s}})
		}
		c, err := CommentWithin(r, Options{Marker: "<!-- ci-report:k -->"}, 8000)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) > 8000 {
			t.Errorf("comment %d bytes over budget", len(c))
		}
	})
}

// unlink skips its regexp when the text cannot match it; the result must be what the
// regexp alone gives.
func FuzzUnlink(f *testing.F) {
	for _, s := range []string{"plain text", "see https://example.com/x", "WwW.Example.org", "wWw.", "ww.w.x", "a:/b", "x://", "mailto:a@b", "ÄWWW.x", "HTTP://X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := unlink(s), autolink().ReplaceAllString(email().ReplaceAllString(s, "$1@"+wj+"$2"), "$1$3"+wj+"$2$4"); got != want {
			t.Errorf("unlink(%q) = %q, want %q", s, got, want)
		}
	})
}

// Renderers only read the model: REPORT.md cuts long evidence lines for display, and
// report.json (rendered from the same model, even at the same time) keeps them whole.
func TestMarkdownDoesNotWriteIntoTheModel(t *testing.T) {
	long := strings.Repeat("x", 900)
	r := &model.Report{Tests: &results.Results{}, Findings: []findings.Finding{{ID: "f1", Severity: findings.Error, Title: "boom", Evidence: []string{long}}}}
	if _, err := Markdown(r, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := r.Findings[0].Evidence[0]; got != long {
		t.Errorf("evidence after rendering REPORT.md is %d bytes, want the %d it had", len(got), len(long))
	}
}

// The comment names a finding's root cause (its causes' deepest) when its explanation
// does not already: a crash loop two services downstream of a config error says so.
func TestCommentNamesRootCause(t *testing.T) {
	r := load(t, "demo")
	r.Findings = []findings.Finding{
		{ID: "cfg", Category: "CreateContainerConfigError", Severity: findings.Error, Title: "Pod orders-api-1: container api cannot start", Explanation: "missing key", Count: 1, Causes: []string{"svc"}},
		{ID: "svc", Category: "ServiceNoEndpoints", Severity: findings.Warning, Title: "Service orders-api has no ready endpoints", Explanation: "— caused by: Pod orders-api-1: container api cannot start", Count: 1, CausedBy: []string{"cfg"}, Causes: []string{"crash"}},
		{ID: "crash", Category: "CrashLoopBackOff", Severity: findings.Critical, Title: "Pod checkout-1 is in CrashLoopBackOff", Explanation: "connection refused", Count: 1, CausedBy: []string{"svc"}},
	}
	comment, err := Comment(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(title string) string {
		for _, l := range strings.Split(comment, "\n") {
			if strings.Contains(l, "**"+title+"**") {
				return l
			}
		}
		t.Fatalf("no line for %q in:\n%s", title, comment)
		return ""
	}
	if l := lineOf("Pod checkout-1 is in CrashLoopBackOff"); !strings.Contains(l, "root cause: Pod orders-api-1: container api cannot start") {
		t.Errorf("the crash does not name its root cause: %s", l)
	}
	if l := lineOf("Service orders-api has no ready endpoints"); strings.Contains(l, "root cause") {
		t.Errorf("the Service names its cause twice: %s", l)
	}
	if l := lineOf("Pod orders-api-1: container api cannot start"); strings.Contains(l, "root cause") {
		t.Errorf("the root cause names a cause: %s", l)
	}
}

// Three tests failing with messages alike but for a name and a request ID fold into
// one line only among the same history label: the new one is named on its own line,
// labelled new (issue 30: grouping must not hide the new failure).
func TestCommentNamesTheNewFailure(t *testing.T) {
	r := load(t, "demo")
	failing := &results.History{State: "failing", Since: "abc1234", Runs: 6, Failures: 6}
	r.FailedTests = nil
	for _, tc := range []struct {
		name string
		h    *results.History
	}{{"TestA", failing}, {"TestB", &results.History{State: "new"}}, {"TestC", failing}} {
		r.FailedTests = append(r.FailedTests, model.FailedTest{Case: results.Case{Suite: "e2e", Name: tc.name, Status: results.Failed,
			Message: fmt.Sprintf("GET /api/%s: 503 (request id %s-8f2c)", strings.ToLower(tc.name), tc.name), History: tc.h}})
	}
	comment, err := Comment(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var lineB string
	for _, l := range strings.Split(comment, "\n") {
		if strings.Contains(l, "TestB") {
			lineB = l
		}
	}
	if !strings.Contains(lineB, "new") || strings.Contains(lineB, "TestA") || strings.Contains(lineB, "TestC") {
		t.Errorf("the new failure is not on a line of its own, labelled new: %q\n%s", lineB, comment)
	}
}

// A trace is linked to Jaeger's UI only by a trace ID's one rule (traces.ValidID): 16 or
// 32 hex digits; a 20-digit run is not an ID (render's own rule took 16 to 32).
func TestTraceLinkOnlyForTraceIDs(t *testing.T) {
	ui := "http://127.0.0.1:16686"
	if got := traceLink(ui, strings.Repeat("a", 32), false); !strings.Contains(got, "/trace/") {
		t.Errorf("a 32-digit ID is not linked: %s", got)
	}
	if got := traceLink(ui, strings.Repeat("a", 20), false); strings.Contains(got, "/trace/") {
		t.Errorf("a 20-digit hex run is linked: %s", got)
	}
}

// The page of a report whose every text tries to escape: its golden shows each one as text.
func TestGoldenHostilePage(t *testing.T) {
	page, err := Page(hostileReport(t, 2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "golden", "hostile", HTMLFile), page)
}

// With a history store, each card shows its outcome in the base branch's runs as a strip
// of cells, oldest first (TestGrid's view of one row).
func TestPageStripsOfBaseRuns(t *testing.T) {
	r := load(t, "demo")
	r.History = &model.History{Base: model.HistoryBase{Branch: "main", Runs: 4}, Fixed: []string{}, Of: "tests",
		Recent: map[string]string{r.Findings[0].ID: "ppff", r.FailedTests[0].Case.ID(): "fkpf"}}
	page, err := Page(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		`<span class="run r-p" title="base run 1 of 4 (oldest first): not seen"></span><span class="run r-p" title="base run 2 of 4 (oldest first): not seen"></span><span class="run r-f" title="base run 3 of 4 (oldest first): seen"></span>`,
		`<span class="run r-f" title="base run 1 of 4 (oldest first): failed"></span><span class="run r-k" title="base run 2 of 4 (oldest first): flaky"></span>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks the strip %s", want)
		}
	}
	if n := strings.Count(s, `class="strip"`); n != 2 {
		t.Errorf("%d strips, want one on the finding and one on the test", n)
	}
}
