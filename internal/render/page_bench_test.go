package render

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/screenshots"
	"github.com/org/k8s-e2e-report/internal/timeline"
	"github.com/org/k8s-e2e-report/internal/view"
)

// bigReport is the demo report grown to the benchmark's size: 300 pods under 30
// Deployments, each with a container run, restarts, events and condition changes on the
// timeline, 200-line log tails, 600 tests of which 30 fail, and 60 findings.
func bigReport(t testing.TB) *model.Report {
	if dir := os.Getenv("CI_REPORT_BENCH_BUNDLE"); dir != "" {
		// make bench: the bundle its harness collected from the 300-pod workload.
		rd, err := redact.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := model.Load(context.Background(), dir, model.Options{Redactor: rd, Outputs: Files()})
		if err != nil {
			t.Fatalf("CI_REPORT_BENCH_BUNDLE: %v", err)
		}
		t.Logf("the page of %s: %d pods, %d timeline entries", dir, len(r.Pods), len(r.Timeline))
		return r
	}
	r := load(t, "demo")
	t0 := r.Timeline[0].Time
	for i := 0; i < 300; i++ {
		ns, name := "bench", fmt.Sprintf("app-%02d-5d4f8b7c9-%05d", i%30, i)
		obj := kube.Ref("Pod", ns, name)
		at := func(s int) time.Time { return t0.Add(time.Duration(s+i) * time.Second) }
		r.Timeline = append(r.Timeline,
			timeline.Entry{Time: at(0), Source: timeline.SourceContainer, Object: obj, Message: "container app started", Open: true},
			timeline.Entry{Time: at(5), Source: timeline.SourcePod, Object: obj, Reason: "", Message: "Ready=True"})
		for k := 0; k < 8; k++ {
			sev := ""
			if i%10 == 0 && k%2 == 0 {
				sev = "warning"
			}
			r.Timeline = append(r.Timeline, timeline.Entry{Time: at(30 + k*40), Source: timeline.SourceEvent, Object: obj, Reason: "Pulled", Message: fmt.Sprintf("Normal Pulled: image %d", k), Severity: sev})
		}
		r.Pods = append(r.Pods, model.PodRow{Namespace: ns, Name: name, Phase: "Running", Ready: "1/1", Restarts: int32(i % 3)})
		lines := make([]model.LogLine, 200)
		for k := range lines {
			lines[k] = model.LogLine{Time: at(k), Text: fmt.Sprintf(`{"level":"info","msg":"served","path":"/api/%d","status":200}`, k)}
		}
		r.Logs = append(r.Logs, model.LogTail{Namespace: ns, Pod: name, Container: "app", File: fmt.Sprintf("k8s/logs/%s/%s/app.log", ns, name), Lines: lines})
	}
	slices.SortStableFunc(r.Timeline, func(a, b timeline.Entry) int { return a.Time.Compare(b.Time) })
	for i := 0; i < 600; i++ {
		c := results.Case{Suite: "e2e", Name: fmt.Sprintf("TestCase%03d", i), Status: results.Passed, Start: t0.Add(time.Duration(i) * time.Second), Duration: 3 * time.Second}
		if i%20 == 0 {
			c.Status, c.Message = results.Failed, "assertion failed: want 200, got 503"
			r.FailedTests = append(r.FailedTests, model.FailedTest{Case: c, Window: [2]time.Time{c.Start.Add(-time.Minute), c.End().Add(10 * time.Second)}, Findings: []string{}})
		}
		r.Tests.Cases = append(r.Tests.Cases, c)
	}
	for i := 0; i < 60; i++ {
		r.Findings = append(r.Findings, findings.Finding{ID: fmt.Sprintf("CrashLoopBackOff-%04d", i), Category: "CrashLoopBackOff", Severity: findings.Error,
			Title: fmt.Sprintf("Pod app-%02d is in CrashLoopBackOff", i), Subject: kube.Ref("Pod", "bench", fmt.Sprintf("app-%02d-5d4f8b7c9-%05d", i%30, i)),
			Explanation: "Container app keeps crashing", Evidence: []string{"panic: boom", "goroutine 1 [running]:"}, Count: 1})
	}
	return r
}

// BenchmarkRenderPage: every output of the big report with and without REPORT.html, and
// the page's size. Goals (issue 33): the page costs at most 30% more; it stays under 5 MB.
func BenchmarkRenderPage(b *testing.B) {
	r := bigReport(b)
	out := b.TempDir()
	all := Outputs
	defer func() { Outputs = all }()
	var without, with time.Duration
	for _, page := range []bool{false, true} {
		Outputs = slices.DeleteFunc(slices.Clone(all), func(o Output) bool { return !page && o.File == HTMLFile })
		start := time.Now()
		n := 0
		for ; n < 5 || time.Since(start) < 2*time.Second; n++ {
			if err := WriteAll(context.Background(), out, r, Options{}); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start) / time.Duration(n)
		if page {
			with = took
		} else {
			without = took
		}
	}
	for b.Loop() {
		if _, err := Page(r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(filepath.Join(out, HTMLFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "page-MiB")
	b.ReportMetric(float64(without.Milliseconds()), "render-ms")
	b.ReportMetric(float64(with.Milliseconds()), "with-page-ms")
	b.ReportMetric(100*(float64(with)/float64(without)-1), "page-cost-%")
}

// BenchmarkPageLoad: the big report's page opened in headless Chromium, from navigation
// to its script done (the page marks it), against render's own time. Goal (issue 33): the
// page is interactive sooner than render takes to write it.
func BenchmarkPageLoad(b *testing.B) {
	browser := os.Getenv("CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if browser == "" {
			browser, _ = exec.LookPath(name)
		}
	}
	if browser == "" {
		b.Skip("no Chromium")
	}
	r := bigReport(b)
	dir := b.TempDir()
	start := time.Now()
	if err := WriteAll(context.Background(), dir, r, Options{}); err != nil {
		b.Fatal(err)
	}
	render := time.Since(start)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), screenshots.AllocatorOptions(browser, b.TempDir(), 1280, 900)...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil { // the browser started
		b.Fatal(err)
	}
	var ready float64
	for b.Loop() {
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(dir, HTMLFile))); err != nil {
			b.Fatal(err)
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.getAttribute("data-ready")`))
		if err != nil || v == "" {
			b.Fatalf("the page did not mark itself ready: %q %v", v, err)
		}
		ms, _ := strconv.ParseFloat(v, 64)
		ready = max(ready, ms)
	}
	b.ReportMetric(ready, "interactive-ms")
	b.ReportMetric(float64(render.Milliseconds()), "render-ms")
}

// A few times far from the rest (a results file of another day, year 1) do not squash
// the run into a pixel: the axis spans the rest and counts them; without outliers it
// spans everything.
func TestAxisRangeLeavesOutliersAtTheEdges(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	lane := view.Lane{}
	for i := 0; i < 100; i++ {
		lane.Spans = append(lane.Spans, view.Span{Start: t0.Add(time.Duration(i) * time.Second)})
	}
	a, b, out := axisRange([]view.Lane{lane})
	if !a.Equal(t0) || !b.Equal(t0.Add(99*time.Second)) || out != 0 {
		t.Errorf("no outliers: %v to %v, %d outside", a, b, out)
	}
	lane.Spans = append(lane.Spans, view.Span{Start: t0.Add(-328 * time.Hour)}, view.Span{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)})
	a, b, out = axisRange([]view.Lane{lane})
	if a.Before(t0.Add(-time.Minute)) || b.After(t0.Add(3*time.Minute)) || out != 2 {
		t.Errorf("with two outliers: %v to %v, %d outside; want about the run's 99 s and 2", a, b, out)
	}
}
