package collect_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/kubectl/pkg/describe"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/demo"
)

type countEventLists struct {
	rt http.RoundTripper
	n  *atomic.Int32
}

func (c countEventLists) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/events") {
		c.n.Add(1)
	}
	return c.rt.RoundTrip(r)
}

// Pod descriptions read each pod's events from the namespace's one event list, and say
// exactly what kubectl's describer says when it asks the API server per pod.
func TestIntegrationDescriptionsMatchKubectlWithoutEventLists(t *testing.T) {
	ctx := t.Context()
	ns := demo.Namespace
	var lists atomic.Int32
	cfg := rest.CopyConfig(env.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countEventLists{rt, &lists} }
	counted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := env.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kubectl := &describe.PodDescriber{Interface: env.Client}
	withEvents := 0
	for _, p := range pods.Items {
		var ours, theirs string
		for try := 0; try < 3; try++ { // ages ("45s") may tick between the two
			if ours, err = collect.DescribePodFromEvents(counted, ns, p.Name, evs.Items); err != nil {
				t.Fatal(err)
			}
			if theirs, err = kubectl.Describe(ns, p.Name, describe.DescriberSettings{ShowEvents: true, ChunkSize: 500}); err != nil {
				t.Fatal(err)
			}
			if ours == theirs {
				break
			}
		}
		if ours != theirs {
			t.Errorf("pod %s: description differs from kubectl's\n--- ours\n%s\n--- kubectl\n%s", p.Name, ours, theirs)
		}
		if !strings.Contains(ours, "Events:      <none>") && strings.Contains(ours, "\nEvents:\n") {
			withEvents++
		}
	}
	if withEvents < 2 {
		t.Errorf("only %d of %d demo pods have events; the comparison proves little", withEvents, len(pods.Items))
	}
	if n := lists.Load(); n != 0 {
		t.Errorf("%d events LISTs; want every pod's events from the one list", n)
	}
}
