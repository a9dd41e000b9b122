// Package jaegertest runs a real Jaeger all-in-one (v1.75.0, built from the Go module
// proxy by build.sh and cached) with memory storage and every listener on 127.0.0.1,
// for tests that send it OpenTelemetry traces and query them back.
package jaegertest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Jaeger is a running all-in-one.
type Jaeger struct {
	QueryURL  string // the query service's base URL (UI and /api/v3)
	OTLPHTTP  string // host:port of the OTLP/HTTP receiver
	QueryPort int
	QueryGRPC string // host:port of the query service's gRPC API (api_v2 QueryService)
	GRPCPort  int    // QueryGRPC's port
	cmd       *exec.Cmd
	done      chan struct{}
	logs      *strings.Builder
}

// Binary returns the all-in-one binary: $CI_REPORT_JAEGER (make test sets it), else
// built (or found in the cache) by build.sh.
func Binary() (string, error) {
	if p := os.Getenv("CI_REPORT_JAEGER"); p != "" {
		return p, nil
	}
	_, file, _, _ := runtime.Caller(0)
	out, err := exec.Command("bash", filepath.Join(filepath.Dir(file), "build.sh")).Output()
	if err != nil {
		return "", fmt.Errorf("build Jaeger all-in-one: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs Jaeger and waits until its query API answers.
func Start(ctx context.Context) (*Jaeger, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	ports := make([]int, 7)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	hp := func(p int) string { return fmt.Sprintf("127.0.0.1:%d", p) }
	j := &Jaeger{QueryURL: "http://" + hp(ports[0]), QueryPort: ports[0], QueryGRPC: hp(ports[3]), GRPCPort: ports[3], OTLPHTTP: hp(ports[1]), done: make(chan struct{}), logs: &strings.Builder{}}
	j.cmd = exec.Command(bin,
		"--query.http-server.host-port="+hp(ports[0]),
		"--collector.otlp.http.host-port="+hp(ports[1]),
		"--collector.otlp.grpc.host-port="+hp(ports[2]),
		"--query.grpc-server.host-port="+hp(ports[3]),
		"--collector.grpc-server.host-port="+hp(ports[4]),
		"--collector.http-server.host-port="+hp(ports[5]),
		"--admin.http.host-port="+hp(ports[6]),
		"--collector.zipkin.host-port=:0",
	)
	j.cmd.Env = append(os.Environ(), "SPAN_STORAGE_TYPE=memory")
	j.cmd.Stdout, j.cmd.Stderr = j.logs, j.logs
	j.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := j.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = j.cmd.Wait(); close(j.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(j.QueryURL + "/api/v3/services")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return j, nil
			}
		}
		select {
		case <-j.done:
			return nil, fmt.Errorf("jaeger exited: %s", tail(j.logs.String()))
		case <-ctx.Done():
			j.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			j.Stop()
			return nil, fmt.Errorf("jaeger not ready after 60s: %s", tail(j.logs.String()))
		}
	}
}

// Stop ends Jaeger (and anything it started).
func (j *Jaeger) Stop() {
	if j.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-j.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-j.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
		<-j.done
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
