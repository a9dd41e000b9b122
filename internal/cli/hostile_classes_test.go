package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// The classes of issue 19, each planted in a bundle built from the demo bundle, several
// variants a class; every output render writes is checked.

// copyDir copies a committed directory (a bundle) into a temp directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoBundle copies the committed demo bundle (not rendered).
func demoBundle(t *testing.T) string { return copyDir(t, "../../testdata/bundles/demo") }

// healthyBundle copies the committed healthy bundle (no failure of its own).
func healthyBundle(t *testing.T) string { return copyDir(t, "../../testdata/bundles/healthy") }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderOutputs renders dir (exit 0 required) and returns every output by file name.
func renderOutputs(t *testing.T, dir string, args ...string) map[string]string {
	t.Helper()
	code, _, stderr := runWithin(t, 60*time.Second, append([]string{"render", dir}, args...)...)
	if code != 0 {
		t.Fatalf("render exit %d\n%s", code, stderr)
	}
	return readOutputs(t, dir)
}

func readOutputs(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{render.ReportFile, render.SummaryFile, render.CommentFile, render.HTMLFile, render.JSONFile, render.ResultsFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}

// annotateInActions runs annotate on dir as in GitHub Actions (exit 0 required) and
// returns what it printed and the job summary it wrote.
func annotateInActions(t *testing.T, dir string) (stdout, summary string) {
	t.Helper()
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(t.TempDir(), "summary"))
	t.Setenv("GITHUB_OUTPUT", filepath.Join(t.TempDir(), "output"))
	code, stdout, stderr := runWithin(t, 30*time.Second, "annotate", dir)
	if code != 0 {
		t.Fatalf("annotate exit %d\n%s", code, stderr)
	}
	b, _ := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY"))
	return stdout, string(b)
}

// noSecret fails for every output that holds one of the secrets, also JSON-escaped.
func noSecret(t *testing.T, outputs map[string]string, secrets ...string) {
	t.Helper()
	for name, doc := range outputs {
		for _, s := range secrets {
			esc, _ := json.Marshal(s)
			if strings.Contains(doc, s) || strings.Contains(doc, strings.Trim(string(esc), `"`)) {
				t.Errorf("%s leaks %q", name, s)
			}
		}
	}
}

// junitFailures writes a JUnit file whose failing tests carry the given outputs.
func junitFailures(t *testing.T, path string, outputs ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><testsuites><testsuite name="hostile" timestamp="2026-11-21T23:31:00Z">`)
	for i, o := range outputs {
		var esc strings.Builder
		for _, r := range o {
			switch r {
			case '<':
				esc.WriteString("&lt;")
			case '&':
				esc.WriteString("&amp;")
			default:
				esc.WriteRune(r)
			}
		}
		fmt.Fprintf(&b, `<testcase classname="e2e" name="TestHostile%d" time="1"><failure message="failed">%s</failure></testcase>`, i, esc.String())
	}
	b.WriteString(`</testsuite></testsuites>`)
	writeFile(t, path, b.String())
}

const (
	rsaBody1  = "MIIEowIBAAKCAQEAx7k2Lq9vRmZpN3wT5yU8iO0pA2sD4fG6hJ8kL1zX3cV5bN7m"
	rsaBody2  = "Q9w8E7r6T5y4U3i2O1p0A9s8D7f6G5h4J3k2L1zXcVbNmQwErTyUiOpAsDfGhJkL"
	sshBody   = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
	ecBody    = "MHcCAQEEIBk8T3mN5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hJ5kL7mNoAoGCCqGSM49"
	multiPass = "Sup3r-S3cret-Passw0rd-For-Hostile"
)

// TestHostileMultilineSecrets: a private key spans lines. Wherever such a text enters the
// model (a failed test's output, a log tail, a log window around a failure), it must be
// redacted whole, before findings cut it into evidence lines.
func TestHostileMultilineSecrets(t *testing.T) {
	dir := demoBundle(t)
	rsa := "-----BEGIN RSA PRIVATE KEY-----\n" + rsaBody1 + "\n" + rsaBody2 + "\n-----END RSA PRIVATE KEY-----"
	ssh := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + sshBody + "\n-----END OPENSSH PRIVATE KEY-----"
	ec := "    -----BEGIN EC PRIVATE KEY-----\n    " + ecBody + "\n    -----END EC PRIVATE KEY-----"
	junitFailures(t, filepath.Join(dir, "results", "02-hostile.xml"),
		"main_test.go:12: loading the signing key failed: invalid key\n"+rsa+"\nerror: x509: malformed private key",
		"e2e_test.go:40: unexpected ssh key in the secret:\n"+ssh+"\nFAIL",
		"config dump (error):\n"+ec+"\n  password:\n    "+multiPass+"\n",
	)
	// A key printed to the builder's log (crash-looping, so its tail is shown whole),
	// and one that starts before the tail's first line.
	logs := filepath.Join(dir, "k8s/logs/turbo-engine-e2e/builder-5b755b5754-8zzqt")
	for _, f := range []string{"builder.log", "builder.previous.log"} {
		b, err := os.ReadFile(filepath.Join(logs, f))
		if err != nil {
			t.Fatal(err)
		}
		var add strings.Builder
		for _, l := range strings.Split("ERROR bad key material:\n"+rsa, "\n") {
			add.WriteString("2026-11-21T23:31:30.000000000Z " + l + "\n")
		}
		writeFile(t, filepath.Join(logs, f), string(b)+add.String())
	}
	out := renderOutputs(t, dir, "--log-lines", "2")
	noSecret(t, out, rsaBody1, rsaBody2, sshBody, ecBody)
	out = renderOutputs(t, dir)
	noSecret(t, out, rsaBody1, rsaBody2, sshBody, ecBody)
	if !strings.Contains(out[render.ReportFile], "TestHostile0") {
		t.Error("REPORT.md does not list the planted failure")
	}
}

// span is a traces.json span for the tests: id, parent ("" for a root), name, and tags.
type tspan struct {
	id, parent, name, process string
	start, dur                int64
	tags                      map[string]any
}

// writeTraces writes a one-trace traces.json with the given processes' tags.
func writeTraces(t *testing.T, dir, traceID string, spans []tspan, processes map[string]map[string]any) {
	t.Helper()
	var sp []map[string]any
	for _, s := range spans {
		var refs []map[string]any
		if s.parent != "" {
			refs = append(refs, map[string]any{"refType": "CHILD_OF", "traceID": traceID, "spanID": s.parent})
		}
		var tags []map[string]any
		for k, v := range s.tags {
			tags = append(tags, map[string]any{"key": k, "type": "string", "value": v})
		}
		proc := s.process
		if proc == "" {
			proc = "p1"
		}
		sp = append(sp, map[string]any{"traceID": traceID, "spanID": s.id, "operationName": s.name, "references": refs,
			"startTime": s.start, "duration": s.dur, "tags": tags, "processID": proc})
	}
	procs := map[string]any{}
	for id, ptags := range processes {
		var tags []map[string]any
		for k, v := range ptags {
			tags = append(tags, map[string]any{"key": k, "type": "string", "value": v})
		}
		procs[id] = map[string]any{"serviceName": "orders-" + id, "tags": tags}
	}
	b, err := json.Marshal(map[string]any{"data": []any{map[string]any{"traceID": traceID, "spans": sp, "processes": procs}}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "traces.json"), string(b))
}

type reportJSON struct {
	Status   struct{ Level, Detail string }
	Findings []struct {
		ID, Detector, Title, Explanation string
		Evidence                         []string
	}
	Gaps        []struct{ Collector, Error string }
	Screenshots []struct{ Path string }
}

func readReportJSON(t *testing.T, doc string) reportJSON {
	t.Helper()
	var r reportJSON
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHostileTraceSecrets: span and process tags are redacted by their key names as env
// vars and CR fields are, and SQL in a span carries no password.
func TestHostileTraceSecrets(t *testing.T) {
	const (
		apiKey = "k3y-0f-the-hostile-trace-4f1e"
		authz  = "Basic YWRtaW46aG9zdGlsZS10cmFjZQ"
		dbPass = "Hostile-Db-Passw0rd-77"
		sqlPw  = "Alter-User-Secret-99"
		envTok = "env-token-value-zz81"
	)
	dir := demoBundle(t)
	start := time.Date(2026, 11, 21, 23, 30, 50, 0, time.UTC).UnixMicro()
	writeTraces(t, dir, "4bf92f3577b34da6a3ce929d0e0e4736", []tspan{
		{id: "a1", name: "POST /orders", start: start, dur: 3000, tags: map[string]any{
			"http.request.header.x-api-key": apiKey, "http.request.header.authorization": authz,
			"otel.status_code": "ERROR", "otel.status_description": "upstream failed for key " + apiKey}},
		{id: "a2", parent: "a1", name: "db.query", start: start + 10, dur: 2000, tags: map[string]any{
			"db.statement": "ALTER USER app WITH PASSWORD '" + sqlPw + "'", "error": "true",
			"exception.message": "permission denied running ALTER USER app WITH PASSWORD '" + sqlPw + "'"}},
	}, map[string]map[string]any{"p1": {"env.DB_PASSWORD": dbPass, "env.API_TOKEN": envTok, "hostname": "orders-0"}})
	out := renderOutputs(t, dir)
	noSecret(t, out, apiKey, authz, dbPass, sqlPw, envTok)
	// The annotations too (a span's SQL once reached an ::error).
	stdout, summary := annotateInActions(t, dir)
	noSecret(t, map[string]string{"annotations": stdout, "job summary": summary}, apiKey, authz, dbPass, sqlPw, envTok)

	// The file collect writes goes through the same scrubbing: traces.Doc.Redact.
	var doc traces.Doc
	b, _ := os.ReadFile(filepath.Join(dir, "traces.json"))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rd, _ := redact.New(nil)
	doc.Redact(rd)
	b, _ = json.Marshal(doc)
	noSecret(t, map[string]string{"traces.json": string(b)}, apiKey, authz, dbPass, sqlPw, envTok)
	if !strings.Contains(string(b), `"orders-0"`) || !strings.Contains(string(b), "db.statement") {
		t.Errorf("redaction lost what is not secret: %s", b)
	}
}

// TestHostileTraceShapes: every failing trace yields a finding, whatever its shape: a
// server span and its client child with the same name (OpenTelemetry's default naming),
// parents that form a cycle, a span whose parent is itself or missing.
func TestHostileTraceShapes(t *testing.T) {
	start := time.Date(2026, 11, 21, 23, 30, 50, 0, time.UTC).UnixMicro()
	failed := map[string]any{"otel.status_code": "ERROR", "otel.status_description": "TRACE-SHAPE-ERROR"}
	for name, spans := range map[string][]tspan{
		"same name, server and client": {
			{id: "s1", name: "GET /api/orders", start: start, dur: 900, tags: failed},
			{id: "s2", parent: "s1", name: "GET /api/orders", start: start + 5, dur: 800, tags: failed},
		},
		"cycle of two": {
			{id: "c1", parent: "c2", name: "reconcile", start: start, dur: 900, tags: failed},
			{id: "c2", parent: "c1", name: "reconcile", start: start + 5, dur: 800, tags: failed},
		},
		"cycle of three under a root": {
			{id: "r", name: "root", start: start, dur: 1000},
			{id: "x1", parent: "x3", name: "step", start: start + 1, dur: 900, tags: failed},
			{id: "x2", parent: "x1", name: "step", start: start + 2, dur: 800, tags: failed},
			{id: "x3", parent: "x2", name: "step", start: start + 3, dur: 700, tags: failed},
		},
		"own parent": {
			{id: "o1", parent: "o1", name: "loop", start: start, dur: 900, tags: failed},
		},
		"missing parent": {
			{id: "m1", parent: "gone", name: "orphan", start: start, dur: 900, tags: failed},
			{id: "m2", parent: "m1", name: "orphan", start: start + 1, dur: 100, tags: failed},
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := healthyBundle(t)
			writeTraces(t, dir, "0af7651916cd43dd8448eb211c80319c", spans, map[string]map[string]any{"p1": {}})
			rep := readReportJSON(t, renderOutputs(t, dir)[render.JSONFile])
			n := 0
			for _, f := range rep.Findings {
				if strings.HasPrefix(f.ID, "ErrorSpan-") {
					n++
				}
			}
			if n == 0 {
				t.Errorf("no ErrorSpan finding; findings %+v", rep.Findings)
			}
			if rep.Status.Level == "passed" {
				t.Errorf("status %q with an error span", (rep.Status.Level + " — " + rep.Status.Detail))
			}
		})
	}
}

// hugeChain writes a traces.json of one trace: a chain of n spans, every (n/errs)th one
// failing (about 15 MB for 100k spans).
func hugeChain(t testing.TB, dir string, n, errs int) {
	var b strings.Builder
	b.WriteString(`{"data":[{"traceID":"5bf92f3577b34da6a3ce929d0e0e4736","processes":{"p1":{"serviceName":"chain","tags":[]}},"spans":[`)
	start := time.Date(2026, 11, 21, 23, 30, 50, 0, time.UTC).UnixMicro()
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		refs := "[]"
		if i > 0 {
			refs = fmt.Sprintf(`[{"refType":"CHILD_OF","traceID":"5bf92f3577b34da6a3ce929d0e0e4736","spanID":"s%d"}]`, i-1)
		}
		tags := `[{"key":"component","type":"string","value":"chain"}]`
		if i%(n/errs) == n/errs-1 {
			tags = fmt.Sprintf(`[{"key":"error","type":"bool","value":true},{"key":"otel.status_description","type":"string","value":"link %d broke"}]`, i)
		}
		fmt.Fprintf(&b, `{"traceID":"5bf92f3577b34da6a3ce929d0e0e4736","spanID":"s%d","operationName":"step %d","references":%s,"startTime":%d,"duration":%d,"tags":%s,"processID":"p1"}`,
			i, i%7, refs, start+int64(i), int64(n-i)*10, tags)
	}
	b.WriteString(`]}]}`)
	if err := os.WriteFile(filepath.Join(dir, "traces.json"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostileHugeTrace: one 100k-span chain with 50 error spans renders (the cost is a
// benchmark's, BenchmarkRenderHugeTrace; here only that it ends) with one finding where
// the error started, and render stops soon after it is cancelled.
func TestHostileHugeTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("large input: make test runs it")
	}
	dir := healthyBundle(t)
	hugeChain(t, dir, 100000, 50)
	rep := readReportJSON(t, renderOutputs(t, dir)[render.JSONFile])
	var spans []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.ID, "ErrorSpan-") {
			spans = append(spans, f.Explanation)
		}
	}
	if len(spans) != 1 || !strings.Contains(spans[0], "link 99999 broke") {
		t.Errorf("ErrorSpan findings %q: want one, where the error started (the deepest span)", spans)
	}
	stopsWhenCancelled(t, dir, []time.Duration{50 * time.Millisecond, 300 * time.Millisecond})
}

// stopsWhenCancelled cancels a render of dir after each delay and fails if it takes more
// than a second to return, or returns an error other than the cancellation.
func stopsWhenCancelled(t *testing.T, dir string, after []time.Duration) {
	t.Helper()
	g := &globals{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv, log: slog.New(slog.DiscardHandler)}
	for _, d := range after {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, _, err := runRender(ctx, g, dir, &app.RenderFlags{ReportBudget: "240Ki", JSONBudget: "32Mi", LogLines: 200, History: app.HistoryFlags{Runs: 20}})
			done <- err
		}()
		time.Sleep(d)
		cancel()
		cancelled := time.Now()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled after %s: err = %v", d, err)
			}
			took := time.Since(cancelled)
			t.Logf("cancelled after %s: returned %s later (err %v)", d, took.Round(time.Millisecond), err)
			if took > time.Second {
				t.Errorf("cancelled after %s: render took %s to stop", d, took)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("cancelled after %s: render did not stop", d)
		}
	}
}

func BenchmarkRenderHugeTrace(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "bundle")
	if err := os.CopyFS(dir, os.DirFS("../../testdata/bundles/healthy")); err != nil {
		b.Fatal(err)
	}
	hugeChain(b, dir, 100000, 50)
	g := &globals{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv, log: slog.New(slog.DiscardHandler)}
	for b.Loop() {
		if _, _, err := runRender(context.Background(), g, dir, &app.RenderFlags{ReportBudget: "240Ki", JSONBudget: "32Mi", LogLines: 200, History: app.HistoryFlags{Runs: 20}}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHostileTimelineAndLists: timeline.json out of order, entries of the wrong shape
// in timeline.json, events.json and operator-actions.json: each costs only itself.
func TestHostileTimelineAndLists(t *testing.T) {
	for name, edit := range map[string]func(entries []json.RawMessage) []json.RawMessage{
		"reversed": func(es []json.RawMessage) []json.RawMessage {
			for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
				es[i], es[j] = es[j], es[i]
			}
			return es
		},
		"two swapped": func(es []json.RawMessage) []json.RawMessage {
			es[0], es[len(es)-1] = es[len(es)-1], es[0]
			return es
		},
		"bad entries": func(es []json.RawMessage) []json.RawMessage {
			return append([]json.RawMessage{json.RawMessage(`{"time":"yesterday","message":1}`), json.RawMessage(`"x"`), json.RawMessage(`[1,2]`)}, es...)
		},
		"far apart": func(es []json.RawMessage) []json.RawMessage {
			return append(es, json.RawMessage(`{"time":"0001-01-01T00:00:00Z","source":"pod","object":"Pod/x","message":"ancient"}`),
				json.RawMessage(`{"time":"9999-12-31T23:59:59Z","source":"pod","object":"Pod/y","message":"future"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := demoBundle(t)
			// observed.json (what watch saw, the timeline's one input of its own) gets the
			// timeline's entries, so each list has entries to break.
			tl, _ := os.ReadFile(filepath.Join(dir, "k8s/timeline.json"))
			writeFile(t, filepath.Join(dir, "k8s/observed.json"), string(tl))
			for _, rel := range []string{"k8s/observed.json", "k8s/events.json", "k8s/operator-actions.json"} {
				var es []json.RawMessage
				b, err := os.ReadFile(filepath.Join(dir, rel))
				if err != nil || json.Unmarshal(b, &es) != nil || len(es) < 2 {
					t.Fatalf("%s: %v", rel, err)
				}
				b, _ = json.Marshal(edit(es))
				writeFile(t, filepath.Join(dir, rel), string(b))
			}
			out := renderOutputs(t, dir)
			if !strings.Contains(out[render.ReportFile], "## Timeline") {
				t.Error("REPORT.md has no timeline")
			}
			rep := readReportJSON(t, out[render.JSONFile])
			if name == "bad entries" {
				if g := fmt.Sprint(rep.Gaps); !strings.Contains(g, "observed.json: 3 malformed entries skipped") || !strings.Contains(g, "events.json: 3 malformed") {
					t.Errorf("gaps %s: want the skipped entries named", g)
				}
			}
			if len(rep.Findings) == 0 {
				t.Error("the demo's findings were lost")
			}
		})
	}
}

// TestHostileFlagFiles: files named by flags are read as carefully as the bundle's: a
// FIFO or a symlink never hangs render or is followed, and the error names the flag.
func TestHostileFlagFiles(t *testing.T) {
	tmp := t.TempDir()
	fifo := filepath.Join(tmp, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(tmp, "outside.tmpl")
	writeFile(t, outside, "OUTSIDE-TEMPLATE-CANARY")
	tmpls := filepath.Join(tmp, "templates")
	writeFile(t, filepath.Join(tmpls, "README"), "x")
	for name, c := range map[string]struct {
		args []string
		want string // in stderr or in report.json's gaps
	}{
		"metrics fifo":        {[]string{"--metrics", fifo}, "--metrics"},
		"results fifo":        {[]string{"--results", fifo}, "not a regular file"},
		"templates fifo":      {[]string{"--templates", tmpls}, "--templates"},
		"templates symlink":   {[]string{"--templates", tmpls}, "--templates"},
		"metrics a directory": {[]string{"--metrics", tmp}, "--metrics"},
	} {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(tmpls)
			writeFile(t, filepath.Join(tmpls, "README"), "x")
			switch name {
			case "templates fifo":
				if err := syscall.Mkfifo(filepath.Join(tmpls, "report.md.tmpl"), 0o644); err != nil {
					t.Fatal(err)
				}
			case "templates symlink":
				if err := os.Symlink(outside, filepath.Join(tmpls, "report.md.tmpl")); err != nil {
					t.Fatal(err)
				}
			}
			dir := demoBundle(t)
			code, _, stderr := runWithin(t, 20*time.Second, append([]string{"render", dir}, c.args...)...)
			said := stderr
			if b, err := os.ReadFile(filepath.Join(dir, render.JSONFile)); err == nil {
				said += string(b)
			}
			if !strings.Contains(said, c.want) {
				t.Errorf("exit %d: nothing says %q\n%s", code, c.want, stderr)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, render.ReportFile)); strings.Contains(string(b), "OUTSIDE-TEMPLATE-CANARY") {
				t.Error("render followed a symlinked template")
			}
		})
	}
}

// TestHostileInvestigatePaths: investigate names only confined, bundle-relative files,
// in text and JSON, and caps each item as REPORT.md does.
func TestHostileInvestigatePaths(t *testing.T) {
	dir := demoBundle(t)
	huge := "Uncaught TypeError: " + strings.Repeat("A", 8<<20)
	pages := []map[string]any{
		{"name": "up", "file": "../../../../var/log/auth.log", "url": "http://console/", "status": 500, "loadMs": 1,
			"consoleErrors": []map[string]any{{"type": "exception", "text": huge}}, "failedRequests": []any{}},
		{"name": "abs", "file": "/etc/shadow", "url": "http://console/x", "status": 502, "loadMs": 1, "consoleErrors": []any{}, "failedRequests": []any{}},
		{"name": "back", "file": `screenshots\..\..\..\etc\passwd`, "url": "http://console/y", "status": 503, "loadMs": 1, "consoleErrors": []any{}, "failedRequests": []any{}},
	}
	b, _ := json.Marshal(pages)
	writeFile(t, filepath.Join(dir, "screenshots", "pages.json"), string(b))
	for _, args := range [][]string{{"investigate", "--from", dir}, {"investigate", "--from", dir, "--json"}} {
		code, stdout, stderr := runWithin(t, 60*time.Second, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		for _, bad := range []string{"../", "/etc/shadow", "/var/log", `..\`, "etc/passwd"} {
			if strings.Contains(stdout, bad) {
				t.Errorf("%v tells the agent about %q", args, bad)
			}
		}
		if len(stdout) > 1<<20 {
			t.Errorf("%v printed %d bytes: an 8 MiB console message went through whole", args, len(stdout))
		}
		if !strings.Contains(stdout, "Uncaught TypeError") {
			t.Errorf("%v lost the console error itself", args)
		}
	}
}

const injection = "x](https://evil.example/a) <img src=x onerror=alert(1)>\n## INJECTED heading\n[click](javascript:alert(1)) mail evil@example.com a|b\\ `c` www.evil.example @org/team ::error::INJECTED-COMMAND"

// poison replaces every string of a decoded JSON document (but times, which must stay
// times to decode) with the injection, and adds an injected key to every object.
func poison(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = poison(c)
		}
		return t
	case []any:
		for i := range t {
			t[i] = poison(t[i])
		}
		return t
	case string:
		if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return t
		}
		return injection + " " + t
	}
	return v
}

// decodedReport is dir's report.json, decoded into plain maps and lists.
func decodedReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, render.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestHostileMergeShards: a shard's report.json is someone else's output; every string
// in it (a test's status, the keys of testCounts, any text) reaches the merged REPORT.md,
// summary.md, REPORT.html and comment.md inert. A report.json of a newer version, or a
// malformed one, never merges as passed.
func TestHostileMergeShards(t *testing.T) {
	good := renderedBundle(t)
	doc := decodedReport(t, good)
	doc = poison(doc).(map[string]any)
	doc["version"] = 1
	doc["testCounts"] = map[string]any{injection: 3, "passed": 1}
	poisoned := t.TempDir()
	b, _ := json.Marshal(doc)
	writeFile(t, filepath.Join(poisoned, render.JSONFile), string(b))

	out := filepath.Join(t.TempDir(), "merged")
	code, _, stderr := runWithin(t, 60*time.Second, "merge", good, poisoned, "-o", out)
	if code != 0 {
		t.Fatalf("merge exit %d\n%s", code, stderr)
	}
	outputs := readOutputs(t, out)
	for _, name := range []string{render.ReportFile, render.SummaryFile, render.CommentFile} {
		checkMarkdownInert(t, "merged "+name, outputs[name])
	}
	checkHTMLInert(t, outputs[render.HTMLFile])

	// Unreadable shards: a newer version, malformed JSON, a report.json that is a FIFO.
	for name, write := range map[string]func(dir string){
		"newer version": func(dir string) {
			writeFile(t, filepath.Join(dir, render.JSONFile), `{"version":99,"status":{"level":"passed"}}`)
		},
		"malformed": func(dir string) { writeFile(t, filepath.Join(dir, render.JSONFile), `{"version":2,"tests":`) },
		"fifo": func(dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, render.JSONFile), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"empty shard": func(dir string) {},
	} {
		t.Run(name, func(t *testing.T) {
			shard := t.TempDir()
			write(shard)
			healthy := healthyBundle(t)
			out := filepath.Join(t.TempDir(), "merged")
			code, _, stderr := runWithin(t, 60*time.Second, "merge", healthy, shard, "-o", out)
			if code != 0 {
				t.Fatalf("merge exit %d\n%s", code, stderr)
			}
			o := readOutputs(t, out)
			rep := readReportJSON(t, o[render.JSONFile])
			if rep.Status.Level == "passed" || !strings.Contains((rep.Status.Level+" — "+rep.Status.Detail), "unreadable") {
				t.Errorf("status %q: an unreadable shard must not pass, and the status must say so", (rep.Status.Level + " — " + rep.Status.Detail))
			}
			found := false
			for _, f := range rep.Findings {
				found = found || strings.HasPrefix(f.ID, "ReportUnreadable-")
			}
			if !found {
				t.Errorf("no ReportUnreadable finding: %+v", rep.Findings)
			}
		})
	}
}

// TestHostileWatchPIDFile: a stale or planted watch/watch.pid naming a live process whose
// command line even says "watch" is never signalled, by `watch --stop` or by collect's
// stopping of the bundle's watcher.
func TestHostileWatchPIDFile(t *testing.T) {
	out := t.TempDir()
	victim := exec.Command("/bin/sh", "-c", "sleep 60 # ci-report watch")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer victim.Process.Kill()
	exited := make(chan struct{})
	go func() { victim.Wait(); close(exited) }()
	writeFile(t, filepath.Join(out, "watch", "watch.pid"), strconv.Itoa(victim.Process.Pid)+"\n")

	code, _, stderr := runWithin(t, 20*time.Second, "watch", "--stop", "-o", out, "--wait", "2s")
	if code == 0 || !strings.Contains(stderr, "not running") {
		t.Errorf("watch --stop: exit %d, %q: want it to say no watcher runs", code, stderr)
	}
	writeFile(t, filepath.Join(out, "watch", "watch.pid"), strconv.Itoa(victim.Process.Pid)+"\n")
	(&globals{stdout: io.Discard, stderr: io.Discard, getenv: os.Getenv, log: slog.New(slog.DiscardHandler)}).app().StopRunningWatcher(out, 2*time.Second)
	select {
	case <-exited:
		t.Fatal("a process that is not the bundle's watcher was signalled")
	case <-time.After(300 * time.Millisecond):
	}
}

// TestHostileMergeSplitSecrets: a shard's report.json may hold a private key already cut
// into evidence lines or log lines; merge scrubs them as one stream.
func TestHostileMergeSplitSecrets(t *testing.T) {
	good := renderedBundle(t)
	doc := decodedReport(t, good)
	key := []any{"-----BEGIN RSA PRIVATE KEY-----", rsaBody1, rsaBody2, "-----END RSA PRIVATE KEY-----"}
	fs := doc["findings"].([]any)
	fs[0].(map[string]any)["evidence"] = key
	fts := doc["failedTests"].([]any)
	var lines []any
	for _, l := range key {
		lines = append(lines, map[string]any{"time": "2026-11-21T23:31:00Z", "text": l})
	}
	fts[0].(map[string]any)["logLines"] = lines
	shard := t.TempDir()
	b, _ := json.Marshal(doc)
	writeFile(t, filepath.Join(shard, render.JSONFile), string(b))
	out := filepath.Join(t.TempDir(), "merged")
	if code, _, stderr := runWithin(t, 60*time.Second, "merge", shard, "-o", out); code != 0 {
		t.Fatalf("merge exit %d\n%s", code, stderr)
	}
	noSecret(t, readOutputs(t, out), rsaBody1, rsaBody2)
}
