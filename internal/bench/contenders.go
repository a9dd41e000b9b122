package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

// Run is one measured run of a contender.
type Run struct {
	Wall     time.Duration `json:"wallNs"`
	MaxRSS   int64         `json:"maxRSSBytes"` // of the largest process it ran
	Bytes    int64         `json:"bytesWritten"`
	Requests int64         `json:"requests"` // API server requests during the run, background subtracted
	Err      string        `json:"error,omitempty"`
}

// Env is what the contenders need.
type Env struct {
	Cluster  *testenv.Cluster
	CIReport string // the ci-report binary
	Self     string // this program (its "raw" subcommand is the raw limit)
	Seed     string // testdata/bench/seed-collect.sh
	Work     string // scratch directory
	Parallel int
	idleRate float64 // API requests per second with nobody collecting
}

// Contender is one way to collect a namespace.
type Contender struct {
	Name string
	Note string
	Cmd  func(e *Env, ns, out string) (*exec.Cmd, error)
}

// Contenders are the collectors compared, in the order of the table.
func Contenders() []Contender {
	return []Contender{
		{Name: "seed-style kubectl script", Note: "testdata/bench/seed-collect.sh: get all, describe pods, get CRs, events, logs (and --previous) per container",
			Cmd: func(e *Env, ns, out string) (*exec.Cmd, error) {
				cmd := exec.Command("bash", e.Seed)
				cmd.Env = append(os.Environ(), "KUBECTL="+e.Cluster.Binaries.Kubectl(), "KUBECONFIG="+e.Cluster.Kubeconfig, "NS="+ns, "OUT="+out, "CRD=apigraphs.turboengine.io")
				return cmd, nil
			}},
		{Name: "kubectl cluster-info dump", Note: "--namespaces NS --output-directory: current logs only, no timestamps, no describe",
			Cmd: func(e *Env, ns, out string) (*exec.Cmd, error) {
				return exec.Command(e.Cluster.Binaries.Kubectl(), "--kubeconfig", e.Cluster.Kubeconfig, "cluster-info", "dump", "--namespaces", ns, "--output-directory", out), nil
			}},
		{Name: "raw limit", Note: "the LIST and log GET requests collect makes (timestamps=true), parallel HTTP, bytes to disk, nothing else",
			Cmd: func(e *Env, ns, out string) (*exec.Cmd, error) {
				urls, err := CollectRequests(e.Cluster.Config, ns)
				if err != nil {
					return nil, err
				}
				list := filepath.Join(e.Work, "urls-"+ns+".txt")
				if err := os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
					return nil, err
				}
				return exec.Command(e.Self, "raw", "-kubeconfig", e.Cluster.Kubeconfig, "-urls", list, "-out", out, "-parallel", strconv.Itoa(e.Parallel)), nil
			}},
		{Name: "ci-report collect, equal work", Note: "--log-total-bytes 0: every log in full, as the others fetch",
			Cmd: func(e *Env, ns, out string) (*exec.Cmd, error) {
				return exec.Command(e.CIReport, "--kubeconfig", e.Cluster.Kubeconfig, "collect", "-q", "-n", ns, "-o", out, "--log-total-bytes", "0", "--crd", "apigraphs.turboengine.io"), nil
			}},
		{Name: "ci-report collect, defaults", Note: "stops fetching logs at the 512Mi total cap",
			Cmd: func(e *Env, ns, out string) (*exec.Cmd, error) {
				return exec.Command(e.CIReport, "--kubeconfig", e.Cluster.Kubeconfig, "collect", "-q", "-n", ns, "-o", out, "--crd", "apigraphs.turboengine.io"), nil
			}},
	}
}

// Measure runs cmd to completion: wall time, the largest RSS of it and its waited-for
// children, bytes under out, and the API server requests it made.
func (e *Env) Measure(cmd *exec.Cmd, out string) Run {
	before, _ := e.requests()
	start := time.Now()
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	r := Run{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.MaxRSS = ru.Maxrss * 1024
		}
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		r.Err = fmt.Sprintf("%v: %s", err, msg)
	}
	after, _ := e.requests()
	r.Requests = max(0, after-before-int64(e.idleRate*r.Wall.Seconds()))
	r.Bytes = DU(out)
	return r
}

// Calibrate measures the API server's background request rate (controllers, kwok).
func (e *Env) Calibrate(d time.Duration) {
	a, _ := e.requests()
	time.Sleep(d)
	b, _ := e.requests()
	e.idleRate = float64(b-a) / d.Seconds()
}

// requests sums apiserver_request_total.
func (e *Env) requests() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := e.Cluster.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, err
	}
	var total float64
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "apiserver_request_total{") {
			continue
		}
		if i := strings.LastIndexByte(l, ' '); i > 0 {
			v, _ := strconv.ParseFloat(l[i+1:], 64)
			total += v
		}
	}
	return int64(total), nil
}

// DU is the total size of the regular files under dir.
func DU(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// CollectRequests are the requests collect makes for a namespace: one LIST per
// namespaced listable type and for nodes, and a log GET per container that ran (and its
// previous log when it restarted), with collect's parameters.
func CollectRequests(cfg *rest.Config, ns string) ([]string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lists, _ := dc.ServerPreferredResources()
	var urls []string
	for _, l := range lists {
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !strings.Contains(strings.Join(r.Verbs, ","), "list") {
				continue
			}
			prefix := "/apis/" + l.GroupVersion
			if !strings.Contains(l.GroupVersion, "/") {
				prefix = "/api/" + l.GroupVersion
			}
			switch {
			case r.Namespaced:
				urls = append(urls, fmt.Sprintf("%s/namespaces/%s/%s?limit=500", prefix, ns, r.Name))
			case r.Name == "nodes":
				urls = append(urls, prefix+"/nodes?limit=500")
			}
		}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			base := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s/log?container=%s&timestamps=true&limitBytes=%d", ns, p.Name, c.Name, 10<<20)
			urls = append(urls, base)
			if c.RestartCount > 0 {
				urls = append(urls, base+"&previous=true")
			}
		}
	}
	return urls, nil
}

// Raw is the raw limit: GET every URL at the given concurrency, body to a file.
func Raw(kubeconfig, urlFile, out string, par int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: rt}
	b, err := os.ReadFile(urlFile)
	if err != nil {
		return err
	}
	urls := strings.Fields(string(b))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				resp, err := client.Get(strings.TrimSuffix(cfg.Host, "/") + urls[i])
				if err != nil {
					failed.Add(1)
					continue
				}
				f, err := os.Create(filepath.Join(out, strconv.Itoa(i)))
				if err == nil {
					io.Copy(f, resp.Body)
					f.Close()
				}
				resp.Body.Close()
			}
		}()
	}
	for i := range urls {
		next <- i
	}
	close(next)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d requests failed", n, len(urls))
	}
	return nil
}

// IdleRate is the background request rate Calibrate measured.
func (e *Env) IdleRate() float64 { return e.idleRate }
