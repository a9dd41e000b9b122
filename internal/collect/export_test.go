package collect

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/describe"
)

// DescribePodFromEvents describes a pod as collect does: with kubectl's describer, its
// events answered from items (one namespace's complete core/v1 event list).
func DescribePodFromEvents(c kubernetes.Interface, ns, name string, items []corev1.Event) (string, error) {
	uids := map[string]bool{}
	for _, e := range items {
		uids[string(e.InvolvedObject.UID)] = true // every involved object counts as a pod here
	}
	p := newPodEvents(uids)
	p.add(ns, items)
	p.done()
	d := &describe.PodDescriber{Interface: cachedEventsClient{c, p}}
	return d.Describe(ns, name, describe.DescriberSettings{ShowEvents: true, ChunkSize: 500})
}
