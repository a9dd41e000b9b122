package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/screenshots"
)

// ErrUsage marks a flag the caller should fix (the CLI's exit 2).
var ErrUsage = errors.New("usage")

// Usagef is an ErrUsage error naming what to fix.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// Flags are collect's command-line flags, beside the options they make (as kubectl's
// ConfigFlags make a REST config): the commands that read a cluster (collect, run, and
// investigate and mcp live) add them and turn them into Options, validated here.
type Flags struct {
	Output           string
	AllNamespaces    bool
	Selector         string
	Since            time.Duration
	Parallel         int
	Timeout          time.Duration
	CollectorTimeout time.Duration
	ConnectTimeout   time.Duration
	LogTailLines     int64
	LogMaxBytes      string
	LogTotalBytes    string
	CRDs             []string
	OperatorSelector string
	OperatorFields   []string
	Redact           []string
	Results          []string

	ConsoleURL       string
	ConsoleService   string
	Pages            []string
	PageWait         string
	PageNetworkIdle  bool
	Viewport         string
	FullPage         bool
	PageTimeout      time.Duration
	ScreenshotBudget time.Duration
	ChromePath       string

	JaegerURL     string
	JaegerService string
	JaegerGRPC    string
	JaegerGRPCSvc string
	TraceServices []string
	TraceLimit    int
}

// AddFlags adds the flags to fl.
func (f *Flags) AddFlags(fl *pflag.FlagSet) {
	fl.StringVarP(&f.Output, "output", "o", "ci-report", "bundle directory to write")
	fl.BoolVarP(&f.AllNamespaces, "all-namespaces", "A", false, "collect from every namespace")
	fl.StringVarP(&f.Selector, "selector", "l", "", "label selector for namespaced objects (pods, deployments, custom resources, ...)")
	fl.DurationVar(&f.Since, "since", 0, "only logs and events newer than this (e.g. 30m); 0 = everything")
	fl.IntVar(&f.Parallel, "parallel", 8, "concurrent API requests")
	fl.DurationVar(&f.Timeout, "timeout", 2*time.Minute, "time limit for the whole collection")
	fl.DurationVar(&f.CollectorTimeout, "collector-timeout", 0, "time limit for each collector (default: --timeout)")
	fl.DurationVar(&f.ConnectTimeout, "connect-timeout", 5*time.Second, "give up on an unreachable API server after this long")
	fl.Int64Var(&f.LogTailLines, "log-tail-lines", 0, "keep only the last N lines of each log (0 = all), enforced by the API server")
	fl.StringVar(&f.LogMaxBytes, "log-max-bytes", "10Mi", "cap on each log, enforced by the API server (bytes or a quantity like 10Mi; 0 = none)")
	fl.StringVar(&f.LogTotalBytes, "log-total-bytes", "512Mi", "cap on all logs together (0 = none)")
	fl.StringArrayVar(&f.CRDs, "crd", nil, "also collect this type, cluster-scoped or not (plural.group or Kind; repeatable)")
	fl.StringVar(&f.OperatorSelector, "operator-selector", "", "label selector for the operator pods whose logs give operator actions (default: pods named or labelled like an operator/controller)")
	fl.StringArrayVar(&f.OperatorFields, "operator-field", nil, "structured log key(s) for a role, ROLE=KEY[,KEY] (roles: time, level, msg, controller, reconcileID, error, kind, namespace, name, object; repeatable)")
	fl.StringArrayVar(&f.Redact, "redact", nil, "extra regular expression to redact from logs and objects (repeatable)")
	fl.StringArrayVar(&f.Results, "results", nil, "test results file, directory or glob to copy into the bundle's results/ (repeatable)")

	fl.StringVar(&f.ConsoleURL, "console-url", "", "web console to take screenshots of, reachable from here (e.g. http://127.0.0.1:8080)")
	fl.StringVar(&f.ConsoleService, "console-service", "", "in-cluster web console as NAMESPACE/SERVICE:PORT, reached through a port-forward ci-report opens and closes itself")
	fl.StringArrayVar(&f.Pages, "page", nil, "console page to capture, PATH[=NAME] (repeatable; default /)")
	fl.StringVar(&f.PageWait, "page-wait-selector", "", "before each screenshot, wait until this CSS selector is visible")
	fl.BoolVar(&f.PageNetworkIdle, "page-network-idle", true, "before each screenshot, wait until no request has been in flight for 500ms")
	fl.StringVar(&f.Viewport, "viewport", "1280x800", "browser viewport, WIDTHxHEIGHT")
	fl.BoolVar(&f.FullPage, "full-page", false, "capture the whole page, not only the viewport")
	fl.DurationVar(&f.PageTimeout, "page-timeout", 30*time.Second, "time limit for each page")
	fl.DurationVar(&f.ScreenshotBudget, "screenshot-budget", 2*time.Minute, "time limit for all screenshots together")
	fl.StringVar(&f.JaegerURL, "jaeger-url", "", "Jaeger query service to fetch the run's traces from, reachable from here (e.g. http://127.0.0.1:16686)")
	fl.StringVar(&f.JaegerService, "jaeger-service", "", "in-cluster Jaeger query service as NAMESPACE/SERVICE:PORT, reached through a port-forward ci-report opens and closes itself")
	fl.StringVar(&f.JaegerGRPC, "jaeger-grpc", "", "Jaeger query service's gRPC address HOST:PORT (api_v2 QueryService, e.g. 127.0.0.1:16685), reachable from here; tried before the HTTP APIs")
	fl.StringVar(&f.JaegerGRPCSvc, "jaeger-grpc-service", "", "in-cluster Jaeger query gRPC service as NAMESPACE/SERVICE:PORT (e.g. observability/jaeger-query:16685), through a port-forward")
	fl.StringArrayVar(&f.TraceServices, "trace-service", nil, "service whose traces to fetch (repeatable; default: every service Jaeger knows but its own)")
	fl.IntVar(&f.TraceLimit, "trace-limit", 20, "traces per service (traces with an error span are always kept)")
	fl.StringVar(&f.ChromePath, "chrome-path", "", "Chromium or Chrome binary (default: chromium, chromium-browser, google-chrome on PATH)")
}

// console turns the screenshot flags into collect's Console (nil when none is asked for).
func (f *Flags) console() (*Console, error) {
	if f.ConsoleURL == "" && f.ConsoleService == "" {
		if len(f.Pages) > 0 {
			return nil, Usagef("--page needs --console-url or --console-service")
		}
		return nil, nil
	}
	if f.ConsoleURL != "" && f.ConsoleService != "" {
		return nil, Usagef("give --console-url or --console-service, not both")
	}
	c := &Console{URL: f.ConsoleURL}
	if err := HTTPURLFlag("console-url", f.ConsoleURL, "an http(s) URL such as http://127.0.0.1:8080"); err != nil {
		return nil, err
	}
	var err error
	if c.Service, err = serviceFlag("console-service", f.ConsoleService); err != nil {
		return nil, err
	}
	w, h, ok := strings.Cut(f.Viewport, "x")
	width, err1 := strconv.Atoi(w)
	height, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || width < 100 || height < 100 || width > 8000 || height > 8000 {
		return nil, Usagef("--viewport %q: want WIDTHxHEIGHT, e.g. 1280x800", f.Viewport)
	}
	c.Capture = screenshots.Options{WaitSelector: f.PageWait, NetworkIdle: f.PageNetworkIdle, Width: width, Height: height,
		FullPage: f.FullPage, PageTimeout: f.PageTimeout, Budget: f.ScreenshotBudget, ChromePath: f.ChromePath}
	for _, p := range f.Pages {
		page, err := screenshots.ParsePage(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		c.Capture.Pages = append(c.Capture.Pages, page)
	}
	return c, nil
}

// ParseBytes reads a byte count flag: a number or a quantity such as 10Mi.
func ParseBytes(flag, v string) (int64, error) {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return 0, Usagef("--%s %q: want a byte count such as 1048576 or 10Mi", flag, v)
	}
	return q.Value(), nil
}

// Options turns the flags into collect's typed options, validating them: kube gives the
// cluster (kubeconfig, context, in-cluster), namespaces the -n values.
func (f *Flags) Options(kubeFlags *genericclioptions.ConfigFlags, namespaces []string, log *slog.Logger) (Options, error) {
	o := Options{
		OutputDir: f.Output, AllNamespaces: f.AllNamespaces, Selector: f.Selector, Since: f.Since,
		Parallel: f.Parallel, Timeout: f.Timeout, CollectorTimeout: f.CollectorTimeout, ConnectTimeout: f.ConnectTimeout,
		LogTailLines: f.LogTailLines, CRDs: f.CRDs, OperatorSelector: f.OperatorSelector, Log: log,
	}
	var err error
	if o.LogMaxBytes, err = ParseBytes("log-max-bytes", f.LogMaxBytes); err != nil {
		return o, err
	}
	if o.LogTotalBytes, err = ParseBytes("log-total-bytes", f.LogTotalBytes); err != nil {
		return o, err
	}
	if f.Parallel < 1 {
		return o, Usagef("--parallel must be at least 1")
	}
	if f.Selector != "" {
		if _, err := labels.Parse(f.Selector); err != nil {
			return o, Usagef("--selector %q: %v", f.Selector, err)
		}
	}
	if f.OperatorSelector != "" {
		if _, err := labels.Parse(f.OperatorSelector); err != nil {
			return o, Usagef("--operator-selector %q: %v", f.OperatorSelector, err)
		}
	}
	files, missing := results.Expand(f.Results)
	for _, m := range missing {
		log.Warn("results not found", "path", m.Path)
	}
	o.Results = files
	o.OperatorFields = opactions.DefaultFields()
	for _, spec := range f.OperatorFields {
		if err := o.OperatorFields.Set(spec); err != nil {
			return o, fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	if o.Redactor, err = redact.New(f.Redact); err != nil {
		return o, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if o.Console, err = f.console(); err != nil {
		return o, err
	}
	if o.Jaeger, err = f.jaeger(); err != nil {
		return o, err
	}

	loader := kubeFlags.ToRawKubeConfigLoader()
	if raw, err := loader.RawConfig(); err == nil {
		o.Context = raw.CurrentContext
		if kubeFlags.Context != nil && *kubeFlags.Context != "" {
			o.Context = *kubeFlags.Context
		}
	}
	o.Config, o.ConfigError = kubeFlags.ToRESTConfig()
	if o.ConfigError == nil && o.Context == "" {
		if _, err := rest.InClusterConfig(); err == nil {
			o.InCluster = true
			o.Context = "in-cluster"
		}
	}
	o.Namespaces = kube.Namespaces(kubeFlags, namespaces, f.AllNamespaces)
	return o, nil
}

// jaeger turns the trace flags into collect's Jaeger (nil when none is asked for).
func (f *Flags) jaeger() (*Jaeger, error) {
	if f.JaegerURL == "" && f.JaegerService == "" && f.JaegerGRPC == "" && f.JaegerGRPCSvc == "" {
		if len(f.TraceServices) > 0 {
			return nil, Usagef("--trace-service needs --jaeger-url, --jaeger-service, --jaeger-grpc or --jaeger-grpc-service")
		}
		return nil, nil
	}
	if f.JaegerURL != "" && f.JaegerService != "" {
		return nil, Usagef("give --jaeger-url or --jaeger-service, not both")
	}
	if f.JaegerGRPC != "" && f.JaegerGRPCSvc != "" {
		return nil, Usagef("give --jaeger-grpc or --jaeger-grpc-service, not both")
	}
	if f.TraceLimit < 1 {
		return nil, Usagef("--trace-limit must be at least 1")
	}
	j := &Jaeger{URL: f.JaegerURL, GRPCAddr: f.JaegerGRPC, Services: f.TraceServices, Limit: f.TraceLimit}
	if f.JaegerGRPC != "" {
		if _, port, err := net.SplitHostPort(f.JaegerGRPC); err != nil || port == "" {
			return nil, Usagef("--jaeger-grpc %q: want HOST:PORT, e.g. 127.0.0.1:16685", f.JaegerGRPC)
		}
	}
	var err error
	if j.GRPCService, err = serviceFlag("jaeger-grpc-service", f.JaegerGRPCSvc); err != nil {
		return nil, err
	}
	if err := HTTPURLFlag("jaeger-url", f.JaegerURL, "the query service's base URL, e.g. http://127.0.0.1:16686"); err != nil {
		return nil, err
	}
	if j.Service, err = serviceFlag("jaeger-service", f.JaegerService); err != nil {
		return nil, err
	}
	return j, nil
}

// HTTPURLFlag checks a flag that names an http(s) URL (empty: not given).
func HTTPURLFlag(name, value, want string) error {
	if value == "" {
		return nil
	}
	if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Usagef("--%s %q: want %s", name, value, want)
	}
	return nil
}

// serviceFlag parses a flag that names a Service's port, NAMESPACE/NAME:PORT (empty:
// not given).
func serviceFlag(name, value string) (*ServiceRef, error) {
	if value == "" {
		return nil, nil
	}
	ref, err := ParseServiceRef("--"+name, value)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return &ref, nil
}

// LiveFlags are how investigate and mcp read the live cluster: a light collection.
type LiveFlags struct {
	Selector, OperatorSelector string
	CRDs, Redact               []string
	Timeout                    time.Duration
}

// AddFlags adds the flags to fl; timeoutUsage says what --timeout bounds.
func (f *LiveFlags) AddFlags(fl *pflag.FlagSet, timeoutUsage string) {
	fl.StringVarP(&f.Selector, "selector", "l", "", "live: label selector for namespaced objects")
	fl.StringArrayVar(&f.CRDs, "crd", nil, "live: also read this type (plural.group or Kind; repeatable)")
	fl.StringVar(&f.OperatorSelector, "operator-selector", "", "live: label selector for the operator pods whose logs give operator actions")
	fl.DurationVar(&f.Timeout, "timeout", time.Minute, timeoutUsage)
	fl.StringArrayVar(&f.Redact, "redact", nil, "extra regular expression to redact (repeatable)")
}

// Options are collect's options for a light reading of the cluster: logs since since (0:
// all), their last tail lines, at most perLog and total bytes.
func (f *LiveFlags) Options(kubeFlags *genericclioptions.ConfigFlags, namespaces []string, log *slog.Logger, since time.Duration, tail int64, perLog, total string) (Options, error) {
	cf := &Flags{Selector: f.Selector, Since: since, Parallel: 8, Timeout: f.Timeout, ConnectTimeout: 5 * time.Second,
		LogTailLines: tail, LogMaxBytes: perLog, LogTotalBytes: total, CRDs: f.CRDs, OperatorSelector: f.OperatorSelector, Redact: f.Redact}
	return cf.Options(kubeFlags, namespaces, log)
}
