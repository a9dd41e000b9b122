package collect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/describe"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// describeLine matches "  NAME:  value" lines, where describe prints env vars.
var describeLine = lazyre.New(`^(\s+)([A-Za-z_][A-Za-z0-9_.-]*):(\s+)(\S.*)$`)

// collectDescriptions writes pod-descriptions.txt with kubectl's own describer.
func (r *run) collectDescriptions(ctx context.Context) {
	rec := r.newRecord("pod-descriptions")
	defer rec.done()
	pods := r.res.pods()
	if len(pods) == 0 {
		rec.skip("no pods collected")
		return
	}
	var client kubernetes.Interface = r.client // given clients
	if r.bounded != nil {
		c, err := kubernetes.NewForConfig(r.bounded)
		if err != nil {
			rec.fail(err)
			return
		}
		client = c
	}
	// kubectl's own pod describer, reading each pod's events from the list the events
	// collector made (see podEvents).
	d := &describe.PodDescriber{Interface: cachedEventsClient{client, r.podEvents}}
	select {
	case <-r.podEvents.ready:
	case <-ctx.Done():
	}
	out := make([]string, len(pods))
	var wg sync.WaitGroup
	for i := range pods {
		if !r.acquire(ctx) {
			rec.errorf("describe pod %s/%s: %v", pods[i].Namespace, pods[i].Name, ctx.Err())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.release()
			p := pods[i]
			// The describer does not take a context; it is bounded by the client's timeouts.
			text, err := d.Describe(p.Namespace, p.Name, describe.DescriberSettings{ShowEvents: true, ChunkSize: 500})
			if err != nil {
				rec.errorf("describe pod %s/%s: %v", p.Namespace, p.Name, err)
				return
			}
			out[i] = r.redactDescription(rec, text)
		}()
	}
	wg.Wait()
	var b strings.Builder
	described := 0
	idx := make([]int, len(pods))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, c int) bool {
		pa, pc := pods[idx[a]], pods[idx[c]]
		return pa.Namespace+"/"+pa.Name < pc.Namespace+"/"+pc.Name
	})
	for _, i := range idx {
		if out[i] == "" {
			continue
		}
		fmt.Fprintf(&b, "===== pod %s/%s =====\n%s\n", pods[i].Namespace, pods[i].Name, out[i])
		described++
	}
	n, err := r.dir.WriteFile(bundle.PodDescriptions, []byte(b.String()))
	if err != nil {
		rec.errorf("write %s: %v", bundle.PodDescriptions, err)
		return
	}
	rec.add(described, n, bundle.PodDescriptions)
}

// redactDescription masks secret-looking "NAME: value" lines (env vars) and scrubs the rest.
func (r *run) redactDescription(rec *record, text string) string {
	lines := strings.Split(text, "\n")
	masked := 0
	for i, l := range lines {
		if m := describeLine().FindStringSubmatch(l); m != nil && redact.LooksSecret(m[2]) && !strings.HasPrefix(m[4], "<set to the key") && m[2] != "SecretName" {
			lines[i] = m[1] + m[2] + ":" + m[3] + redact.Mask
			masked++
		}
	}
	rec.redacted("env", masked)
	out, n := r.opts.Redactor.String(strings.Join(lines, "\n"))
	rec.redacted("text", n)
	return out
}
