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
}

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
	x := &index{pods: map[string]*corev1.Pod{}, services: map[string]bool{}, clusterIPs: map[string]Subject{}}
	for i := range s.Pods {
		x.pods[s.Pods[i].Namespace+"/"+s.Pods[i].Name] = &s.Pods[i]
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
