// Package collect gathers the Kubernetes side of a bundle: resources, tables, pod
// descriptions, logs, events, custom resources, operator actions and the timeline.
// It is best effort: a collector that fails becomes a gap in the manifest, never a
// lost bundle.
package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/version"
)

// Clients are the API clients collect reads through.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
}

// ErrNothingCollected means the bundle holds nothing useful (see the manifest's gaps).
var ErrNothingCollected = errors.New("nothing could be collected")

// Options is collect's typed configuration; the CLI turns flags into it.
type Options struct {
	Config      *rest.Config // nil: the cluster cannot be reached (ConfigError says why), unless Clients
	ConfigError error
	// Clients, when set, are the API clients collect uses instead of ones built from
	// Config: the seam for tests and embedders (client-go's fake clientsets). What needs a
	// REST config itself (server-side tables, kubectl's describer, port-forwards) is then
	// skipped, and says so.
	Clients       *Clients
	Context       string
	InCluster     bool
	Namespaces    []string
	AllNamespaces bool
	Selector      string
	Since         time.Duration

	OutputDir        string
	Parallel         int
	Timeout          time.Duration
	CollectorTimeout time.Duration
	ConnectTimeout   time.Duration

	LogTailLines  int64
	LogMaxBytes   int64
	LogTotalBytes int64

	CRDs             []string
	Results          []string // test result files to copy into results/
	OperatorSelector string
	OperatorFields   opactions.Fields
	Console          *Console // screenshots of a web console; nil: none
	Jaeger           *Jaeger  // traces from Jaeger; nil: none
	// Light skips the text renderings (kubectl-style tables and descriptions): for
	// investigate, which reads only the structured files.
	Light bool

	Redactor *redact.Redactor
	Log      *slog.Logger
	Now      func() time.Time
}

func (o *Options) defaults() {
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.CollectorTimeout <= 0 || o.CollectorTimeout > o.Timeout {
		o.CollectorTimeout = o.Timeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Redactor = redact.OrDefault(o.Redactor)
	if o.OperatorFields.Message == nil {
		o.OperatorFields = opactions.DefaultFields()
	}
	if o.OutputDir == "" {
		o.OutputDir = "ci-report"
	}
}

// run is one collection in progress.
type run struct {
	opts     Options
	dir      *bundle.Dir
	manifest *bundle.Manifest
	cfg      *rest.Config
	bounded  *rest.Config // cfg with a request timeout
	client   kubernetes.Interface
	dynamic  dynamic.Interface
	log      *slog.Logger
	sem      chan struct{} // bounds concurrent API calls across collectors

	mu   sync.Mutex
	recs []*record

	// Results shared between collectors (each written before its readers start).
	res     *resources
	events  []events.Event
	actions []opactions.Action
	watch   *watched // what `ci-report watch` recorded, if it ran
	// podEvents: the events collector's core/v1 events, for the pod describer.
	podEvents *podEvents
}

// Run collects into opts.OutputDir and returns the manifest it wrote. The error is
// ErrNothingCollected (wrapped with the reason) when nothing useful was gathered; the
// manifest is written in every case.
func Run(ctx context.Context, opts Options) (*bundle.Manifest, error) {
	opts.defaults()
	dir, err := bundle.Create(opts.OutputDir)
	if err != nil {
		return nil, err
	}
	v := version.Get()
	r := &run{
		opts: opts, dir: dir, log: opts.Log, sem: make(chan struct{}, opts.Parallel),
		manifest: &bundle.Manifest{
			SchemaVersion: bundle.SchemaVersion,
			Tool:          bundle.ToolInfo{Name: "ci-report", Version: v.Version, Commit: v.Commit, GoVersion: v.GoVersion},
			Cluster:       bundle.ClusterInfo{Context: opts.Context, InCluster: opts.InCluster},
			Namespaces:    opts.Namespaces, AllNamespaces: opts.AllNamespaces, Selector: opts.Selector,
			StartedAt: opts.Now().UTC(),
		},
	}
	if opts.Since > 0 {
		r.manifest.Since = opts.Since.String()
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	err = r.collect(ctx)
	// Also when the cluster is unreachable: a --jaeger-url or --console-url may still be.
	r.collectTraces(ctx)
	r.collectScreenshots(ctx)
	if werr := r.writeManifest(); werr != nil {
		return r.manifest, errors.Join(err, fmt.Errorf("write manifest: %w", werr))
	}
	return r.manifest, err
}

func (r *run) collect(ctx context.Context) error {
	o := r.opts
	if o.Clients != nil {
		r.client, r.dynamic = o.Clients.Kube, o.Clients.Dynamic
		return r.collectFrom(ctx)
	}
	if o.Config == nil {
		err := o.ConfigError
		if err == nil {
			err = errors.New("no Kubernetes client configuration")
		}
		r.newRecord("cluster").fail(fmt.Errorf("%w (set --kubeconfig or KUBECONFIG, pick --context, or run inside a cluster)", err))
		return fmt.Errorf("%w: %v", ErrNothingCollected, err)
	}
	r.cfg = clientConfig(o.Config, o.ConnectTimeout)
	r.cfg.WarningHandler = warningLogger{r.log}
	// Calls that take no context (discovery, kubectl's describer) are bounded by the
	// client's own timeout instead; log streams use r.cfg, bounded by their context.
	r.bounded = rest.CopyConfig(r.cfg)
	r.bounded.Timeout = o.CollectorTimeout
	r.manifest.Cluster.Server = safeURL(r.cfg.Host)
	var err error
	if r.client, err = kubernetes.NewForConfig(r.cfg); err != nil {
		return err
	}
	if r.dynamic, err = dynamic.NewForConfig(r.cfg); err != nil {
		return err
	}
	return r.collectFrom(ctx)
}

// collectFrom collects through r's clients, built or given.
func (r *run) collectFrom(ctx context.Context) error {
	o := r.opts

	// The test results first: they need no cluster, and a report of an unreachable
	// cluster must still show what failed.
	r.copyResults()
	// Fail fast when the API server cannot be reached.
	rec := r.newRecord("cluster")
	pingCtx, cancel := context.WithTimeout(ctx, o.ConnectTimeout+2*time.Second)
	sv, err := r.serverVersion(pingCtx)
	cancel()
	if err != nil {
		err = fmt.Errorf("cannot reach the Kubernetes API server at %s: %w (check --kubeconfig, --context and that the cluster is running)", r.manifest.Cluster.Server, err)
		rec.fail(err)
		r.log.Error("cluster unreachable", "server", r.manifest.Cluster.Server, "err", err)
		return fmt.Errorf("%w: %v", ErrNothingCollected, err)
	}
	r.manifest.Cluster.Version = sv
	r.manifest.Cluster.Reachable = true
	rec.done()
	r.log.Info("connected", "server", r.manifest.Cluster.Server, "version", sv, "namespaces", r.namespaceLabel())

	r.watch = r.readWatched()
	// Resources first: logs, descriptions, operator actions and the timeline use them.
	r.res = r.collectResources(ctx)
	r.podEvents = newPodEvents(r.res.podUIDs())

	var wg sync.WaitGroup
	collectors := []func(context.Context){r.collectTables, r.collectDescriptions, r.collectEvents, r.collectLogs}
	if o.Light {
		collectors = collectors[2:]
	}
	for _, c := range collectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, o.CollectorTimeout)
			defer cancel()
			c(cctx)
		}()
	}
	wg.Wait()
	r.collectOperatorActions()
	r.writeTimeline()

	if r.objectsCollected() == 0 {
		return fmt.Errorf("%w: every collector failed; see %s", ErrNothingCollected, bundle.ManifestFile)
	}
	return nil
}

// copyResults puts the test result files into the bundle, so that render (here or on
// a downloaded artifact) reads them offline.
func (r *run) copyResults() {
	if len(r.opts.Results) == 0 {
		return
	}
	rec := r.newRecord("results")
	defer rec.done()
	for i, src := range r.opts.Results {
		b, err := bundle.ReadRegular(src, results.MaxFile)
		if err != nil {
			rec.errorf("results %s: %v", src, err)
			continue
		}
		rel := fmt.Sprintf("results/%02d-%s", i+1, filepath.Base(src))
		n, err := r.dir.WriteFile(rel, b)
		if err != nil {
			rec.errorf("write %s: %v", rel, err)
			continue
		}
		rec.add(1, n, rel)
	}
}

func (r *run) namespaceLabel() string {
	if r.opts.AllNamespaces {
		return "all"
	}
	return strings.Join(r.opts.Namespaces, ",")
}

// namespaces to list in: "" means all.
func (r *run) namespaces() []string {
	if r.opts.AllNamespaces {
		return []string{""}
	}
	return r.opts.Namespaces
}

func (r *run) serverVersion(ctx context.Context) (string, error) {
	if r.cfg == nil { // given clients: their discovery has no REST client to bound
		v, err := r.client.Discovery().ServerVersion()
		if err != nil {
			return "", err
		}
		return v.GitVersion, nil
	}
	body, err := r.client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// clientConfig tunes a copy of cfg: quick dial failures, enough QPS for a bounded burst.
func clientConfig(cfg *rest.Config, connect time.Duration) *rest.Config {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	if c.Dial == nil {
		c.Dial = d.DialContext
	}
	return c
}

// warningLogger sends the API server's deprecation warnings to the debug log
// instead of klog's stderr.
type warningLogger struct{ log *slog.Logger }

func (w warningLogger) HandleWarningHeader(code int, agent, message string) {
	w.log.Debug("API server warning", "message", message)
}

// safeURL drops credentials from a URL.
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// acquire takes a slot of the shared concurrency bound.
func (r *run) acquire(ctx context.Context) bool {
	select {
	case r.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *run) release() { <-r.sem }
