package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

// ConsolePort is the demo console Service's port.
const ConsolePort = 3000

// consolePage is the turbo-engine console's dashboard: a table of APIGraphs, which it
// fills from its API. The orders graph's API call fails (500) and the page logs it as a
// browser error, as a console does when its backend is broken.
const consolePage = `<!doctype html>
<html><head><title>turbo-engine console</title>
<style>
body { font-family: sans-serif; margin: 0; background: #f4f6f8; }
header { background: #1f3a5f; color: #fff; padding: 16px 24px; font-size: 20px; }
main { padding: 24px; }
table { border-collapse: collapse; background: #fff; min-width: 480px; }
td, th { border: 1px solid #ccd; padding: 8px 12px; text-align: left; }
.ok { color: #17803d; } .bad { color: #b42318; font-weight: bold; }
</style></head>
<body><header>turbo-engine console · APIGraphs</header>
<main><table id="graphs"><tr><th>APIGraph</th><th>status</th></tr>
<tr><td>users</td><td class="ok">Ready</td></tr>
<tr><td>orders</td><td class="bad" id="orders">loading…</td></tr></table></main>
<script>
fetch("/api/graphs/orders").then(r => {
  if (!r.ok) {
    document.getElementById("orders").textContent = "error " + r.status;
    console.error("failed to load APIGraph orders: HTTP " + r.status + " from /api/graphs/orders");
  }
});
</script></body></html>`

// StartConsole runs the demo console: a real HTTP server on loopback, reached from the
// cluster's console Service through a port-forward (kwok forwards the console pod's
// port to it). It stops when ctx ends.
func StartConsole(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, consolePage)
	})
	mux.HandleFunc("/api/graphs/orders", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"envmanager: admission webhook denied the request: image not found"}`, http.StatusInternalServerError)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	context.AfterFunc(ctx, func() { srv.Close() })
	pod, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name=console", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if err != nil {
		srv.Close()
		return err
	}
	if err := c.ForwardPodPort(ctx, s.Namespace, pod.Name, ConsolePort, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port); err != nil {
		srv.Close()
		return err
	}
	s.ConsoleService = fmt.Sprintf("%s/console:%d", s.Namespace, ConsolePort)
	return nil
}
