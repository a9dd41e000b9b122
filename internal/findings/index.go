package findings

import (
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// index is what the detectors and links look up often, built once per Detect: a bundle
// may hold thousands of pods, Services, failed tests and log lines, and a lookup by a
// scan each time multiplies them.
type index struct {
	pods       map[string]*corev1.Pod // ns/name
	services   map[string]bool        // ns/name
	clusterIPs map[string]Subject
	failed     []failedTest // failed tests, by window start
	// The one owner index: a pod's owners are its owner references and, through a
	// ReplicaSet, the ReplicaSet's owners (a Deployment, an Argo Rollout).
	podOwners map[string][]Subject      // ns/name -> owners, nearest first
	owned     map[Subject][]*corev1.Pod // owner -> its pods, in the bundle's order
}

// ownersOf are a pod's owners, nearest first.
func (x *index) ownersOf(p *corev1.Pod) []Subject { return x.podOwners[p.Namespace+"/"+p.Name] }

// ownedPods are the pods an object owns, directly or through a ReplicaSet.
func (x *index) ownedPods(owner Subject) []*corev1.Pod { return x.owned[owner] }

// failedTest is a failed test as the links read it: its finding's ID, its window (zero:
// no times) and the names its output holds (lower case, whole tokens).
type failedTest struct {
	id       string
	from, to time.Time
	names    map[string]bool
}

func (s *Scope) idx() *index {
	if s.index != nil {
		return s.index
	}
	x := &index{pods: map[string]*corev1.Pod{}, services: map[string]bool{}, clusterIPs: map[string]Subject{},
		podOwners: map[string][]Subject{}, owned: map[Subject][]*corev1.Pod{}}
	rsOwners := map[string][]Subject{} // ns/name of a ReplicaSet -> its owners
	for _, rs := range s.ReplicaSets {
		for _, o := range rs.OwnerReferences {
			rsOwners[rs.Namespace+"/"+rs.Name] = append(rsOwners[rs.Namespace+"/"+rs.Name], Subject{Kind: o.Kind, Namespace: rs.Namespace, Name: o.Name})
		}
	}
	for i := range s.Pods {
		p := &s.Pods[i]
		key := p.Namespace + "/" + p.Name
		x.pods[key] = p
		for _, o := range p.OwnerReferences {
			owners := []Subject{{Kind: o.Kind, Namespace: p.Namespace, Name: o.Name}}
			if o.Kind == "ReplicaSet" {
				owners = append(owners, rsOwners[p.Namespace+"/"+o.Name]...)
			}
			for _, owner := range owners {
				x.podOwners[key] = append(x.podOwners[key], owner)
				x.owned[owner] = append(x.owned[owner], p)
			}
		}
	}
	for _, svc := range s.Services {
		x.services[svc.Namespace+"/"+svc.Name] = true
		if ip := svc.Spec.ClusterIP; ip != "" && ip != "None" {
			x.clusterIPs[ip] = Subject{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
		}
	}
	for _, c := range s.Tests {
		if !c.Status.Failing() {
			continue
		}
		ft := failedTest{id: testID(c), names: outputNames(c.Message + "\n" + c.Details)}
		if !c.Start.IsZero() {
			ft.from, ft.to = c.Start.Add(-time.Minute), c.End().Add(10*time.Second)
		}
		x.failed = append(x.failed, ft)
	}
	sort.SliceStable(x.failed, func(i, j int) bool { return x.failed[i].from.Before(x.failed[j].from) })
	s.index = x
	return x
}

// outputNames are the names a text holds: its whole tokens, and the first label of a
// dotted one ("orders.shop.svc" names orders).
func outputNames(text string) map[string]bool {
	named := map[string]bool{}
	for _, t := range token().FindAllString(strings.ToLower(text), -1) {
		named[t] = true
		if i := strings.IndexByte(t, '.'); i > 0 {
			named[t[:i]] = true
		}
	}
	return named
}

// in: t falls in the test's window.
func (ft failedTest) in(t time.Time) bool {
	return !ft.from.IsZero() && !t.IsZero() && !t.Before(ft.from) && !t.After(ft.to)
}
