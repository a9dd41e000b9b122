package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// buildBinary builds ci-report once for the tests that run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary: make test runs it")
	}
	bin := filepath.Join(t.TempDir(), "ci-report")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/org/k8s-e2e-report/cmd/ci-report").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The real binary over stdio, as an MCP client configuration starts it: it answers, and
// nothing but protocol messages reaches its stdout (its log goes to stderr).
func TestBinaryOverStdio(t *testing.T) {
	bin := buildBinary(t)
	abs, _ := filepath.Abs(demo)
	cmd := exec.Command(bin, "mcp", "--bundle", abs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	init := cs.InitializeResult()
	if init.ServerInfo.Name != "ci-report" || !strings.Contains(init.Instructions, "summary") {
		t.Errorf("initialize: %+v", init)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "summary"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "CrashLoopBackOff") {
		t.Fatalf("summary: %v %+v", err, res)
	}
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if !strings.Contains(stderr.String(), "run opened for queries") {
		t.Errorf("stderr lacks the log line:\n%s", stderr.String())
	}
}

// --http serves streamable HTTP on loopback, stateless: a plain POST of tools/call
// answers without a session, and a request naming a foreign host is refused.
func TestBinaryOverHTTP(t *testing.T) {
	bin := buildBinary(t)
	abs, _ := filepath.Abs(demo)
	cmd := exec.Command(bin, "mcp", "--bundle", abs, "--http", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	url := ""
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)
	buf := make([]byte, 4096)
	var log strings.Builder
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); {
		n, err := stderr.Read(buf)
		log.Write(buf[:n])
		if m := urlRE.FindStringSubmatch(log.String()); m != nil {
			url = m[1]
		}
		if err != nil {
			break
		}
	}
	if url == "" {
		t.Fatalf("no URL logged:\n%s", log.String())
	}
	go io.Copy(io.Discard, stderr)

	post := func(host, body string) (int, string) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"failed_tests","arguments":{}}}`)
	var msg struct {
		Result struct {
			Content []struct{ Text string }
		}
	}
	json.Unmarshal([]byte(body), &msg)
	if code != 200 || len(msg.Result.Content) == 0 || !strings.Contains(msg.Result.Content[0].Text, "TestOrdersAPI") {
		t.Errorf("stateless tools/call: %d %s", code, body)
	}
	if code, body := post("attacker.example:80", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`); code != http.StatusForbidden {
		t.Errorf("a request for a foreign Host (DNS rebinding) got %d %s; want 403", code, body)
	}
}
