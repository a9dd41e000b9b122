package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	adminToken = "ci-report-testenv-admin"
	// RestrictedUsers is how many static users the token file holds besides the admin:
	// "restricted-0" … "restricted-N-1", each with the token "<name>-token" and no
	// permissions until a test binds a role to it.
	RestrictedUsers = 5
	stopGrace       = 3 * time.Second
)

// Options tune Start.
type Options struct {
	// Dir is where the cluster keeps its data, certificates, logs and kubeconfig.
	// Empty means a new temporary directory, removed by Stop.
	Dir string
	// Binaries to run; zero means FindBinaries().
	Binaries Binaries
	// KubeletHTTP1 makes kwok (the kubelet) serve HTTP/1.1 only. A real kubelet, like
	// kwok by default, offers HTTP/2, so the API server sends every pods/log stream down
	// one connection, and each log line is flushed as its own frame: on two cores that
	// costs kwok about 3.4 times the CPU of HTTP/1.1 and funnels parallel fetches
	// through one connection. The benchmark sets it so the contenders, not the kubelet
	// stand-in, dominate what it measures.
	KubeletHTTP1 bool
}

// Cluster is a running local control plane.
type Cluster struct {
	Dir        string
	Kubeconfig string // path of an admin kubeconfig
	Config     *rest.Config
	Client     kubernetes.Interface
	Dynamic    dynamic.Interface
	APIExt     apiextensionsclient.Interface
	Binaries   Binaries

	removeDir bool
	pki       *pki
	host      string
	kwokPort  int

	mu        sync.Mutex
	procs     []*process // in start order
	apiserver *process
}

// Start runs a cluster and waits until it is ready: API server healthy, kwok's CRDs
// established, and controller-manager, scheduler and kwok running.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	bins := opts.Binaries
	if bins.Dir == "" {
		if bins, err = FindBinaries(); err != nil {
			return nil, err
		}
	} else if err := bins.check(); err != nil {
		return nil, err
	}
	c = &Cluster{Dir: opts.Dir, Binaries: bins}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "ci-report-testenv-"); err != nil {
			return nil, err
		}
		c.removeDir = true
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if c.pki, err = writePKI(filepath.Join(c.Dir, "pki")); err != nil {
		return c, fmt.Errorf("write certificates: %w", err)
	}
	ports, err := freePorts(7)
	if err != nil {
		return c, err
	}
	etcdClient, etcdPeer, apiPort, cmPort, schedPort, kwokPort, etcdMetrics := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6]
	c.host = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	c.kwokPort = kwokPort

	if err := c.writeTokens(); err != nil {
		return c, err
	}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := c.writeKubeconfig(c.Kubeconfig, "admin", adminToken, ""); err != nil {
		return c, err
	}
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return c, err
	}
	c.Config.QPS, c.Config.Burst = 200, 400
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return c, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		return c, err
	}
	if c.APIExt, err = apiextensionsclient.NewForConfig(c.Config); err != nil {
		return c, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	if err := c.run(&process{name: "etcd", path: bins.bin("etcd"), args: []string{
		"--name=default",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		fmt.Sprintf("--listen-metrics-urls=http://127.0.0.1:%d", etcdMetrics),
		"--unsafe-no-fsync",
		"--log-level=warn",
	}}); err != nil {
		return c, err
	}

	// Every control-plane process listens on loopback only, without profiling, quietly.
	serve := func(port int, args ...string) []string {
		return append([]string{"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(port), "--profiling=false", "--v=1"}, args...)
	}
	c.apiserver = &process{name: "kube-apiserver", path: bins.bin("kube-apiserver"), args: serve(apiPort,
		"--etcd-servers="+etcdURL,
		"--advertise-address=127.0.0.1",
		"--tls-cert-file="+c.pki.servingCert,
		"--tls-private-key-file="+c.pki.servingKey,
		"--client-ca-file="+c.pki.caCert,
		"--token-auth-file="+filepath.Join(c.Dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+c.pki.saPub,
		"--service-account-signing-key-file="+c.pki.saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--event-ttl=720h",
		"--allow-privileged=true",
	)}
	if err := c.run(c.apiserver); err != nil {
		return c, err
	}
	if err := c.WaitReady(ctx, time.Minute); err != nil {
		return c, err
	}
	if err := c.installKwokCRDs(ctx); err != nil {
		return c, err
	}
	kubeconfigFlags := []string{"--kubeconfig=" + c.Kubeconfig, "--authentication-kubeconfig=" + c.Kubeconfig, "--authorization-kubeconfig=" + c.Kubeconfig}
	if err := c.run(&process{name: "kube-controller-manager", path: bins.bin("kube-controller-manager"), args: serve(cmPort, append([]string{
		"--leader-elect=false",
		"--root-ca-file=" + c.pki.caCert,
		"--service-account-private-key-file=" + c.pki.saKey,
		"--cluster-cidr=10.244.0.0/16",
		"--service-cluster-ip-range=10.96.0.0/16",
	}, kubeconfigFlags...)...)}); err != nil {
		return c, err
	}
	if err := c.run(&process{name: "kube-scheduler", path: bins.bin("kube-scheduler"), args: serve(schedPort, append([]string{"--leader-elect=false"}, kubeconfigFlags...)...)}); err != nil {
		return c, err
	}
	kwokConfig, err := c.writeKwokConfig()
	if err != nil {
		return c, err
	}
	var kwokEnv []string
	if opts.KubeletHTTP1 {
		kwokEnv = []string{"GODEBUG=http2server=0"}
	}
	if err := c.run(&process{name: "kwok", path: bins.bin("kwok"), env: kwokEnv, args: []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--config=" + kwokConfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
		"--enable-crds=Logs,ClusterLogs,PortForward,ClusterPortForward",
		"--node-ip=127.0.0.1",
		"--node-port=" + strconv.Itoa(kwokPort),
		"--server-address=" + fmt.Sprintf("127.0.0.1:%d", kwokPort),
		"--node-lease-duration-seconds=40",
		"--tls-cert-file=" + c.pki.servingCert,
		"--tls-private-key-file=" + c.pki.servingKey,
	}}); err != nil {
		return c, err
	}
	return c, c.waitComponents(ctx)
}

// run starts p in the cluster's directory and records it for Stop.
func (c *Cluster) run(p *process) error {
	p.dir = c.Dir
	if err := p.start(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, q := range c.procs {
		if q == p {
			return nil
		}
	}
	c.procs = append(c.procs, p)
	return nil
}

// WaitReady waits until the API server answers /readyz, or fails early if it exited.
func (c *Cluster) WaitReady(ctx context.Context, timeout time.Duration) error {
	rc, err := rest.RESTClientFor(withNegotiatedSerializer(c.Config))
	if err != nil {
		return err
	}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.apiserver.exited(); err != nil {
			return false, err
		}
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			last = fmt.Errorf("%w: %s", err, body)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver not ready: %w (last: %v)", err, last)
	}
	return nil
}

// waitComponents waits until the processes started last are up: kwok's server
// answers and the controller-manager has created the default service account.
func (c *Cluster) waitComponents(ctx context.Context) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.procsSnapshot() {
			if err := p.exited(); err != nil {
				return false, err
			}
		}
		if _, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1GetOptions); err != nil {
			return false, nil
		}
		return c.kwokHealthy(ctx), nil
	})
}

func (c *Cluster) procsSnapshot() []*process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*process(nil), c.procs...)
}

// Stop stops every process (SIGTERM, then SIGKILL after a short grace), newest first,
// and removes the cluster's directory if Start created it. It is safe to call twice.
func (c *Cluster) Stop() {
	procs := c.procsSnapshot()
	var wg sync.WaitGroup
	// Clients first, concurrently; then the API server; then etcd.
	for _, p := range procs {
		if p.name == "etcd" || p.name == "kube-apiserver" {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(stopGrace) }()
	}
	wg.Wait()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		for _, p := range procs {
			if p.name == name {
				p.stop(stopGrace)
			}
		}
	}
	if c.removeDir && os.Getenv("CI_REPORT_TESTENV_KEEP") == "" {
		_ = os.RemoveAll(c.Dir)
	}
}

// StopAPIServer stops the API server gracefully; KillAPIServer kills it at once.
// StartAPIServer brings it back with the same flags and waits until it is ready.
func (c *Cluster) StopAPIServer() { c.apiserver.stop(stopGrace) }

// KillAPIServer kills the API server with SIGKILL, as a crash would.
func (c *Cluster) KillAPIServer() { c.apiserver.kill() }

// StartAPIServer restarts a stopped API server and waits until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if c.apiserver.running() {
		return errors.New("kube-apiserver is already running")
	}
	if err := c.run(c.apiserver); err != nil {
		return err
	}
	return c.WaitReady(ctx, time.Minute)
}

// Host is the API server's URL.
func (c *Cluster) Host() string { return c.host }

// ProcessLogs returns the tail of each component's log, for a failing test to print.
func (c *Cluster) ProcessLogs(lines int) string {
	var b strings.Builder
	for _, p := range c.procsSnapshot() {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", p.name, tail(p.logPath(), lines))
	}
	return b.String()
}

func (c *Cluster) writeTokens() error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s,admin,admin,\"system:masters\"\n", adminToken)
	for i := range RestrictedUsers {
		name := fmt.Sprintf("restricted-%d", i)
		fmt.Fprintf(&b, "%s-token,%s,%s\n", name, name, name)
	}
	return os.WriteFile(filepath.Join(c.Dir, "tokens.csv"), []byte(b.String()), 0o600)
}

// WriteKubeconfig writes a kubeconfig for this cluster that authenticates with token.
func (c *Cluster) WriteKubeconfig(path, user, token, namespace string) error {
	return c.writeKubeconfig(path, user, token, namespace)
}

// writeKubeconfig writes a kubeconfig for user with token, defaulting to namespace ns.
func (c *Cluster) writeKubeconfig(path, user, token, ns string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testenv"] = &clientcmdapi.Cluster{Server: c.host, CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: user, Namespace: ns}
	cfg.CurrentContext = "testenv"
	return clientcmd.WriteToFile(*cfg, path)
}
