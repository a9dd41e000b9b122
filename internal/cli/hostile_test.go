package cli

import (
	"io/fs"

	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	deftemplates "github.com/org/k8s-e2e-report/templates"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	gtext "github.com/yuin/goldmark/text"
	"golang.org/x/net/html"

	"github.com/org/k8s-e2e-report/internal/render"
)

const hostileSrc = "../../testdata/hostile"

type canaries map[string]string

// hostileBundle copies testdata/hostile/bundle and plants what git cannot hold: symlinks
// out of the bundle (a file with a canary, the process's environment), FIFOs where
// render reads logs, screenshots, results and JSON, names that are Markdown or link
// injections, a JUnit file nested 10k deep and 40k failing tests.
func hostileBundle(t *testing.T) (string, canaries) {
	t.Helper()
	var c canaries
	b, err := os.ReadFile(filepath.Join(hostileSrc, "canaries.json"))
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("canaries.json: %v", err)
	}
	dir := copyDir(t, filepath.Join(hostileSrc, "bundle"))
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("ERROR "+c["outside"]+"\n"), 0o644)
	t.Setenv("CI_REPORT_ENVIRON_CANARY", c["environ"])

	logs := filepath.Join(dir, "k8s/logs/turbo-engine-e2e")
	pods, _ := os.ReadDir(logs)
	if len(pods) < 3 {
		t.Fatalf("the hostile bundle has %d pod log directories", len(pods))
	}
	podDir := func(i int) string { return filepath.Join(logs, pods[i].Name()) }
	ctrLog := func(i int) string {
		entries, _ := os.ReadDir(podDir(i))
		return filepath.Join(podDir(i), entries[0].Name())
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Symlinks out of the bundle in place of a container log and a screenshot.
	l0 := ctrLog(0)
	os.Remove(l0)
	must(os.Symlink(outside, l0))
	must(os.Symlink("/proc/self/environ", filepath.Join(dir, "screenshots", "environ.png")))
	must(os.Symlink("../../../../../../../../../../etc/passwd", filepath.Join(dir, "screenshots", "passwd.png")))
	// A whole directory that is a symlink out of the bundle.
	must(os.Symlink(filepath.Dir(outside), filepath.Join(dir, "results", "linked-dir")))
	// FIFOs: opening one for reading blocks forever unless the reader is careful.
	l1 := ctrLog(1)
	os.Remove(l1)
	for _, p := range []string{l1, filepath.Join(dir, "screenshots", "fifo.png"), filepath.Join(dir, "results", "fifo.xml"), filepath.Join(dir, "traces.json")} {
		os.Remove(p)
		must(syscall.Mkfifo(p, 0o644))
	}
	// Names that are injections.
	png, err := os.ReadFile(filepath.Join(dir, "screenshots", "console.png"))
	must(err)
	for _, name := range []string{"javascript:alert%281%29.png", "a](javascript:alert(1)) x.png", "pipe|name.png", "@org-team <b>.png"} {
		must(os.WriteFile(filepath.Join(dir, "screenshots", name), png, 0o644))
	}
	must(os.WriteFile(filepath.Join(dir, "x|y.txt"), []byte("x\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "javascript:alert(1)"), []byte("x\n"), 0o644))
	// 10k nested suites (go-junit once needed 4.3 GB for this) and 40k failing tests.
	var nested strings.Builder
	nested.WriteString(`<testsuites>`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&nested, `<testsuite name="s%d"><testcase name="c%d"><failure>x</failure></testcase>`, i, i)
	}
	nested.WriteString(strings.Repeat(`</testsuite>`, 10000) + `</testsuites>`)
	must(os.WriteFile(filepath.Join(dir, "results", "nested.xml"), []byte(nested.String()), 0o644))
	var many strings.Builder
	many.WriteString(`<testsuites><testsuite name="many" timestamp="2026-11-21T23:31:00Z">`)
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&many, `<testcase name="TestMany%05d" time="0.01"><failure message="boom %d @org/team #%d">token=%s</failure></testcase>`, i, i, i, c["password"])
	}
	many.WriteString(`</testsuite></testsuites>`)
	must(os.WriteFile(filepath.Join(dir, "results", "many.xml"), []byte(many.String()), 0o644))
	return dir, c
}

// runWithin runs the CLI and fails the test if it has not returned within d (a FIFO
// read, say, would hang forever).
func runWithin(t *testing.T, d time.Duration, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(args...)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(d):
		t.Fatalf("ci-report %s did not finish within %s", strings.Join(args, " "), d)
	}
	return 0, "", ""
}

// TestHostileBundle renders a bundle built to break out: it must finish, read nothing
// outside the bundle, and write outputs that leak no canary secret and carry no live
// mention, raw HTML, foreign link, injected heading or workflow command.
func TestHostileBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (real waits, a large hostile bundle): make test runs it")
	}
	dir, c := hostileBundle(t)
	start := time.Now()
	code, _, stderr := runWithin(t, 60*time.Second, "render", dir, "--metrics", filepath.Join(dir, "metrics.json"))
	if code != 0 {
		t.Fatalf("render exit %d\n%s", code, stderr)
	}
	t.Logf("rendered the hostile bundle in %s", time.Since(start).Round(time.Millisecond))

	outputs := readOutputs(t, dir)
	for name, doc := range outputs {
		for what, secret := range c {
			if strings.Contains(doc, secret) {
				t.Errorf("%s leaks the %s canary %q", name, what, secret)
			}
		}
	}
	report, comment, page := outputs[render.ReportFile], outputs[render.CommentFile], outputs[render.HTMLFile]

	// What render refused is said, not silently dropped.
	var rep struct {
		Gaps []struct{ Collector, Error string }
	}
	if err := json.Unmarshal([]byte(outputs[render.JSONFile]), &rep); err != nil {
		t.Fatal(err)
	}
	gaps := fmt.Sprint(rep.Gaps)
	for _, want := range []string{"fifo.xml", "nested deeper than", "not an image", "malformed items skipped", "traces.json"} {
		if !strings.Contains(gaps, want) {
			t.Errorf("no gap mentions %q", want)
		}
	}

	for _, name := range []string{render.ReportFile, render.SummaryFile, render.CommentFile} {
		checkMarkdownInert(t, name, outputs[name])
	}
	// In the comment nothing may notify or link: mentions, issue references, URLs.
	for _, re := range []string{`@[A-Za-z0-9]`, `(^|[^&])#\d`, `(?i)\bGH-\d`, `(?i)https?://`, `(?i)\bwww\.`} {
		if m := regexp.MustCompile(re).FindString(comment); m != "" {
			t.Errorf("comment.md has a live %q (%s)", m, re)
		}
	}
	// One marker, and only ours: quoted markers are neutralised everywhere.
	for name, doc := range map[string]string{"REPORT.md": report, "comment.md": comment} {
		if n := strings.Count(doc, "<!-- ci-report:"); n > 0 && !(name == "comment.md" && n == 1 && strings.HasPrefix(doc, "<!-- ci-report:")) {
			t.Errorf("%s carries %d comment markers", name, n)
		}
	}
	for _, bad := range []string{"\u202e", "\x1b", "\x00", "\x07"} {
		if strings.Contains(report, bad) || strings.Contains(comment, bad) {
			t.Errorf("outputs keep the control or bidi character %q", bad)
		}
	}
	// REPORT.html: only the elements goldmark makes of our Markdown, no event handler
	// attributes, links only into the bundle, images only embedded PNGs.
	checkHTMLInert(t, page)
	listed := 0
	_ = ast.Walk(goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(gtext.NewReader([]byte(report))), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering && strings.HasPrefix(string(img.Destination), "./screenshots/") {
			listed++
		}
		return ast.WalkContinue, nil
	})
	// The page shows every screenshot the report has (REPORT.md at least one), each
	// embedded from the report's own images, and nothing else.
	shots := len(readReportJSON(t, outputs[render.JSONFile]).Screenshots)
	if n := strings.Count(page, "data:image/png;base64,"); n == 0 || n < listed || n != shots {
		t.Errorf("REPORT.html embeds %d PNGs; REPORT.md shows %d, the report has %d", n, listed, shots)
	}
	if strings.Contains(page, "data:text") || strings.Contains(page, "data:application") {
		t.Error("REPORT.html embeds a file that is not an image")
	}

	// annotate prints only well-formed commands of its own.
	stdout, _ := annotateInActions(t, dir)
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !regexp.MustCompile(`^::(error|warning|notice) title=[^:]*::`).MatchString(line) {
			t.Errorf("annotate printed a line that is not one of its annotations: %q", line)
		}
	}
	if strings.Contains(stdout, "\x1b") || strings.Contains(stdout, "INJECTED-COMMAND\n") {
		t.Error("annotations carry escapes or an injected command")
	}
}

// checkMarkdownInert parses doc as GitHub Markdown: every link and image must point
// into the bundle, raw HTML must be ours, and no injected heading may appear.
func checkMarkdownInert(t *testing.T, name, doc string) {
	t.Helper()
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	src := []byte(doc)
	root := gm.Parser().Parse(gtext.NewReader(src))
	ours := regexp.MustCompile(`^(<!-- ci-report:[\w./-]+ -->|</?details>|(<details>)?<summary>[^<>]*</summary>|</?summary>|</?sub>)$`)
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch v := n.(type) {
		case *ast.Link:
			if !strings.HasPrefix(string(v.Destination), "./") {
				t.Errorf("%s: link to %q", name, v.Destination)
			}
		case *ast.Image:
			if !strings.HasPrefix(string(v.Destination), "./screenshots/") {
				t.Errorf("%s: image from %q", name, v.Destination)
			}
		case *ast.AutoLink:
			t.Errorf("%s: autolink %q", name, v.URL(src))
		case *ast.Heading:
			if strings.HasPrefix(strings.TrimSpace(string(v.Lines().Value(src))), "INJECTED") {
				t.Errorf("%s: injected heading %q", name, v.Lines().Value(src))
			}
		case *ast.RawHTML:
			var raw bytes.Buffer
			for i := 0; i < v.Segments.Len(); i++ {
				s := v.Segments.At(i)
				raw.Write(s.Value(src))
			}
			if !ours.MatchString(strings.TrimSpace(raw.String())) {
				t.Errorf("%s: raw HTML %q", name, raw.String())
			}
		case *ast.HTMLBlock:
			lines := v.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				l := strings.TrimSpace(string(seg.Value(src)))
				if l != "" && !ours.MatchString(l) {
					t.Errorf("%s: HTML block line %q", name, l)
				}
			}
		}
		return ast.WalkContinue, nil
	})
}

// merge must not panic on a shard whose report.json has no tests, nor read a symlinked
// report.json.
func TestMergeHostileShards(t *testing.T) {
	a := renderedBundle(t)
	b := t.TempDir()
	os.WriteFile(filepath.Join(b, "report.json"), []byte(`{"version":2}`), 0o644)
	c := t.TempDir()
	outside := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(outside, []byte(`{"version":2,"findings":[{"id":"x","title":"OUTSIDE-CANARY"}]}`), 0o644)
	os.Symlink(outside, filepath.Join(c, "report.json"))
	out := filepath.Join(t.TempDir(), "merged")
	code, _, stderr := runWithin(t, 30*time.Second, "merge", a, b, c, "-o", out)
	if code != 0 {
		t.Fatalf("merge exit %d\n%s", code, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(out, render.ReportFile))
	if bytes.Contains(md, []byte("OUTSIDE-CANARY")) {
		t.Error("merge read a report.json outside the shard directory")
	}
}

// The fork poster reads only the artifact's own regular files.
func TestFromArtifactRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "pr.json")
	os.WriteFile(outside, []byte(`{"number":1,"headSha":"0123456789012345678901234567890123456789"}`), 0o644)
	os.Symlink(outside, filepath.Join(dir, PRFile))
	code, _, stderr := runWithin(t, 10*time.Second, "comment", "--from-artifact", dir, "--head-sha", "0123456789012345678901234567890123456789")
	if code == 0 || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("exit %d, stderr %q: want a refusal naming the symlink", code, stderr)
	}
}

func checkHTMLInert(t *testing.T, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	// The page's own elements (landmarks, form controls of its filter and zoom, the SVG
	// timeline); a bundle's text makes none of them.
	for _, e := range strings.Fields("html head body meta title style h1 h2 h3 h4 h5 h6 p ul ol li table thead tbody tr th td pre code a img em strong del details summary sub hr br blockquote span div input " +
		"header nav main section article footer figure figcaption label fieldset legend output button kbd svg g line text rect circle") {
		allowed[e] = true
	}
	scripts := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" {
				// One script, the page's own, byte for byte (its CSP allows that hash only).
				scripts++
				own, _ := fs.ReadFile(deftemplates.FS, "page.js")
				if n.FirstChild == nil || n.FirstChild.Data != string(own) || scripts > 1 || len(n.Attr) > 0 {
					t.Errorf("REPORT.html has a script that is not the page's own")
				}
			} else if !allowed[n.Data] {
				t.Errorf("REPORT.html has a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"):
					t.Errorf("REPORT.html has an event handler %s=%q", a.Key, a.Val)
				case a.Key == "href" && !strings.HasPrefix(v, "./") && !strings.HasPrefix(v, "#"):
					t.Errorf("REPORT.html links to %q", a.Val)
				case a.Key == "src" && !strings.HasPrefix(v, "data:image/png;base64,"):
					t.Errorf("REPORT.html loads %q", a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// A cancelled job (SIGTERM) or a `timeout` must stop render within a second, whatever
// it is busy with.
func TestRenderStopsWhenCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (real waits, a large hostile bundle): make test runs it")
	}
	dir, _ := hostileBundle(t)
	var many strings.Builder
	many.WriteString(`<testsuites><testsuite name="more">`)
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&many, `<testcase name="TestMore%06d"><failure message="m">body %d</failure></testcase>`, i, i)
	}
	many.WriteString(`</testsuite></testsuites>`)
	os.WriteFile(filepath.Join(dir, "results", "more.xml"), []byte(many.String()), 0o644)
	stopsWhenCancelled(t, dir, []time.Duration{100 * time.Millisecond, 700 * time.Millisecond, 2 * time.Second})
}
