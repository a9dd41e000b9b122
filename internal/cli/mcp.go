package cli

import (
	"context"
	"io"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/mcpserver"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/query"
	"github.com/org/k8s-e2e-report/internal/redact"
)

type mcpFlags struct {
	bundle  string
	http    string
	refresh time.Duration
	tail    int
	live    collect.LiveFlags
	history app.HistoryFlags
}

func newMCPCmd(g *globals) *cobra.Command {
	f := &mcpFlags{}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve a run to coding agents over the Model Context Protocol, read-only",
		Long: `mcp serves one run to an agent over the Model Context Protocol (stdio by default; --http
serves streamable HTTP on a loopback address). Its tools answer in small pages, text
first, with a cursor to the rest: summary, list_findings, get_finding, failed_tests,
test_slice, logs, timeline, describe and trace. The bundle's files are resources
(ci-report://bundle/PATH); the diagnose-run prompt walks from the summary to the cause.

With --bundle it serves a collected bundle (a directory, or a bundle artifact's .zip).
Without it, the live cluster: read as investigate reads it, again on the first call after
--refresh. Every answer is read-only and passes the redaction REPORT.md passes: no tool
writes, execs or port-forwards, and none returns a kubeconfig, a token or Secret data.`,
		Example: `  ci-report mcp --bundle ci-report
  ci-report mcp --bundle ci-report-e2e.zip --http 127.0.0.1:8765
  ci-report mcp -n turbo-engine-e2e --refresh 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMCP(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "serve this bundle (a directory or a bundle artifact's .zip) instead of the live cluster")
	fl.StringVar(&f.http, "http", "", "serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8765) instead of stdio")
	fl.DurationVar(&f.refresh, "refresh", 30*time.Second, "live: read the cluster again when the last reading is this old")
	fl.IntVar(&f.tail, "tail", 2000, "log lines kept per container (live: read from the cluster)")
	f.live.AddFlags(cmd.Flags(), "live: time limit for one reading of the cluster")
	f.history.AddFlags(cmd.Flags())
	return cmd
}

func runMCP(cmd *cobra.Command, g *globals, f *mcpFlags) error {
	if f.tail < 1 {
		return usageErrorf("--tail must be at least 1")
	}
	if f.refresh < time.Second {
		return usageErrorf("--refresh must be at least 1s")
	}
	h, err := f.history.Options()
	if err != nil {
		return err
	}
	if f.http != "" {
		if err := mcpserver.Loopback(f.http); err != nil {
			return usageErrorf("%v", err)
		}
	}
	rd, err := redact.New(f.live.Redact)
	if err != nil {
		return usageErrorf("%v", err)
	}
	o := app.QueryOptions{Source: app.Source{Dir: f.bundle}, Load: model.Options{TailLines: f.tail, Redactor: rd}, History: h}
	svc := g.app()
	ctx := cmd.Context()
	var src mcpserver.Source
	if f.bundle != "" {
		run, closeRun, err := svc.OpenRun(ctx, o)
		if err != nil {
			return err
		}
		defer closeRun()
		src = mcpserver.Fixed{R: run}
	} else {
		co, err := f.live.Options(g.kube, g.namespaces, g.log, 0, int64(f.tail), "4Mi", "256Mi")
		if err != nil {
			return err
		}
		o.Collect = &co
		live := &mcpserver.Live{MaxAge: f.refresh, Open: func(ctx context.Context) (*query.Run, func() error, error) { return svc.OpenRun(ctx, o) }}
		defer live.Close()
		// Read once before serving: a cluster that cannot be read is said now, not on the
		// agent's first call.
		if _, err := live.Run(ctx); err != nil {
			return err
		}
		src = live
	}
	srv := mcpserver.New(src, g.log)
	if f.http != "" {
		return mcpserver.ServeHTTP(ctx, srv, f.http, g.log, nil)
	}
	err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(cmd.InOrStdin()), Writer: nopWriteCloser{g.stdout}})
	if err != nil && ctx.Err() != nil {
		return nil // interrupted
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
