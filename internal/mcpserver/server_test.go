package mcpserver_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/mcpserver"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/query"
	"github.com/org/k8s-e2e-report/internal/redact"
)

const demo = "../../testdata/bundles/demo"

// open reads a bundle (a directory or a zip) as the command does.
func open(t testing.TB, bundle string) *query.Run {
	t.Helper()
	rd, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	run, closeRun, err := (&app.Service{}).OpenRun(context.Background(), app.QueryOptions{Source: app.Source{Dir: bundle}, Load: model.Options{TailLines: 2000, Redactor: rd}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRun() })
	return run
}

// connect serves run to an in-memory client.
func connect(t testing.TB, run *query.Run) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(mcpserver.Fixed{R: run}, nil).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// answer is a tool's answer: its text, structured content, links, and whether it is an
// error.
type answer struct {
	text   string
	data   map[string]any
	links  []string
	isErr  bool
	nbytes int
}

func call(t testing.TB, cs *mcp.ClientSession, tool string, args map[string]any) answer {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	var a answer
	a.isErr = res.IsError
	for _, c := range res.Content {
		switch c := c.(type) {
		case *mcp.TextContent:
			a.text += c.Text
		case *mcp.ResourceLink:
			a.links = append(a.links, c.URI)
		}
	}
	a.nbytes = len(a.text)
	if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		json.Unmarshal(b, &a.data)
	}
	return a
}

func must(t testing.TB, a answer, tool string, wants ...string) {
	t.Helper()
	if a.isErr {
		t.Fatalf("%s: tool error: %s", tool, a.text)
	}
	for _, w := range wants {
		if !strings.Contains(a.text, w) {
			t.Errorf("%s: the answer lacks %q:\n%s", tool, w, a.text)
		}
	}
}

func fails(t testing.TB, a answer, tool string, wants ...string) {
	t.Helper()
	if !a.isErr {
		t.Fatalf("%s: want a tool error, got:\n%s", tool, a.text)
	}
	for _, w := range wants {
		if !strings.Contains(a.text, w) {
			t.Errorf("%s: the error %q does not say %q", tool, a.text, w)
		}
	}
}

// TestToolsList is the tools' contract: names, descriptions, input schemas and
// annotations, snapshotted (go test -update rewrites it); every tool is read-only.
func TestToolsList(t *testing.T) {
	cs := connect(t, open(t, demo))
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Tools); n > 10 {
		t.Errorf("%d tools; at most 10", n)
	}
	for _, tool := range res.Tools {
		a := tool.Annotations
		if a == nil || !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint {
			t.Errorf("tool %s is not marked read-only and non-destructive: %+v", tool.Name, a)
		}
	}
	b, err := json.MarshalIndent(res.Tools, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/tools.golden.json", append(b, '\n'))
	t.Logf("tools/list: %d tools, %d bytes", len(res.Tools), len(b))
	prompts, err := cs.ListPrompts(context.Background(), nil)
	if err != nil || len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "diagnose-run" {
		t.Errorf("prompts = %+v, %v; want diagnose-run", prompts, err)
	}
}

// TestDemoTools asks every tool about the demo run (a crash-looping builder two services
// upstream of the failed test) what an agent would.
func TestDemoTools(t *testing.T) {
	cs := connect(t, open(t, demo))

	sum := call(t, cs, "summary", nil)
	// The cause in the first answer: the crash loop, and the panic that is its evidence.
	must(t, sum, "summary", "Run: FAILED", "1. [critical] CrashLoopBackOff-", "panic: assignment to entry in nil map", `test_slice test="TestOrdersAPI"`,
		"Unhealthy pods (4;", "- turbo-engine-e2e/load-generator Pending 0/1 ready, 0 restarts, Unschedulable\n",
		"- turbo-engine-e2e/envmanager-7c54d7fcdf-5m2v9 Running 1/1 ready, 1 restarts; last: envmanager OOMKilled, exit code 137\n")
	if sum.data["status"] != "failed" {
		t.Errorf("summary data status = %v", sum.data["status"])
	}

	lf := call(t, cs, "list_findings", map[string]any{"severity": "error"})
	must(t, lf, "list_findings", "OOMKilled", "Unschedulable")
	if strings.Contains(lf.text, "[warning]") {
		t.Errorf("severity=error lists warnings:\n%s", lf.text)
	}
	// Paging: a small budget gives a cursor; following it reaches every finding once.
	seen := map[string]int{}
	cursor, pages := "", 0
	for {
		args := map[string]any{"limit": 1024}
		if cursor != "" {
			args["cursor"] = cursor
		}
		a := call(t, cs, "list_findings", args)
		if a.isErr || a.nbytes > 1024 {
			t.Fatalf("page %d: error %v, %d bytes > 1024:\n%s", pages, a.isErr, a.nbytes, a.text)
		}
		for _, f := range a.data["findings"].([]any) {
			seen[f.(map[string]any)["id"].(string)]++
		}
		pages++
		next, _ := a.data["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	total := int(sum.data["findings"].(float64))
	if pages < 2 || len(seen) != total {
		t.Errorf("paging: %d pages, %d distinct findings of %d", pages, len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("finding %s listed %d times across pages", id, n)
		}
	}
	fails(t, call(t, cs, "list_findings", map[string]any{"cursor": "i999"}), "list_findings", "cursor")
	fails(t, call(t, cs, "list_findings", map[string]any{"severity": "fatal"}), "list_findings", "critical, error, warning, info")

	top := sum.data["top"].([]any)[0].(map[string]any)["id"].(string)
	gf := call(t, cs, "get_finding", map[string]any{"id": top})
	must(t, gf, "get_finding", "CrashLoopBackOff", "Evidence:", "panic: assignment to entry in nil map", "builder.previous.log")
	if len(gf.links) == 0 || !strings.HasPrefix(gf.links[0], query.URIPrefix) {
		t.Errorf("get_finding links = %v; want bundle resources", gf.links)
	}
	fails(t, call(t, cs, "get_finding", map[string]any{"id": "nope"}), "get_finding", "no finding", "list_findings")

	must(t, call(t, cs, "failed_tests", nil), "failed_tests", `"TestOrdersAPI" [failed]`, "503")
	ts := call(t, cs, "test_slice", map[string]any{"test": "orders"})
	must(t, ts, "test_slice", "Test \"TestOrdersAPI\"", "Window:", "Findings in the window")
	fails(t, call(t, cs, "test_slice", map[string]any{"test": "TestNothing"}), "test_slice", "no failed test")

	// Logs: grep with context in the previous log, a window around the crash, the tail.
	lg := call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "previous": true, "grep": "^\\S+ panic:", "context": 1})
	must(t, lg, "logs", "panic: assignment to entry in nil map", "loading build plan", "1 match)")
	if !strings.Contains(lg.text, "     3> ") {
		t.Errorf("the match is not marked with its line number:\n%s", lg.text)
	}
	must(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "previous": true, "around": "2026-11-21T23:38:15Z", "seconds": 1}),
		"logs around", "panic")
	must(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "tail": 2}), "logs tail", "builder.log")
	fails(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "envmanager-7c54d7fcdf-5m2v9"}), "logs", "several containers", "wait-for-registry.log")
	fails(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "grep": "(a"}), "logs", "grep")
	fails(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "nope"}), "logs", "no logs of pod")

	tl := call(t, cs, "timeline", map[string]any{"kinds": []string{"event"}, "severity": "warning"})
	must(t, tl, "timeline", "event [warning]", "BackOff")
	for _, l := range strings.Split(strings.TrimSpace(tl.text), "\n")[1:] {
		if !strings.Contains(l, " event [warning]") && !strings.Contains(l, " event [error]") && !strings.HasPrefix(l, "…") {
			t.Errorf("timeline kinds=event severity=warning gave %q", l)
		}
	}
	must(t, call(t, cs, "timeline", map[string]any{"kinds": []string{"test"}}), "timeline tests", "test [error] Test/TestOrdersAPI")
	fails(t, call(t, cs, "timeline", map[string]any{"kinds": []string{"nope"}}), "timeline", "kind")

	must(t, call(t, cs, "describe", map[string]any{"kind": "pod", "namespace": "turbo-engine-e2e", "name": "builder-5b755b5754-8zzqt"}),
		"describe pod", "kubectl describe:", "CrashLoopBackOff")
	must(t, call(t, cs, "describe", map[string]any{"kind": "APIGraph", "namespace": "turbo-engine-e2e", "name": "orders"}),
		"describe APIGraph", "Conditions:", "Ready=False", "spec:")
	fails(t, call(t, cs, "describe", map[string]any{"kind": "Pod", "namespace": "turbo-engine-e2e", "name": "builder"}), "describe", "similar: turbo-engine-e2e/builder-5b755b5754-8zzqt")
	fails(t, call(t, cs, "trace", map[string]any{"service": "gateway"}), "trace", "no traces")
}

// TestResources reads bundle files as resources: scrubbed, confined to the bundle's
// own files.
func TestResources(t *testing.T) {
	cs := connect(t, open(t, demo))
	ctx := context.Background()
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: query.URIPrefix + "k8s/logs/turbo-engine-e2e/builder-5b755b5754-8zzqt/builder.previous.log"})
	if err != nil || !strings.Contains(res.Contents[0].Text, "panic: assignment to entry in nil map") {
		t.Fatalf("read a log: %v %+v", err, res)
	}
	for _, bad := range []string{"../../go.mod", "/etc/passwd", "k8s/../../../etc/passwd", "k8s", "nope.txt"} {
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: query.URIPrefix + bad}); err == nil {
			t.Errorf("resource %q was read", bad)
		}
	}
}

// TestZipBundle serves a bundle artifact's zip as it was downloaded (the bundle in a top
// directory), without unpacking it.
func TestZipBundle(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "ci-report-e2e.zip")
	if err := zipDir(demo, "ci-report", zipPath); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, open(t, zipPath))
	must(t, call(t, cs, "summary", nil), "summary", "CrashLoopBackOff")
	must(t, call(t, cs, "logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "previous": true, "grep": "panic"}), "logs", "nil map")
}

func TestHTTPLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:0": true, "[::1]:8080": true, "localhost:1": true, "0.0.0.0:8080": false, ":8080": false, "10.0.0.1:80": false, "example.com:80": false} {
		if err := mcpserver.Loopback(addr); (err == nil) != ok {
			t.Errorf("Loopback(%q) = %v", addr, err)
		}
	}
}

// zipDir zips dir's files under prefix/, as upload-artifact does.
func zipDir(dir, prefix, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(path.Join(prefix, filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("zip %s: %w", dir, err)
	}
	return zw.Close()
}

// Agents call tools side by side (a client may send several requests at once): the
// answers are the same as one at a time (go test -race checks the sharing).
func TestConcurrentCalls(t *testing.T) {
	cs := connect(t, open(t, demo))
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"summary", nil}, {"list_findings", map[string]any{"limit": 2048}}, {"failed_tests", nil},
		{"test_slice", map[string]any{"test": "TestOrdersAPI"}},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "builder-5b755b5754-8zzqt", "previous": true, "grep": "panic", "context": 2}},
		{"describe", map[string]any{"kind": "Pod", "namespace": "turbo-engine-e2e", "name": "builder-5b755b5754-8zzqt"}},
		{"describe", map[string]any{"kind": "APIGraph", "namespace": "turbo-engine-e2e", "name": "orders"}},
		{"timeline", map[string]any{"severity": "warning"}},
	}
	want := make([]string, len(calls))
	for i, c := range calls {
		want[i] = call(t, cs, c.tool, c.args).text
	}
	// A fresh run, so its lazily read files are first read side by side too.
	cs = connect(t, open(t, demo))
	errs := make(chan error, 4*len(calls))
	var wg sync.WaitGroup
	for round := 0; round < 4; round++ {
		for i, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
				if err != nil {
					errs <- err
					return
				}
				if got := res.Content[0].(*mcp.TextContent).Text; got != want[i] {
					errs <- fmt.Errorf("%s: a concurrent answer differs:\n%s\nwant\n%s", c.tool, got, want[i])
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
