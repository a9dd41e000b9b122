package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Path is where the streamable HTTP endpoint answers.
const Path = "/mcp"

// Loopback checks that addr (host:port) listens on a loopback address only: the server
// has no authentication, so it must not be reachable from another machine.
func Loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q: want 127.0.0.1:PORT (%v)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--http %q: only a loopback address (127.0.0.1, [::1], localhost) is served; the server has no authentication", addr)
	}
	return nil
}

// Handler is the streamable HTTP handler (stateless: every request stands alone).
func Handler(s *mcp.Server, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(Path, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: log}))
	return mux
}

// ServeHTTP serves s on addr (loopback only) until ctx ends; ready, when set, is called
// with the endpoint's URL once it listens.
func ServeHTTP(ctx context.Context, s *mcp.Server, addr string, log *slog.Logger, ready func(url string)) error {
	if err := Loopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: Handler(s, log), ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + Path
	log.Info("serving MCP over streamable HTTP", "url", url)
	if ready != nil {
		ready(url)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
