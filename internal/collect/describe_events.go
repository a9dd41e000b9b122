package collect

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// podEvents holds the core/v1 events the events collector listed, so that kubectl's pod
// describer reads a pod's events from them instead of one field-selected LIST per pod.
// On a namespace of 10,000 events those LISTs each make the API server filter every
// event: at 300 pods they cost more server time than serving the logs.
type podEvents struct {
	ready chan struct{}   // closed when the events collector has listed (or given up)
	uids  map[string]bool // the collected pods' UIDs (and mirror pods' config UIDs): only their events are kept
	mu    sync.Mutex
	byNS  map[string]map[string][]corev1.Event // namespace → involvedObject.name → events, in LIST order
}

// newPodEvents keeps the events of the pods with these UIDs.
func newPodEvents(uids map[string]bool) *podEvents {
	return &podEvents{ready: make(chan struct{}), uids: uids, byNS: map[string]map[string][]corev1.Event{}}
}

// add records one namespace's complete core/v1 event list. A namespace whose list
// failed is not added: the describer then asks the API server itself.
func (p *podEvents) add(ns string, items []corev1.Event) {
	m := map[string][]corev1.Event{}
	for _, e := range items {
		if !p.uids[string(e.InvolvedObject.UID)] {
			continue
		}
		e.ManagedFields = nil
		m[e.InvolvedObject.Name] = append(m[e.InvolvedObject.Name], e)
	}
	p.mu.Lock()
	p.byNS[ns] = m
	p.mu.Unlock()
}

func (p *podEvents) done() {
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
}

// list answers an events LIST from the recorded events: ok is false when it cannot
// (the namespace was not listed, or the selector does not name one of the pods by name
// and UID, as kubectl's describer does).
func (p *podEvents) list(ns string, opts metav1.ListOptions) (*corev1.EventList, bool) {
	sel, err := fields.ParseSelector(opts.FieldSelector)
	if err != nil {
		return nil, false
	}
	name, named := sel.RequiresExactMatch("involvedObject.name")
	uid, _ := sel.RequiresExactMatch("involvedObject.uid")
	if !named || !p.uids[uid] {
		return nil, false
	}
	p.mu.Lock()
	m, listed := p.byNS[ns]
	p.mu.Unlock()
	if !listed {
		return nil, false
	}
	out := &corev1.EventList{}
	for _, e := range m[name] {
		if sel.Matches(eventFields(&e)) {
			out.Items = append(out.Items, e)
		}
	}
	return out, true
}

// eventFields are the field-selectable fields of a core/v1 Event, as the API server
// defines them (pkg/registry/core/event.ToSelectableFields).
func eventFields(e *corev1.Event) fields.Set {
	return fields.Set{
		"metadata.name":                  e.Name,
		"metadata.namespace":             e.Namespace,
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         e.Source.Component,
		"type":                           e.Type,
	}
}

// cachedEventsClient is a clientset whose core/v1 events LISTs come from podEvents
// when it can answer them; everything else goes to the API server.
type cachedEventsClient struct {
	kubernetes.Interface
	events *podEvents
}

func (c cachedEventsClient) CoreV1() corev1client.CoreV1Interface {
	return cachedCoreV1{c.Interface.CoreV1(), c.events}
}

type cachedCoreV1 struct {
	corev1client.CoreV1Interface
	events *podEvents
}

func (c cachedCoreV1) Events(ns string) corev1client.EventInterface {
	return cachedEventList{c.CoreV1Interface.Events(ns), ns, c.events}
}

type cachedEventList struct {
	corev1client.EventInterface
	ns     string
	events *podEvents
}

func (c cachedEventList) List(ctx context.Context, opts metav1.ListOptions) (*corev1.EventList, error) {
	if l, ok := c.events.list(c.ns, opts); ok {
		return l, nil
	}
	return c.EventInterface.List(ctx, opts)
}
