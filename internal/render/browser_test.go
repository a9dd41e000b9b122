package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/screenshots"
	"github.com/org/k8s-e2e-report/internal/timeline"
)

// chromium finds the browser; a missing browser fails the test (CI installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (apt-get install chromium) or set CHROMIUM")
	return ""
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationPageInChromium opens the demo's REPORT.html in headless Chromium as a
// person would: no console error (the CSP lets the page's own style and script run, and
// nothing else), a lane per pod, a mark that jumps to its finding, #q= filtering the cards,
// the zoom narrowing the axis, an embedded screenshot, and axe-core finding no serious or
// critical accessibility violation. A screenshot of the page goes to the test's artifacts.
func TestIntegrationPageInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	copyDir(t, filepath.Join(bundles, "demo"), dir)
	// A screenshot in the bundle: a blue "console" with a white bar.
	img := image.NewRGBA(image.Rect(0, 0, 320, 160))
	for y := 0; y < 160; y++ {
		for x := 0; x < 320; x++ {
			c := color.RGBA{30, 90, 200, 255}
			if y > 60 && y < 100 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	os.MkdirAll(filepath.Join(dir, "screenshots"), 0o755)
	f, _ := os.Create(filepath.Join(dir, "screenshots", "console.png"))
	png.Encode(f, img)
	f.Close()

	r, err := loadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(context.Background(), dir, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, HTMLFile)

	ctx, problems := openBrowser(t, browser, 90*time.Second, chromedp.ConsoleError, chromedp.ConsoleException, chromedp.ConsoleWarning)
	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("open %s in Chromium: %v", page, err)
	}

	// The timeline: a lane per pod that has a fact with a time.
	pods := map[string]bool{}
	for _, e := range r.Timeline {
		if e.Object.Kind == "Pod" {
			pods[e.Object.String()] = true
		}
	}
	if n := eval(`document.querySelectorAll("#timeline g.lane.c-pod").length`).(float64); int(n) != len(pods) || n == 0 {
		t.Errorf("%v pod lanes, want %d (one per pod of the demo)", n, len(pods))
	}
	// The script ran: the zoom controls show, the filter counts the cards.
	if eval(`document.querySelector(".zoom").hidden`).(bool) || eval(`document.getElementById("shown").textContent`).(string) == "" {
		t.Error("the page's script did not run (the zoom is hidden, the filter counts nothing)")
	}
	// A mark that a finding explains jumps to it.
	href := eval(`(() => { const a = [...document.querySelectorAll("#timeline a[href^='#finding-']")].find(a => a.querySelector("circle, rect")); if (!a) return ""; a.querySelector("circle, rect").dispatchEvent(new MouseEvent("click", {bubbles: true})); return a.getAttribute("href"); })()`).(string)
	if href == "" {
		t.Fatal("no mark on the timeline links to a finding")
	}
	if got := eval(`location.hash`).(string); got != href {
		t.Errorf("clicking a mark went to %q, want %q", got, href)
	}
	if top := eval(`document.querySelector(location.hash).getBoundingClientRect().top`).(float64); top < -5 || top > 900 {
		t.Errorf("the finding a mark links to is not in view (top %v)", top)
	}
	// #q= filters the cards on load: the OOM card stays, the others carry hidden.
	if err := chromedp.Do(ctx, chromedp.Navigate(page+"#q=oomkilled")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	shown := eval(`[...document.querySelectorAll("[data-search]")].filter(c => !c.hidden).map(c => c.id)`).([]any)
	hidden := eval(`document.querySelectorAll("[data-search][hidden]").length`).(float64)
	if len(shown) != 1 || !strings.HasPrefix(fmt.Sprint(shown[0]), "finding-OOMKilled") || hidden < 5 {
		t.Errorf("#q=oomkilled shows %v and hides %v cards", shown, hidden)
	}
	// Zoom into the second half of the run: the axis starts later.
	before := eval(`document.querySelector(".axis .tick text").textContent`).(string)
	eval(`(() => { const f = document.getElementById("zoom-from"); f.value = 500; f.dispatchEvent(new Event("input")); })()`)
	after := eval(`document.querySelector(".axis .tick text").textContent`).(string)
	if before != "+00:00" || after == before || eval(`document.querySelector(".tl").getAttribute("data-zoom")`).(string) != "500-1000" {
		t.Errorf("zoom: the axis starts at %q, then %q", before, after)
	}
	if out := eval(`document.querySelectorAll("#timeline .zoomed-out").length`).(float64); out == 0 {
		t.Error("zooming into the second half hid nothing of the first")
	}
	// The embedded screenshot.
	if !eval(`[...document.images].length === 1 && document.images[0].complete && document.images[0].naturalWidth === 320`).(bool) {
		t.Error("the embedded screenshot did not load")
	}
	// Accessibility: axe-core, run inside the page (DevTools' evaluation is not bound by
	// the page's CSP, which would refuse any other script).
	axe := os.Getenv("CI_REPORT_AXE") // make test sets it
	if axe == "" {
		out, err := exec.Command("bash", "../../scripts/axe.sh").Output() // cached after the first fetch
		if err != nil {
			t.Fatalf("axe-core: bash scripts/axe.sh: %v (or set CI_REPORT_AXE to an axe.min.js)", err)
		}
		axe = strings.TrimSpace(string(out))
	}
	src, err := os.ReadFile(axe)
	if err != nil {
		t.Fatal(err)
	}
	eval(string(src) + ";0")
	var result struct {
		Violations []struct {
			ID, Impact, Help string
			Nodes            []struct{ Target []any }
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(text), &result); err != nil {
		t.Fatalf("axe's result: %v", err)
	}
	for _, v := range result.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("accessibility: %s (%s): %s, e.g. %v", v.ID, v.Impact, v.Help, v.Nodes[0].Target)
		} else {
			t.Logf("accessibility (%s): %s: %s", v.Impact, v.ID, v.Help)
		}
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.ArtifactDir(), "REPORT.html.jpg")
	os.WriteFile(out, shot, 0o644)
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
	im, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if colors := distinctColors(im, 64); colors < 16 {
		t.Errorf("screenshot looks blank: %d distinct colours", colors)
	}
	for _, p := range problems() {
		t.Errorf("the page logged a problem: %s", p)
	}
}

func distinctColors(im image.Image, limit int) int {
	seen := map[uint32]bool{}
	b := im.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := im.At(x, y).RGBA()
			seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// TestIntegrationHostilePageInChromium: text that tries every escape, in every card, the
// grid, the timeline and the history line, stays text in a real browser: no dialog opens,
// the only script is the page's own, nothing is fetched, and the page logs no error.
func TestIntegrationHostilePageInChromium(t *testing.T) {
	browser := chromium(t)
	r := hostileReport(t, 3)
	r.Timeline = append(r.Timeline, timeline.Entry{Time: r.Timeline[0].Time, Source: "event", Object: kube.Ref("Pod", "ns", hostile), Reason: hostile, Message: hostile, Severity: "error"})
	dir := t.TempDir()
	page, err := Page(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, HTMLFile)
	os.WriteFile(path, page, 0o644)
	ctx, problems := openBrowser(t, browser, 60*time.Second, chromedp.ConsoleError, chromedp.ConsoleException)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatal(err)
	}
	// alert() would block the page: an evaluation that answers proves none opened.
	state, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({scripts: document.scripts.length, handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
		images: [...document.images].map(i => i.src.slice(0, 5)), js: document.querySelectorAll("a[href^='javascript:']").length,
		text: document.body.textContent.includes("<script>alert(1)</script>")})`))
	if err != nil {
		t.Fatal(err)
	}
	if state["scripts"] != 1.0 || state["handlers"] != 0.0 || state["js"] != 0.0 || state["text"] != true || len(state["images"].([]any)) != 0 {
		t.Errorf("the hostile page in Chromium: %v (want one script, no handlers, no images, no javascript: links, the text shown)", state)
	}
	for _, p := range problems() {
		t.Errorf("the page logged: %s", p)
	}
}

// openBrowser starts a headless Chromium tab for the test, and listens, from before any
// page loads, to what it logs of the given types (a CSP refusal is an error); problems
// stops listening and returns them.
func openBrowser(t *testing.T, browser string, timeout time.Duration, types ...chromedp.ConsoleType) (context.Context, func() []string) {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(context.Background(), screenshots.AllocatorOptions(browser, t.TempDir(), 1280, 900)...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	lctx, stop := context.WithCancel(ctx)
	var logged []string
	done := make(chan struct{})
	console := chromedp.Console(lctx)
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			if slices.Contains(types, m.Type) {
				logged = append(logged, fmt.Sprintf("%s: %s", m.Type, m.Text))
			}
		}
	}()
	return ctx, func() []string {
		stop()
		<-done
		return logged
	}
}
