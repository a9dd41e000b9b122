package collect_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/org/k8s-e2e-report/internal/cli"
	"github.com/org/k8s-e2e-report/internal/demo"
)

// ci-report mcp on the live demo cluster: the command reads the cluster before it
// serves, and its tools answer from that reading, the crash loop first, with its
// previous log and its description.
func TestIntegrationMCPLive(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := cli.Main([]string{"--kubeconfig", env.Kubeconfig, "mcp", "-n", demo.Namespace}, inR, outW, &stderr)
		outW.Close()
		done <- code
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	text := func(tool string, args map[string]any) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		var b strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		if res.IsError {
			t.Fatalf("%s: tool error %s", tool, b.String())
		}
		return b.String()
	}
	sum := text("summary", nil)
	if !strings.Contains(sum, "Source: live cluster") || !strings.Contains(sum, "1. [critical] CrashLoopBackOff-") || !strings.Contains(sum, scenario.CrashLoopPod) {
		t.Errorf("live summary:\n%s", sum)
	}
	if lg := text("logs", map[string]any{"namespace": demo.Namespace, "pod": scenario.CrashLoopPod, "container": "builder", "previous": true, "grep": "panic"}); !strings.Contains(lg, "panic") {
		t.Errorf("previous log of the crash loop:\n%s", lg)
	}
	if d := text("describe", map[string]any{"kind": "Pod", "namespace": demo.Namespace, "name": scenario.CrashLoopPod}); !strings.Contains(d, "kubectl describe:") {
		t.Errorf("describe:\n%s", d)
	}
	cs.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("mcp exit %d\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mcp did not end when its client closed stdin")
	}
}
