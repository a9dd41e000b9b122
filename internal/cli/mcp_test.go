package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/org/k8s-e2e-report/internal/query"
)

// serveMCP runs `ci-report mcp args…` in-process with its stdio on pipes and connects a
// client to it.
func serveMCP(t *testing.T, args ...string) (*mcp.ClientSession, *bytes.Buffer) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := Main(append([]string{"mcp"}, args...), inR, outW, &stderr)
		outW.Close()
		done <- code
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(context.Background(), &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		cs.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("mcp did not end when its client closed stdin")
		}
	})
	return cs, &stderr
}

// TestMCPHostileBundle asks every tool, and reads every file, of a bundle built to break
// out (symlinks and FIFOs for logs and traces, canary secrets everywhere, injection
// strings in names) with arguments built to break out too: every call ends, every answer
// is bounded and carries no canary, every escape is a clear tool error.
func TestMCPHostileBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (a large hostile bundle): make test runs it")
	}
	dir, c := hostileBundle(t)
	cs, _ := serveMCP(t, "--bundle", dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var all strings.Builder
	ask := func(tool string, args map[string]any) (string, bool) {
		t.Helper()
		start := time.Now()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		if err != nil {
			t.Fatalf("%s %v: %v", tool, args, err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s %v took %s", tool, args, d)
		}
		b, _ := json.Marshal(res)
		if len(b) > 3*query.MaxLimit {
			t.Errorf("%s %v: %d bytes on the wire", tool, args, len(b))
		}
		all.Write(b)
		text := ""
		for _, ct := range res.Content {
			if tc, ok := ct.(*mcp.TextContent); ok {
				text += tc.Text
			}
		}
		limit := query.DefaultLimit
		if l, ok := args["limit"].(int); ok {
			limit = l
		}
		if len(text) > limit {
			t.Errorf("%s %v: %d bytes of text, over the default budget", tool, args, len(text))
		}
		return text, res.IsError
	}
	ask("summary", nil)
	ask("list_findings", nil)
	list, _ := ask("list_findings", map[string]any{"limit": 65536})
	_ = list
	var ids []string
	res, _ := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_findings", Arguments: map[string]any{"limit": 65536}})
	if m, ok := res.StructuredContent.(map[string]any); ok {
		for _, f := range m["findings"].([]any) {
			ids = append(ids, f.(map[string]any)["id"].(string))
		}
	}
	for _, id := range ids {
		ask("get_finding", map[string]any{"id": id})
	}
	ask("failed_tests", nil)
	ask("test_slice", map[string]any{"test": "TestMany00001"})
	ask("timeline", nil)
	ask("timeline", map[string]any{"severity": "warning", "limit": 65536})

	logs := filepath.Join(dir, "k8s/logs/turbo-engine-e2e")
	pods, _ := os.ReadDir(logs)
	for _, p := range pods {
		entries, _ := os.ReadDir(filepath.Join(logs, p.Name()))
		for _, e := range entries {
			ctr, prev := strings.TrimSuffix(e.Name(), ".log"), false
			if strings.HasSuffix(ctr, ".previous") {
				ctr, prev = strings.TrimSuffix(ctr, ".previous"), true
			}
			base := map[string]any{"namespace": "turbo-engine-e2e", "pod": p.Name(), "container": ctr, "previous": prev}
			for _, extra := range []map[string]any{{}, {"tail": 50}, {"grep": "(?i)token|password|secret|key", "context": 3}, {"around": "2026-11-21T23:38:15Z", "seconds": 3600}} {
				args := map[string]any{}
				for k, v := range base {
					args[k] = v
				}
				for k, v := range extra {
					args[k] = v
				}
				ask("logs", args)
			}
		}
		ask("describe", map[string]any{"kind": "Pod", "namespace": "turbo-engine-e2e", "name": p.Name()})
	}
	for _, kind := range []string{"Deployment", "Secret", "ConfigMap", "APIGraph", "Node", "Job"} {
		ask("timeline", map[string]any{"object": kind})
	}
	// Each object of resources.json, described.
	var objs struct {
		Items []struct {
			Kind     string `json:"kind"`
			Metadata struct{ Namespace, Name string }
		} `json:"items"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "k8s/resources.json"))
	json.Unmarshal(b, &objs)
	for _, o := range objs.Items {
		ask("describe", map[string]any{"kind": o.Kind, "namespace": o.Metadata.Namespace, "name": o.Metadata.Name})
	}

	// Escapes: each a tool error that names what to fix.
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"logs", map[string]any{"namespace": "..", "pod": "..", "container": "../../../../etc/passwd"}, ""},
		{"logs", map[string]any{"namespace": "/etc", "pod": "passwd"}, "no logs"},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "../../../..", "container": "etc/passwd"}, ""},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": pods[0].Name(), "grep": strings.Repeat("(a*)*", 200)}, "grep"},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": pods[0].Name(), "grep": "x{1001}"}, "grep"},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": "e2e-tests-sdlmw", "cursor": "b-5.1"}, "cursor"},
		{"logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": pods[0].Name(), "around": "yesterday"}, "RFC 3339"},
		{"trace", map[string]any{"service": "gateway"}, "no traces"}, // traces.json is a FIFO
		{"trace", map[string]any{"id": "../../etc"}, "not a trace id"},
		{"describe", map[string]any{"kind": "Pod", "name": "../../x"}, "no"},
		{"get_finding", map[string]any{"id": "<script>alert(1)</script>"}, "no finding"},
	} {
		text, isErr := ask(tc.tool, tc.args)
		if !isErr || !strings.Contains(text, tc.want) {
			t.Errorf("%s %v: error %v %q; want an error saying %q", tc.tool, tc.args, isErr, text, tc.want)
		}
	}
	// The symlinked and FIFO logs are refused, not followed or waited on.
	for _, p := range pods[:2] {
		entries, _ := os.ReadDir(filepath.Join(logs, p.Name()))
		name := strings.TrimSuffix(entries[0].Name(), ".log")
		if text, isErr := ask("logs", map[string]any{"namespace": "turbo-engine-e2e", "pod": p.Name(), "container": strings.TrimSuffix(name, ".previous"), "previous": strings.HasSuffix(name, ".previous")}); !isErr || !strings.Contains(text, "not a regular file") {
			t.Errorf("log %s/%s: %v %q; want refused as not a regular file", p.Name(), name, isErr, text)
		}
	}
	// Every file of the bundle, read as a resource.
	files := 0
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		r, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: query.URIPrefix + filepath.ToSlash(rel)})
		if err == nil {
			files++
			b, _ := json.Marshal(r)
			all.Write(b)
		}
		return nil
	})
	for _, bad := range []string{"../outside.txt", "/etc/passwd", "screenshots/environ.png", "screenshots/passwd.png", "results/linked-dir/outside.txt", "screenshots/fifo.png"} {
		if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: query.URIPrefix + bad}); err == nil {
			t.Errorf("resource %s was read", bad)
		}
	}
	if files < 10 {
		t.Errorf("only %d bundle files could be read as resources", files)
	}
	out := all.String()
	for what, secret := range c {
		if strings.Contains(out, secret) {
			i := strings.Index(out, secret)
			t.Errorf("an answer leaks the %s canary: …%s…", what, out[max(0, i-200):min(len(out), i+50)])
		}
	}
	for _, bad := range []string{"\x1b[", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("an answer carries %q", bad)
		}
	}
	t.Logf("%d bytes of answers, %d files read", len(out), files)
}

var _ = fmt.Sprint
