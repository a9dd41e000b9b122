package cli

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/screenshots"
)

type collectFlags struct {
	output           string
	allNamespaces    bool
	selector         string
	since            time.Duration
	parallel         int
	timeout          time.Duration
	collectorTimeout time.Duration
	connectTimeout   time.Duration
	logTailLines     int64
	logMaxBytes      string
	logTotalBytes    string
	crds             []string
	operatorSelector string
	operatorFields   []string
	redact           []string
	results          []string

	consoleURL       string
	consoleService   string
	pages            []string
	pageWait         string
	pageNetworkIdle  bool
	viewport         string
	fullPage         bool
	pageTimeout      time.Duration
	screenshotBudget time.Duration
	chromePath       string

	jaegerURL     string
	jaegerService string
	jaegerGRPC    string
	jaegerGRPCSvc string
	traceServices []string
	traceLimit    int
}

func newCollectCmd(g *globals) *cobra.Command {
	f := &collectFlags{}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect logs, events, resources, custom resources and operator actions into a bundle",
		Long: `collect gathers everything needed to understand a failed e2e run into one directory
(default ci-report/): manifest.json, k8s/resources.json and .txt, k8s/pod-descriptions.txt,
k8s/logs/<namespace>/<pod>/<container>[.previous].log, k8s/events.txt and .json,
k8s/<plural>.yaml per custom resource type, k8s/operator-actions.json and k8s/timeline.txt.

It is best effort: whatever cannot be collected (an RBAC Forbidden, a timeout) is recorded
as a gap in manifest.json and the rest goes on. Secrets never reach the bundle: Secret
data, secret-looking env vars and annotations, and tokens, keys and credentials in logs
are redacted.

Exit codes: 0 when something useful was collected (gaps are listed in manifest.json),
3 when nothing could be (e.g. the API server is unreachable), 2 for bad flags.`,
		Example: `  ci-report collect -n turbo-engine-e2e
  ci-report collect -n app,operator-system --crd gateways.gateway.networking.k8s.io --since 30m
  ci-report collect -A --log-max-bytes 1Mi --timeout 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := f.options(g)
			if err != nil {
				return err
			}
			m, err := g.app().Collect(cmd.Context(), opts)
			if m != nil {
				failed := 0
				for _, c := range m.Collectors {
					if c.Status == "failed" || c.Status == "partial" {
						failed++
					}
				}
				if len(m.Gaps) > 0 {
					g.log.Warn("collection has gaps; see manifest.json", "gaps", len(m.Gaps), "collectors with errors", failed)
				}
				g.log.Info("bundle written", "dir", opts.OutputDir, "bytes", m.BytesWritten, "took", time.Duration(m.DurationMs)*time.Millisecond)
			}
			if errors.Is(err, collect.ErrNothingCollected) {
				return withExitCode(ExitNothingCollected, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, opts.OutputDir)
			return nil
		},
	}
	addCollectFlags(cmd, f)
	return cmd
}

func addCollectFlags(cmd *cobra.Command, f *collectFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "ci-report", "bundle directory to write")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "collect from every namespace")
	fl.StringVarP(&f.selector, "selector", "l", "", "label selector for namespaced objects (pods, deployments, custom resources, ...)")
	fl.DurationVar(&f.since, "since", 0, "only logs and events newer than this (e.g. 30m); 0 = everything")
	fl.IntVar(&f.parallel, "parallel", 8, "concurrent API requests")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "time limit for the whole collection")
	fl.DurationVar(&f.collectorTimeout, "collector-timeout", 0, "time limit for each collector (default: --timeout)")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", 5*time.Second, "give up on an unreachable API server after this long")
	fl.Int64Var(&f.logTailLines, "log-tail-lines", 0, "keep only the last N lines of each log (0 = all), enforced by the API server")
	fl.StringVar(&f.logMaxBytes, "log-max-bytes", "10Mi", "cap on each log, enforced by the API server (bytes or a quantity like 10Mi; 0 = none)")
	fl.StringVar(&f.logTotalBytes, "log-total-bytes", "512Mi", "cap on all logs together (0 = none)")
	fl.StringArrayVar(&f.crds, "crd", nil, "also collect this type, cluster-scoped or not (plural.group or Kind; repeatable)")
	fl.StringVar(&f.operatorSelector, "operator-selector", "", "label selector for the operator pods whose logs give operator actions (default: pods named or labelled like an operator/controller)")
	fl.StringArrayVar(&f.operatorFields, "operator-field", nil, "structured log key(s) for a role, ROLE=KEY[,KEY] (roles: time, level, msg, controller, reconcileID, error, kind, namespace, name, object; repeatable)")
	fl.StringArrayVar(&f.redact, "redact", nil, "extra regular expression to redact from logs and objects (repeatable)")
	fl.StringArrayVar(&f.results, "results", nil, "test results file, directory or glob to copy into the bundle's results/ (repeatable)")

	fl.StringVar(&f.consoleURL, "console-url", "", "web console to take screenshots of, reachable from here (e.g. http://127.0.0.1:8080)")
	fl.StringVar(&f.consoleService, "console-service", "", "in-cluster web console as NAMESPACE/SERVICE:PORT, reached through a port-forward ci-report opens and closes itself")
	fl.StringArrayVar(&f.pages, "page", nil, "console page to capture, PATH[=NAME] (repeatable; default /)")
	fl.StringVar(&f.pageWait, "page-wait-selector", "", "before each screenshot, wait until this CSS selector is visible")
	fl.BoolVar(&f.pageNetworkIdle, "page-network-idle", true, "before each screenshot, wait until no request has been in flight for 500ms")
	fl.StringVar(&f.viewport, "viewport", "1280x800", "browser viewport, WIDTHxHEIGHT")
	fl.BoolVar(&f.fullPage, "full-page", false, "capture the whole page, not only the viewport")
	fl.DurationVar(&f.pageTimeout, "page-timeout", 30*time.Second, "time limit for each page")
	fl.DurationVar(&f.screenshotBudget, "screenshot-budget", 2*time.Minute, "time limit for all screenshots together")
	fl.StringVar(&f.jaegerURL, "jaeger-url", "", "Jaeger query service to fetch the run's traces from, reachable from here (e.g. http://127.0.0.1:16686)")
	fl.StringVar(&f.jaegerService, "jaeger-service", "", "in-cluster Jaeger query service as NAMESPACE/SERVICE:PORT, reached through a port-forward ci-report opens and closes itself")
	fl.StringVar(&f.jaegerGRPC, "jaeger-grpc", "", "Jaeger query service's gRPC address HOST:PORT (api_v2 QueryService, e.g. 127.0.0.1:16685), reachable from here; tried before the HTTP APIs")
	fl.StringVar(&f.jaegerGRPCSvc, "jaeger-grpc-service", "", "in-cluster Jaeger query gRPC service as NAMESPACE/SERVICE:PORT (e.g. observability/jaeger-query:16685), through a port-forward")
	fl.StringArrayVar(&f.traceServices, "trace-service", nil, "service whose traces to fetch (repeatable; default: every service Jaeger knows but its own)")
	fl.IntVar(&f.traceLimit, "trace-limit", 20, "traces per service (traces with an error span are always kept)")
	fl.StringVar(&f.chromePath, "chrome-path", "", "Chromium or Chrome binary (default: chromium, chromium-browser, google-chrome on PATH)")
}

// console turns the screenshot flags into collect's Console (nil when none is asked for).
func (f *collectFlags) console() (*collect.Console, error) {
	if f.consoleURL == "" && f.consoleService == "" {
		if len(f.pages) > 0 {
			return nil, usageErrorf("--page needs --console-url or --console-service")
		}
		return nil, nil
	}
	if f.consoleURL != "" && f.consoleService != "" {
		return nil, usageErrorf("give --console-url or --console-service, not both")
	}
	c := &collect.Console{URL: f.consoleURL}
	if err := httpURLFlag("console-url", f.consoleURL, "an http(s) URL such as http://127.0.0.1:8080"); err != nil {
		return nil, err
	}
	var err error
	if c.Service, err = serviceFlag("console-service", f.consoleService); err != nil {
		return nil, err
	}
	w, h, ok := strings.Cut(f.viewport, "x")
	width, err1 := strconv.Atoi(w)
	height, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || width < 100 || height < 100 || width > 8000 || height > 8000 {
		return nil, usageErrorf("--viewport %q: want WIDTHxHEIGHT, e.g. 1280x800", f.viewport)
	}
	c.Capture = screenshots.Options{WaitSelector: f.pageWait, NetworkIdle: f.pageNetworkIdle, Width: width, Height: height,
		FullPage: f.fullPage, PageTimeout: f.pageTimeout, Budget: f.screenshotBudget, ChromePath: f.chromePath}
	for _, p := range f.pages {
		page, err := screenshots.ParsePage(p)
		if err != nil {
			return nil, withExitCode(ExitUsage, err)
		}
		c.Capture.Pages = append(c.Capture.Pages, page)
	}
	return c, nil
}

func parseBytes(flag, v string) (int64, error) {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return 0, usageErrorf("--%s %q: want a byte count such as 1048576 or 10Mi", flag, v)
	}
	return q.Value(), nil
}

// options turns flags into collect's typed options, validating at the boundary.
func (f *collectFlags) options(g *globals) (collect.Options, error) {
	o := collect.Options{
		OutputDir: f.output, AllNamespaces: f.allNamespaces, Selector: f.selector, Since: f.since,
		Parallel: f.parallel, Timeout: f.timeout, CollectorTimeout: f.collectorTimeout, ConnectTimeout: f.connectTimeout,
		LogTailLines: f.logTailLines, CRDs: f.crds, OperatorSelector: f.operatorSelector, Log: g.log,
	}
	var err error
	if o.LogMaxBytes, err = parseBytes("log-max-bytes", f.logMaxBytes); err != nil {
		return o, err
	}
	if o.LogTotalBytes, err = parseBytes("log-total-bytes", f.logTotalBytes); err != nil {
		return o, err
	}
	if f.parallel < 1 {
		return o, usageErrorf("--parallel must be at least 1")
	}
	if f.selector != "" {
		if _, err := labels.Parse(f.selector); err != nil {
			return o, usageErrorf("--selector %q: %v", f.selector, err)
		}
	}
	if f.operatorSelector != "" {
		if _, err := labels.Parse(f.operatorSelector); err != nil {
			return o, usageErrorf("--operator-selector %q: %v", f.operatorSelector, err)
		}
	}
	files, missing := results.Expand(f.results)
	for _, m := range missing {
		g.log.Warn("results not found", "path", m.Path)
	}
	o.Results = files
	o.OperatorFields = opactions.DefaultFields()
	for _, spec := range f.operatorFields {
		if err := o.OperatorFields.Set(spec); err != nil {
			return o, withExitCode(ExitUsage, err)
		}
	}
	if o.Redactor, err = redact.New(f.redact); err != nil {
		return o, withExitCode(ExitUsage, err)
	}
	if o.Console, err = f.console(); err != nil {
		return o, err
	}
	if o.Jaeger, err = f.jaeger(); err != nil {
		return o, err
	}

	loader := g.kube.ToRawKubeConfigLoader()
	if raw, err := loader.RawConfig(); err == nil {
		o.Context = raw.CurrentContext
		if g.kube.Context != nil && *g.kube.Context != "" {
			o.Context = *g.kube.Context
		}
	}
	o.Config, o.ConfigError = g.kube.ToRESTConfig()
	if o.ConfigError == nil && o.Context == "" {
		if _, err := rest.InClusterConfig(); err == nil {
			o.InCluster = true
			o.Context = "in-cluster"
		}
	}
	switch {
	case f.allNamespaces:
	case len(g.namespaces) > 0:
		o.Namespaces = g.namespaces
	default:
		ns, _, err := loader.Namespace()
		if err != nil || ns == "" {
			ns = "default"
		}
		o.Namespaces = []string{ns}
	}
	return o, nil
}

// jaeger turns the trace flags into collect's Jaeger (nil when none is asked for).
func (f *collectFlags) jaeger() (*collect.Jaeger, error) {
	if f.jaegerURL == "" && f.jaegerService == "" && f.jaegerGRPC == "" && f.jaegerGRPCSvc == "" {
		if len(f.traceServices) > 0 {
			return nil, usageErrorf("--trace-service needs --jaeger-url, --jaeger-service, --jaeger-grpc or --jaeger-grpc-service")
		}
		return nil, nil
	}
	if f.jaegerURL != "" && f.jaegerService != "" {
		return nil, usageErrorf("give --jaeger-url or --jaeger-service, not both")
	}
	if f.jaegerGRPC != "" && f.jaegerGRPCSvc != "" {
		return nil, usageErrorf("give --jaeger-grpc or --jaeger-grpc-service, not both")
	}
	if f.traceLimit < 1 {
		return nil, usageErrorf("--trace-limit must be at least 1")
	}
	j := &collect.Jaeger{URL: f.jaegerURL, GRPCAddr: f.jaegerGRPC, Services: f.traceServices, Limit: f.traceLimit}
	if f.jaegerGRPC != "" {
		if _, port, err := net.SplitHostPort(f.jaegerGRPC); err != nil || port == "" {
			return nil, usageErrorf("--jaeger-grpc %q: want HOST:PORT, e.g. 127.0.0.1:16685", f.jaegerGRPC)
		}
	}
	var err error
	if j.GRPCService, err = serviceFlag("jaeger-grpc-service", f.jaegerGRPCSvc); err != nil {
		return nil, err
	}
	if err := httpURLFlag("jaeger-url", f.jaegerURL, "the query service's base URL, e.g. http://127.0.0.1:16686"); err != nil {
		return nil, err
	}
	if j.Service, err = serviceFlag("jaeger-service", f.jaegerService); err != nil {
		return nil, err
	}
	return j, nil
}

// httpURLFlag checks a flag that names an http(s) URL (empty: not given).
func httpURLFlag(name, value, want string) error {
	if value == "" {
		return nil
	}
	if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--%s %q: want %s", name, value, want)
	}
	return nil
}

// serviceFlag parses a flag that names a Service's port, NAMESPACE/NAME:PORT (empty:
// not given).
func serviceFlag(name, value string) (*collect.ServiceRef, error) {
	if value == "" {
		return nil, nil
	}
	ref, err := collect.ParseServiceRef("--"+name, value)
	if err != nil {
		return nil, withExitCode(ExitUsage, err)
	}
	return &ref, nil
}
