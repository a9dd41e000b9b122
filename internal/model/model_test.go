package model

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
)

// bigLogBundle writes a bundle with one pod whose log is size bytes: sparse, with real
// lines only at the end, so the test needs no gigabyte of disk.
func bigLogBundle(t testing.TB, size int64) string {
	dir := t.TempDir()
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "chatty", "namespace": "ns", "labels": map[string]any{"app.kubernetes.io/name": "chatty"}},
		"spec":     map[string]any{"nodeName": "n", "containers": []any{map[string]any{"name": "app", "image": "x"}}},
		"status":   map[string]any{"phase": "Running"}}
	b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{pod}})
	os.MkdirAll(filepath.Join(dir, "k8s"), 0o755)
	os.WriteFile(filepath.Join(dir, bundle.ResourcesJSON), b, 0o644)
	var tail strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&tail, "2026-01-01T00:00:%02dZ line %d level=info msg=\"served\"\n", i%60, i)
	}
	fmt.Fprintf(&tail, "2026-01-01T00:01:00Z level=error msg=\"the last line\"\n")
	p := filepath.Join(dir, filepath.FromSlash(bundle.LogPath("ns", "chatty", "app", false)))
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size - int64(tail.Len())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(tail.String()), size-int64(tail.Len())); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return dir
}

func TestRenderReadsOnlyTails(t *testing.T) {
	dir := bigLogBundle(t, 1<<30)
	start := time.Now()
	r, err := Load(context.Background(), dir, Options{TailLines: 200})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(r.Logs) != 1 || len(r.Logs[0].Lines) != 200 || !r.Logs[0].More || r.Logs[0].Size != 1<<30 {
		t.Fatalf("tail = %+v", r.Logs)
	}
	last := r.Logs[0].Lines[199]
	if !strings.Contains(last.Text, "the last line") || last.Level != "error" || last.Time.IsZero() {
		t.Errorf("last line = %+v", last)
	}
	if r.TailStats.BytesRead > 256<<10 {
		t.Errorf("read %d bytes of a 1 GiB log to show 200 lines", r.TailStats.BytesRead)
	}
	t.Logf("loaded a bundle with a 1 GiB log in %s, reading %d bytes of it", took, r.TailStats.BytesRead)
}

func TestTailLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "l")
	os.WriteFile(p, []byte("a\nb\nc\n"), 0o644)
	br, err := bundle.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	got, more, _, err := tailLines(br, "l", 2, 1<<20, nil)
	if err != nil || strings.Join(got, ",") != "b,c" || !more {
		t.Errorf("got %q more=%v err=%v", got, more, err)
	}
	got, more, _, _ = tailLines(br, "l", 10, 1<<20, nil)
	if strings.Join(got, ",") != "a,b,c" || more {
		t.Errorf("got %q more=%v", got, more)
	}
	os.WriteFile(p, nil, 0o644)
	if got, _, _, _ := tailLines(br, "l", 10, 1<<20, nil); len(got) != 0 {
		t.Errorf("empty file gave %q", got)
	}
	// A single huge line is cut at maxBytes, not read whole.
	os.WriteFile(p, []byte(strings.Repeat("x", 1<<20)+"\nlast\n"), 0o644)
	var st TailStats
	got, _, _, _ = tailLines(br, "l", 5, 64<<10, &st)
	if st.BytesRead > 64<<10 || got[len(got)-1] != "last" {
		t.Errorf("read %d bytes; got %d lines", st.BytesRead, len(got))
	}
}

// BenchmarkLoadHugeLog: render's model load with a 1 GiB container log (make bench).
func BenchmarkLoadHugeLog(b *testing.B) {
	dir := bigLogBundle(b, 1<<30)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTracesErrorSpans(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, TracesFile), []byte(`{"data":[{"traceID":"abc123","spans":[
	 {"operationName":"GET /api/orders","processID":"p1","startTime":1767225600000000,"tags":[{"key":"error","type":"bool","value":true},{"key":"otel.status_description","value":"upstream 503"}]},
	 {"operationName":"GET /api/users","processID":"p1","startTime":1767225601000000,"tags":[]}],
	 "processes":{"p1":{"serviceName":"gateway"}}}]}`), 0o644)
	r, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Traces == nil || r.Traces.Spans != 2 || len(r.Traces.ErrorSpans) != 1 || len(r.Traces.Services) != 1 || r.Traces.Services[0].Name != "gateway" || r.Traces.Services[0].Spans != 2 || r.Traces.Services[0].Errors != 1 {
		t.Fatalf("traces = %+v", r.Traces)
	}
	var found bool
	for _, f := range r.Findings {
		found = found || (f.Category == "ErrorSpan" && strings.Contains(f.Title, "GET /api/orders") && strings.Contains(f.Explanation, "upstream 503"))
	}
	if !found {
		t.Errorf("no ErrorSpan finding: %+v", r.Findings)
	}
	// A bundle without a manifest still renders; the gap says why.
	if len(r.Gaps) == 0 || !strings.Contains(r.Gaps[0].Error, "manifest.json") {
		t.Errorf("gaps = %+v", r.Gaps)
	}
}

// A trace ID in a failed test's output links the test to its trace; the trace's root
// and error spans join the timeline; the summary has percentiles and critical paths.
func TestTracesLinkedToTestsAndTimeline(t *testing.T) {
	dir := t.TempDir()
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	os.WriteFile(filepath.Join(dir, TracesFile), []byte(`{"data":[{"traceID":"`+id+`","spans":[
	 {"traceID":"`+id+`","spanID":"a1","operationName":"GET /api/orders","processID":"p1","startTime":1767225600000000,"duration":80000,"references":[],"tags":[{"key":"otel.status_code","value":"ERROR"}]},
	 {"traceID":"`+id+`","spanID":"b2","operationName":"SELECT orders","processID":"p2","startTime":1767225600020000,"duration":40000,"references":[{"refType":"CHILD_OF","traceID":"`+id+`","spanID":"a1"}],"tags":[{"key":"error","value":true},{"key":"otel.status_description","value":"connection refused"}]}],
	 "processes":{"p1":{"serviceName":"gateway"},"p2":{"serviceName":"db"}}}]}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "results"), 0o755)
	os.WriteFile(filepath.Join(dir, "results", "e2e.xml"), []byte(`<testsuite name="e2e" timestamp="2026-01-01T00:00:00Z"><testcase name="TestOrders" time="1">
<failure message="GET /api/orders: 500">request failed, traceparent 00-`+id+`-00f067aa0ba902b7-01</failure></testcase></testsuite>`), 0o644)
	r, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.FailedTests) != 1 || len(r.FailedTests[0].Traces) != 1 || r.FailedTests[0].Traces[0] != id {
		t.Fatalf("failed test traces = %+v", r.FailedTests)
	}
	var rootEntry, errEntry bool
	for _, e := range r.Timeline {
		rootEntry = rootEntry || e.Source == "trace" && strings.Contains(e.Message, "GET /api/orders took 80ms")
		errEntry = errEntry || e.Source == "trace" && e.Severity == "error" && strings.Contains(e.Message, "SELECT orders failed: connection refused")
	}
	if !rootEntry || !errEntry {
		t.Errorf("timeline lacks the root (%v) or error (%v) span: %+v", rootEntry, errEntry, r.Timeline)
	}
	cp := r.Traces.CriticalPaths
	if len(cp) != 1 || len(cp[0].Steps) != 2 || cp[0].Steps[1].Operation != "SELECT orders" || !cp[0].Steps[1].Error {
		t.Errorf("critical paths = %+v", cp)
	}
	if sl := r.Traces.Slowest; len(sl) != 2 || sl[0].Operation != "GET /api/orders" || sl[0].P95 != 80*time.Millisecond {
		t.Errorf("slowest = %+v", sl)
	}
	// One finding for the failing chain: where the error started, naming what it broke.
	var spanFindings []string
	for _, f := range r.Findings {
		if f.Category == "ErrorSpan" {
			spanFindings = append(spanFindings, f.Title+": "+f.Explanation)
		}
	}
	if len(spanFindings) != 1 || spanFindings[0] != "Error spans in db: SELECT orders: connection refused; it failed in turn: gateway GET /api/orders" {
		t.Errorf("error span findings = %q", spanFindings)
	}
}

// A run whose only results file cannot be parsed is never "Passed": the status says the
// results were unreadable, and a finding names the file and why.
func TestUnreadableResultsAreNotPassed(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "results"), 0o755)
	os.WriteFile(filepath.Join(dir, "results", "e2e.xml"), []byte(`<testsuites><testsuite name="x"><testcase name="a">`), 0o644)
	r, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.Level == "passed" || !strings.Contains(r.Status.Detail, "1 test results file(s) unreadable") {
		t.Errorf("status = %+v", r.Status)
	}
	found := false
	for _, f := range r.Findings {
		found = found || f.Category == "ResultsUnreadable" && strings.Contains(f.Title, "e2e.xml") && strings.Contains(f.Explanation, "malformed JUnit XML")
	}
	if !found {
		t.Errorf("findings = %+v", r.Findings)
	}
}

// A healthy container's tail keeps its last lines and the errors before them; an
// unhealthy container's whole tail comes first.
func TestHealthyTailsAreShortAndLast(t *testing.T) {
	dir := t.TempDir()
	running := map[string]any{"running": map[string]any{"startedAt": "2026-01-01T00:00:00Z"}}
	pods := []any{
		map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "calm", "namespace": "ns"},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x"}}},
			"status": map[string]any{"phase": "Running", "containerStatuses": []any{
				map[string]any{"name": "app", "ready": true, "restartCount": 0, "state": running}}}},
		map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "sick", "namespace": "ns"},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x"}}},
			"status": map[string]any{"phase": "Running", "containerStatuses": []any{
				map[string]any{"name": "app", "ready": false, "restartCount": 0, "state": running}}}},
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": pods})
	os.MkdirAll(filepath.Join(dir, "k8s"), 0o755)
	os.WriteFile(filepath.Join(dir, bundle.ResourcesJSON), b, 0o644)
	for _, pod := range []string{"calm", "sick"} {
		var log strings.Builder
		for i := 0; i < 150; i++ {
			if i == 10 {
				fmt.Fprintf(&log, "2026-01-01T00:00:10Z level=error msg=\"early error\"\n")
				continue
			}
			fmt.Fprintf(&log, "2026-01-01T00:00:%02dZ level=info msg=\"line %d\"\n", i%60, i)
		}
		p := filepath.Join(dir, filepath.FromSlash(bundle.LogPath("ns", pod, "app", false)))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(log.String()), 0o644)
	}
	r, err := Load(context.Background(), dir, Options{TailLines: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Logs) != 2 || r.Logs[0].Pod != "sick" || r.Logs[1].Pod != "calm" {
		t.Fatalf("order = %+v; want the unhealthy container first", r.Logs)
	}
	sick, calm := r.Logs[0], r.Logs[1]
	if sick.Healthy || len(sick.Lines) != 150 || sick.Omitted != 0 {
		t.Errorf("unhealthy tail: healthy=%v, %d lines, %d omitted; want all 150", sick.Healthy, len(sick.Lines), sick.Omitted)
	}
	if !calm.Healthy || len(calm.Lines) != HealthyTailLines+1 || calm.Omitted != 150-HealthyTailLines-1 {
		t.Fatalf("healthy tail: healthy=%v, %d lines, %d omitted", calm.Healthy, len(calm.Lines), calm.Omitted)
	}
	if calm.Lines[0].Text != `level=error msg="early error"` || !strings.Contains(calm.Lines[len(calm.Lines)-1].Text, "line 149") {
		t.Errorf("healthy tail = first %q … last %q; want the early error, then the last lines", calm.Lines[0].Text, calm.Lines[len(calm.Lines)-1].Text)
	}
}

// A pod deleted during the run is deleted in the report: from the bundle's
// deletions.json, or, in a bundle written before it, from the pod's annotation.
func TestDeletedPods(t *testing.T) {
	running := map[string]any{"running": map[string]any{"startedAt": "2026-01-01T00:00:00Z"}}
	pod := func(name string, ann map[string]any) any {
		return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name, "namespace": "ns", "annotations": ann},
			"spec":   map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x"}}},
			"status": map[string]any{"phase": "Running", "containerStatuses": []any{map[string]any{"name": "app", "ready": true, "state": running}}}}
	}
	dir := t.TempDir()
	b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{
		pod("recorded", nil), pod("legacy", map[string]any{bundle.DeletedAtAnnotation: "2026-01-01T00:02:00Z"}), pod("alive", nil)}})
	os.MkdirAll(filepath.Join(dir, "k8s"), 0o755)
	os.WriteFile(filepath.Join(dir, bundle.ResourcesJSON), b, 0o644)
	at := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	d, _ := json.Marshal([]bundle.Deletion{{Kind: "Pod", Namespace: "ns", Name: "recorded", At: at, Observed: true}})
	os.WriteFile(filepath.Join(dir, bundle.DeletionsJSON), d, 0o644)
	r, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]PodRow{}
	for _, p := range r.Pods {
		got[p.Name] = p
	}
	if p := got["recorded"]; !p.Deleted.Equal(at) || p.Healthy() || !strings.HasPrefix(p.Reason, "deleted") {
		t.Errorf("recorded: %+v", p)
	}
	if p := got["legacy"]; p.Deleted.IsZero() || p.Healthy() {
		t.Errorf("legacy: %+v", p)
	}
	if p := got["alive"]; !p.Deleted.IsZero() || !p.Healthy() {
		t.Errorf("alive: %+v", p)
	}
}

// tailLines agrees with splitting the whole file, on every small shape of file, count
// and read limit (a limit cuts into a line, which is then dropped).
func TestTailLinesAgreesWithSplit(t *testing.T) {
	dir := t.TempDir()
	br, err := bundle.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	for _, content := range []string{"", "\n", "a", "a\n", "a\nb", "a\n\nb\n", "\n\na\n", "abc\ndef\nghi\n", "x\ny\n\n\n", strings.Repeat("line\n", 50)} {
		os.WriteFile(filepath.Join(dir, "l"), []byte(content), 0o644)
		for n := 1; n <= 6; n++ {
			for _, max := range []int64{1, 2, 3, 5, 8, 1 << 20} {
				data := content
				cut := int64(len(data)) > max
				if cut {
					data = data[int64(len(data))-max:]
				}
				data = strings.TrimRight(data, "\n")
				var want []string
				if data != "" {
					want = strings.Split(data, "\n")
				}
				if cut && len(want) > 0 {
					want = want[1:]
				}
				more := cut
				if len(want) > n {
					want, more = want[len(want)-n:], true
				}
				got, gotMore, _, err := tailLines(br, "l", n, max, nil)
				if err != nil || strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) || gotMore != more {
					t.Errorf("%q n=%d max=%d: got %q more=%v, want %q more=%v (%v)", content, n, max, got, gotMore, want, more, err)
				}
			}
		}
	}
}

// Every field of the detectors' input is scrubbed by one of the read chains: a new
// field that neither names fails here, not in a leak.
func TestEveryInputFieldIsScrubbed(t *testing.T) {
	var in findings.Input
	objects, records := inputParts(&in)
	covered := map[uintptr]bool{}
	for _, p := range append(objects, records...) {
		covered[reflect.ValueOf(p).Pointer()] = true
	}
	v := reflect.ValueOf(&in).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Name == "Logs" || f.Name == "ObjectFile" {
			continue // read (and scrubbed) on demand; a function
		}
		if !covered[v.Field(i).Addr().Pointer()] {
			t.Errorf("findings.Input.%s is scrubbed by neither read chain (add it to inputParts)", f.Name)
		}
	}
}

// A manifest's file for a type is cited only when it is a path inside the bundle; a
// hostile one falls back to resources.json.
func TestObjectFilesStayInTheBundle(t *testing.T) {
	files := objectFiles(&bundle.Manifest{Types: []bundle.TypeFile{
		{APIVersion: "x.io/v1", Kind: "Good", File: "k8s/goods.yaml"},
		{APIVersion: "x.io/v1", Kind: "Up", File: "../../etc/passwd"},
		{APIVersion: "x.io/v1", Kind: "Abs", File: "/etc/passwd"},
		{APIVersion: "x.io/v1", Kind: "Link", File: "javascript:alert(1)//x"},
	}})
	if got := files("x.io/v1", "Good"); got != "k8s/goods.yaml" {
		t.Errorf("Good: %q", got)
	}
	for _, k := range []string{"Up", "Abs"} {
		if got := files("x.io/v1", k); got != "" {
			t.Errorf("%s: %q cited; want none (resources.json)", k, got)
		}
	}
}

// With the manifest's operator settings, the model parses the operator's logs itself
// (today's parser), not the operator-actions.json collect wrote; without them (an older
// bundle) it reads that file.
func TestOperatorActionsParsedFromLogs(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../testdata/bundles/demo")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, bundle.OperatorActionsJSON), []byte(`[]`), 0o644)
	r, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OperatorActions) < 10 || r.OperatorActions[0].Pod == "" {
		t.Fatalf("operator actions = %d; want those of the operator's log", len(r.OperatorActions))
	}
	m, _ := os.ReadFile(filepath.Join(dir, bundle.ManifestFile))
	var manifest map[string]any
	json.Unmarshal(m, &manifest)
	delete(manifest, "operator")
	m, _ = json.Marshal(manifest)
	os.WriteFile(filepath.Join(dir, bundle.ManifestFile), m, 0o644)
	if r, err = Load(context.Background(), dir, Options{}); err != nil || len(r.OperatorActions) != 0 {
		t.Errorf("an older bundle: %d actions (%v); want operator-actions.json's none", len(r.OperatorActions), err)
	}
}

// Repeats of a log line group with the normaliser fingerprints use (one rule): times,
// UUIDs, addresses, numbers and a pod's generated suffix vary between repeats.
func TestExtractErrorsGroupsRepeats(t *testing.T) {
	tails := []LogTail{{File: "a.log", Lines: []LogLine{
		{Level: "error", Text: "2026-01-01T00:00:01Z reconcile 7c2e9d44-1f0b-4f7e-9a51-0c0e6b1d2a33 failed after 3 tries at 0xdeadbeef"},
		{Level: "error", Text: "2026-02-03T10:11:12.5Z reconcile 0a1b2c3d-0000-4f7e-9a51-0c0e6b1d2a33 failed after 12 tries at 0xc0ffee"},
	}}, {File: "b.log", Lines: []LogLine{
		{Level: "error", Text: "dial pod orders-7d9f8b6c4-x2x9z: connection refused"},
		{Level: "error", Text: "dial pod orders-7d9f8b6c4-k8mq2: connection refused"},
		{Level: "error", Text: "dial pod users-5c6d7e8f9-abcde: connection refused"},
	}}}
	got := extractErrors(tails)
	var counts []int
	for _, e := range got {
		counts = append(counts, e.Count)
	}
	if len(got) != 3 || got[0].Count != 2 || got[1].Count != 2 || got[2].Count != 1 {
		t.Errorf("groups %v, want the reconcile repeats, the orders pods' repeats, then users: %+v", counts, got)
	}
}

// A test's output is scrubbed whole and cut afterwards, on a rune boundary: a token that
// straddles the shown cut (results.MaxDetails) does not leave its head behind, and a
// multi-byte rune at the cut is not split.
func TestTestOutputCutAfterScrubbing(t *testing.T) {
	rd, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	token := "ghp_R4nd0mT0k3nV4lu3Abcdefghij1234567890"
	for _, out := range []string{
		strings.Repeat("x", results.MaxDetails-20-len(" sent ")) + " sent " + token + " done", // 20 bytes of it before the cut
		"x" + strings.Repeat("é", results.MaxDetails) + " token=" + token,                     // the cut inside "é"
	} {
		pad := len(out)
		dir := t.TempDir()
		junit := filepath.Join(dir, "junit.xml")
		os.WriteFile(junit, []byte(`<testsuite name="s"><testcase name="t"><failure message="boom">`+out+`</failure></testcase></testsuite>`), 0o644)
		r, err := Load(context.Background(), dir, Options{Results: []string{junit}, Redactor: rd})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Tests.Cases) != 1 {
			t.Fatalf("cases: %+v", r.Tests.Cases)
		}
		d := r.Tests.Cases[0].Details
		if strings.Contains(d, "ghp_") || strings.Contains(d, "R4nd0m") {
			t.Errorf("pad %d: the token's head survives the cut: …%q", pad, d[max(0, len(d)-80):])
		}
		if !utf8.ValidString(d) || len(d) > results.MaxDetails+len("\n[… cut]") {
			t.Errorf("pad %d: details %d bytes, valid UTF-8 %v", pad, len(d), utf8.ValidString(d))
		}
	}
}

// A custom resource's generation and observedGeneration are read from resources.json as
// the API machinery reads numbers (int64): encoding/json's float64 made both 0, so no
// status was ever stale and REPORT.md printed 0 | 0.
func TestCustomResourceGenerationsRead(t *testing.T) {
	r, err := Load(context.Background(), "../../testdata/bundles/demo", Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ct := range r.CustomResources {
		for _, it := range ct.Items {
			if ct.Kind == "APIGraph" {
				n++
				if it.Generation != 1 || it.ObservedGeneration != 1 {
					t.Errorf("%s/%s: generation %d, observed %d; the bundle says 1 and 1", ct.Kind, it.Name, it.Generation, it.ObservedGeneration)
				}
			}
		}
	}
	if n != 2 {
		t.Errorf("%d APIGraphs read, want 2", n)
	}
}
