package findings

import (
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/results"
)

// Links tie a finding to the findings that explain it across objects, after every
// detector has run: a log that calls a Service with no endpoints, a condition that names
// another object, a failed test whose output or window names what was failing. An
// explained finding ranks below its cause whatever its severity (Rank), and the cause
// lists what it causes (Causes).

// graph is the deduplicated findings with an index by ID, for the link rules.
type graph struct {
	fs  []Finding
	idx map[string]int
}

func newGraph(fs []Finding) *graph {
	g := &graph{fs: fs, idx: map[string]int{}}
	for i := range fs {
		g.idx[fs[i].ID] = i
	}
	return g
}

// cause records that finding c explains finding e, unless it is one already, e is c, or
// e already explains c (a cycle: the first link found wins).
func (g *graph) cause(e, c int) bool {
	if e == c || slices.Contains(g.fs[e].CausedBy, g.fs[c].ID) || g.reaches(c, e, map[int]bool{}) {
		return false
	}
	g.fs[e].CausedBy = append(g.fs[e].CausedBy, g.fs[c].ID)
	g.fs[e].Related = appendUnique(g.fs[e].Related, g.fs[c].ID)
	g.fs[c].Related = appendUnique(g.fs[c].Related, g.fs[e].ID)
	return true
}

// reaches: is to among from's causes, however deep?
func (g *graph) reaches(from, to int, seen map[int]bool) bool {
	if seen[from] {
		return false
	}
	seen[from] = true
	for _, id := range g.fs[from].CausedBy {
		j, ok := g.idx[id]
		if ok && (j == to || g.reaches(j, to, seen)) {
			return true
		}
	}
	return false
}

// on is the findings about an object (kind "" matches any kind).
func (g *graph) on(kind, ns, name string) []int {
	var out []int
	for i, f := range g.fs {
		if f.Subject.Name == name && (kind == "" || strings.EqualFold(f.Subject.Kind, kind)) && (ns == "" || f.Subject.Namespace == "" || f.Subject.Namespace == ns) {
			out = append(out, i)
		}
	}
	return out
}

// raise makes a finding an error at least (something a failed test names).
func (g *graph) raise(i int) {
	if g.fs[i].Severity.weight() < Error.weight() && !g.fs[i].recovered {
		g.fs[i].Severity = Error
		g.fs[i].rank = Error.weight()*1000 + rankOf(g.fs[i].Category)
	}
}

// linkRules run in order over the deduplicated findings.
var linkRules = []func(*Scope, *graph){
	declaredLinks,
	callsToServices,
	conditionsNameObjects,
	testsNameCauses,
}

// link runs the rules and fills each finding's Causes.
func link(s *Scope, fs []Finding) {
	g := newGraph(fs)
	for _, rule := range linkRules {
		rule(s, g)
	}
	for i := range fs {
		fs[i].Causes = nil
	}
	for i := range fs {
		for _, id := range fs[i].CausedBy {
			if j, ok := g.idx[id]; ok {
				fs[j].Causes = appendUnique(fs[j].Causes, fs[i].ID)
			}
		}
	}
}

// declaredLinks: what a detector said its finding explains (by the explained finding's
// ID, which may be another detector's).
func declaredLinks(_ *Scope, g *graph) {
	for c := range g.fs {
		for _, id := range g.fs[c].explains {
			if e, ok := g.idx[id]; ok && g.cause(e, c) && g.fs[e].Category == testFailed.Name {
				g.raise(c)
			}
		}
	}
}

// callsToServices: a pod whose log fails to reach a Service (by name or ClusterIP) that
// has a finding of its own (no ready endpoints, missing) is explained by it: its
// crash loop or failing probe is two services downstream of the cause.
func callsToServices(s *Scope, g *graph) {
	seen := map[[2]string]bool{}
	for _, l := range s.lines() {
		if !networkWords.In(strings.ToLower(l.Text)) || !networkFailure().MatchString(l.Text) {
			continue
		}
		for _, svc := range s.servicesNamed(l.Namespace, l.Text) {
			k := [2]string{l.Namespace + "/" + l.Pod, svc.Namespace + "/" + svc.Name}
			if seen[k] {
				continue
			}
			seen[k] = true
			for _, c := range g.on("Service", svc.Namespace, svc.Name) {
				for _, e := range g.on("Pod", l.Namespace, l.Pod) {
					g.cause(e, c)
				}
			}
		}
	}
}

// networkFailure is a log line saying a call failed on the network; networkWords its
// prefilter (each alternative holds one of them).
var (
	networkWords   = lazyre.Words{"refused", "no such host", "timeout", "reset", "no route", "dial tcp", "connect", "unreachable", "unavailable", "503", "deadline", "notfound", "nameresolution", "not known"}
	networkFailure = lazyre.New(`(?i)connection refused|no such host|i/o timeout|connection reset|no route to host|dial tcp|could not connect|failed to connect|unreachable|service unavailable|\b503\b|deadline exceeded|ECONNREFUSED|ENOTFOUND|NameResolutionError|Name or service not known`)
)

// hostPort finds the hosts a line calls: "host:port", after "dial tcp", "lookup",
// "connecting to", and in URLs.
var hostPort = lazyre.New(`(?i)(?:https?://|grpc://|postgres(?:ql)?://[^@/\s]*@?|lookup |dial tcp |connect(?:ing)? to |ENOTFOUND |resolve ')([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)|\b([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?):(\d{2,5})\b`)

// servicesNamed are the Services a line calls, in the namespace of the pod that logged
// it unless the host names another ("name.ns", "name.ns.svc.cluster.local"), or by
// ClusterIP in any namespace.
func (s *Scope) servicesNamed(ns, text string) []Subject {
	var out []Subject
	for _, m := range hostPort().FindAllStringSubmatch(text, -1) {
		host := m[1]
		if host == "" {
			host = m[2]
		}
		if subj, ok := s.serviceOfHost(ns, host); ok && !slices.Contains(out, subj) {
			out = append(out, subj)
		}
	}
	return out
}

// serviceOfHost is the Service a host name or ClusterIP means, if it is one: collected,
// or (in-cluster by its form) named in a namespace that was collected.
func (s *Scope) serviceOfHost(ns, host string) (Subject, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if subj, ok := s.idx().clusterIPs[host]; ok {
		return subj, true
	}
	name, inNS, ok := inClusterName(ns, host, s.namespaceKnown)
	if !ok {
		return Subject{}, false
	}
	return Subject{Kind: "Service", Namespace: inNS, Name: name}, true
}

// inClusterName reads a host as a Service's DNS name: "name" (the caller's namespace),
// "name.ns", "name.ns.svc", "name.ns.svc.cluster.local"; "name.ns" only when ns is a
// namespace known to the bundle (else it is an outside host such as example.com).
func inClusterName(ns, host string, known func(string) bool) (string, string, bool) {
	host = strings.TrimSuffix(host, ".cluster.local")
	parts := strings.Split(host, ".")
	if slices.ContainsFunc(parts, func(p string) bool { return p == "" }) || dnsLabel().FindString(parts[0]) != parts[0] || isIPPart(parts[0]) {
		return "", "", false
	}
	switch {
	case len(parts) == 1:
		return parts[0], ns, true
	case len(parts) == 3 && parts[2] == "svc":
		return parts[0], parts[1], true
	case len(parts) == 2 && known(parts[1]):
		return parts[0], parts[1], true
	}
	return "", "", false
}

var dnsLabel = lazyre.New(`[a-z]([-a-z0-9]*[a-z0-9])?`)

func isIPPart(s string) bool { return strings.Trim(s, "0123456789") == "" }

func (s *Scope) namespaceKnown(name string) bool {
	if s.Collected.In(name) {
		return true
	}
	for _, n := range s.Namespaces {
		if n.Name == name {
			return true
		}
	}
	return false
}

// conditionsNameObjects: a custom resource's condition or an operator error that names
// another object ("dependency Database/orders-pg not ready") is explained by that
// object's findings, so the deepest failing object in a chain ranks first.
func conditionsNameObjects(_ *Scope, g *graph) {
	for e := range g.fs {
		f := &g.fs[e]
		if f.Category != resourceNotReady.Name && f.Category != operatorError.Name {
			continue
		}
		text := f.Title + "\n" + f.Explanation
		for _, ref := range objectRefs(text) {
			for _, c := range g.on(ref.Kind, f.Subject.Namespace, ref.Name) {
				if g.fs[c].Subject != f.Subject && g.fs[c].Category != testFailed.Name {
					g.cause(e, c)
				}
			}
		}
	}
}

// kindName is "Kind/name" (or "kind/name") in free text.
var kindName = lazyre.New(`\b([A-Za-z][A-Za-z0-9]*)/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\b`)

// apiObject is a Kubernetes API error's object: `pods "web-0" is forbidden`,
// `deployments.apps "orders" not found`.
var apiObject = lazyre.New(`\b([a-z][a-z0-9]*)(?:\.[a-z0-9.-]+)? "([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)"`)

// objectRefs are the objects a text names as kind and name (the kind as written, or
// "" when only a resource's plural is known).
func objectRefs(text string) []Subject {
	var out []Subject
	for _, m := range kindName().FindAllStringSubmatch(text, -1) {
		out = append(out, Subject{Kind: m[1], Name: m[2]})
	}
	for _, m := range apiObject().FindAllStringSubmatch(text, -1) {
		out = append(out, Subject{Name: m[2]})
	}
	return out
}

// token is a word of free text that may be an object's name.
var token = lazyre.New(`[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?`)

// testsNameCauses: a failed test is explained by the findings on the objects its output
// names (a pod, a Service, a Deployment, a host; those findings become errors: the test
// says they broke it), and by what started failing in its window. Its failure then ranks
// below them. A test takes at most maxTestCauses such links.
func testsNameCauses(s *Scope, g *graph) {
	byAlias := map[string][]int{}
	var timed []int
	for i, names := range s.aliases(g) {
		f := g.fs[i]
		if f.Category == testFailed.Name || f.Category == testFlaky.Name || f.recovered {
			continue
		}
		for _, n := range names {
			byAlias[n] = append(byAlias[n], i)
		}
		if f.Category != warningEvent.Name && f.Severity != Info && !f.Time.IsZero() {
			timed = append(timed, i)
		}
	}
	sort.SliceStable(timed, func(a, b int) bool { return g.fs[timed[a]].Time.Before(g.fs[timed[b]].Time) })
	for _, ft := range s.idx().failed {
		e, ok := g.idx[ft.id]
		if !ok {
			continue
		}
		n := 0
		names := make([]string, 0, len(ft.names))
		for name := range ft.names {
			names = append(names, name)
		}
		sort.Strings(names) // the same links every time
		for _, name := range names {
			for _, i := range byAlias[name] {
				if n < maxTestCauses && g.cause(e, i) {
					g.raise(i)
					n++
				}
			}
		}
		if ft.from.IsZero() {
			continue
		}
		k := sort.Search(len(timed), func(k int) bool { return !g.fs[timed[k]].Time.Before(ft.from) })
		for ; k < len(timed) && n < maxTestCauses && !g.fs[timed[k]].Time.After(ft.to); k++ {
			if g.cause(e, timed[k]) {
				n++
			}
		}
	}
}

// maxTestCauses bounds the findings one failed test is linked to.
const maxTestCauses = 20

// aliases are the names by which a test's output may name each finding's object: its
// own name and, for a pod, its app labels, its owners' names and the Services that
// select it.
func (s *Scope) aliases(g *graph) [][]string {
	byNS := map[string][]*corev1.Service{}
	for i := range s.Services {
		byNS[s.Services[i].Namespace] = append(byNS[s.Services[i].Namespace], &s.Services[i])
	}
	out := make([][]string, len(g.fs))
	for i, f := range g.fs {
		names := []string{strings.ToLower(f.Subject.Name)}
		if f.Subject.Kind == "Host" {
			names = append(names, strings.SplitN(names[0], ".", 2)[0])
		}
		if p := s.pod(f.Subject); p != nil {
			for _, k := range []string{"app.kubernetes.io/name", "app", "app.kubernetes.io/instance"} {
				if v := p.Labels[k]; v != "" {
					names = appendUnique(names, strings.ToLower(v))
				}
			}
			for _, o := range s.idx().ownersOf(p) {
				names = appendUnique(names, strings.ToLower(o.Name))
			}
			for _, svc := range byNS[p.Namespace] {
				if len(svc.Spec.Selector) > 0 && selects(svc.Spec.Selector, p.Labels) {
					names = appendUnique(names, strings.ToLower(svc.Name))
				}
			}
		}
		// Short everyday words are no evidence that a test meant this object.
		out[i] = slices.DeleteFunc(names, func(n string) bool { return len(n) < 2 || commonWord[n] })
	}
	return out
}

// commonWord: names too common in test output to say which object a test meant.
var commonWord = map[string]bool{"test": true, "tests": true, "app": true, "api": true, "main": true, "default": true, "error": true,
	"server": true, "client": true, "service": true, "timeout": true, "true": true, "false": true, "the": true, "and": true, "not": true,
	"ready": true, "pod": true, "pods": true, "job": true, "data": true, "config": true, "e2e": true}

// testID is the ID of a failed test's finding.
func testID(c results.Case) string {
	return newFinding(testFailed, Error, Subject{Kind: "Test", Namespace: c.Suite, Name: c.Name}, testTitle(c), "").ID
}
