package findings

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// logCauseFindings: causes only a log line gives, in any collected container, Ready or
// not: a DNS lookup of a Service that does not exist (a finding of its own, with the
// closest existing name), an x509 certificate error, a DNS failure or a refused
// connection to a named host. Lines are grouped by what failed and where; a group is a
// finding when it explains a finding on a pod that logged it (a failing probe, a crash
// loop) or a failed test (its line fell in the test's window, or the test names the pod
// or the host). Lines of a previous container of a pod healthy since are history.
func logCauseFindings(s *Scope) (out []Finding) {
	type group struct {
		cat    Category
		ns     string
		target string // the host, or the missing Service's name
		what   string // what the lines say, once
		pods   []string
		lines  []LogLine
		tests  []string // failed tests whose own output says it (their finding IDs)
		quotes []string // and what it says
	}
	groups := map[string]*group{}
	var order []string
	add := func(cat Category, ns, target, what string) *group {
		k := cat.Name + "|" + ns + "|" + target
		g, ok := groups[k]
		if !ok {
			g = &group{cat: cat, ns: ns, target: target, what: what}
			groups[k] = g
			order = append(order, k)
		}
		return g
	}
	for _, l := range s.lines() {
		if l.Previous && s.recovered(l.Namespace, l.Pod, l.Container) {
			continue
		}
		cat, target, what := s.classifyLogCause(l)
		if cat.Name == "" {
			continue
		}
		g := add(cat, l.Namespace, target, what)
		g.pods = appendUnique(g.pods, l.Pod)
		if len(g.lines) < evidenceLines {
			g.lines = append(g.lines, l)
		}
	}
	// A failed test's own output that looks up a Service that does not exist (the test
	// calls the Service directly): in the namespace its name gives, else the only one
	// collected.
	only := ""
	if len(s.Collected.Namespaces) == 1 && !s.Collected.All {
		only = s.Collected.Namespaces[0]
	}
	for _, c := range s.Tests {
		if !c.Status.Failing() {
			continue
		}
		for _, m := range noSuchHost().FindAllStringSubmatch(c.Message+"\n"+c.Details, 3) {
			host := strings.ToLower(strings.TrimSuffix(firstNonEmpty(m[1:]...), "."))
			name, ns, ok := inClusterName(only, host, s.namespaceKnown)
			if !ok || ns == "" || !s.Collected.In(ns) || s.serviceExists(ns, name) {
				continue
			}
			g := add(serviceMissing, ns, name, "no such host")
			g.tests = appendUnique(g.tests, testID(c))
			g.quotes = appendUnique(g.quotes, "test "+oneLine(c.Name)+": "+oneLine(m[0]))
		}
	}
	for _, k := range order {
		g := groups[k]
		explains := g.tests
		for _, p := range g.pods {
			for _, f := range s.onPod[g.ns+"/"+p] {
				explains = appendUnique(explains, f.ID)
			}
		}
		explains = appendUnique(explains, s.testsTouched(g.lines, append([]string{g.target}, g.pods...))...)
		if len(explains) == 0 && g.cat != serviceMissing {
			continue // an error line that explains nothing here: REPORT.md's log section has it
		}
		var f Finding
		if g.cat == serviceMissing {
			f = s.missingServiceFinding(g.ns, g.target, g.pods)
		} else {
			f = logCauseFinding(g.cat, g.ns, g.target, g.what, g.pods) // these groups come from logs: a pod each
		}
		f.Evidence = g.quotes
		for _, l := range g.lines {
			line := oneLine(l.Text)
			if !l.Time.IsZero() {
				line = l.Time.UTC().Format(time.RFC3339) + "  " + line
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s/%s: %s", l.Pod, l.Container, line))
			f.Refs = appendUnique(f.Refs, bundle.LogPath(l.Namespace, l.Pod, l.Container, l.Previous))
			if f.Time.IsZero() || (!l.Time.IsZero() && l.Time.Before(f.Time)) {
				f.Time = l.Time
			}
		}
		f.explains = explains
		out = append(out, f)
	}
	return out
}

// alsoPods is " (and N other pods)" for a group's pods beyond the first.
func alsoPods(pods []string) string {
	if len(pods) < 2 {
		return ""
	}
	return fmt.Sprintf(" (and %s)", plural(len(pods)-1, "other pod", "other pods"))
}

// missingServiceFinding: a Service that pods (or, with none, the failed tests' own output)
// look up and that does not exist, with the Services that may have been meant.
func (s *Scope) missingServiceFinding(ns, target string, pods []string) Finding {
	who := "the failed tests"
	if len(pods) > 0 {
		who = "pod " + pods[0] + alsoPods(pods)
	}
	expl := fmt.Sprintf("%s looks up %s, and namespace %s has no Service %s: every call to it fails", who, target, ns, target)
	var meant []string
	if near := s.closestService(ns, target); near != "" {
		meant = append(meant, "Service "+near)
	}
	for _, svc := range s.Services {
		if svc.Name == target && svc.Namespace != ns {
			meant = append(meant, fmt.Sprintf("%s.%s (Service %s in namespace %s)", target, svc.Namespace, target, svc.Namespace))
		}
	}
	if len(meant) > 0 {
		expl += "; did you mean " + strings.Join(meant, " or ") + "?"
	}
	f := newFinding(serviceMissing, Error, Subject{Kind: "Service", Namespace: ns, Name: target},
		fmt.Sprintf("Service %s does not exist (pods look it up: no such host)", target), expl)
	f.Refs = []string{bundle.ResourcesText}
	return f
}

// logCauseFinding is a log-only cause on the first of the pods that logged it.
func logCauseFinding(cat Category, ns, target, what string, pods []string) Finding {
	pod, also := Subject{Kind: "Pod", Namespace: ns, Name: pods[0]}, alsoPods(pods)
	switch cat {
	case tlsError:
		return newFinding(tlsError, Warning, pod, fmt.Sprintf("Pod %s%s: TLS to %s fails (%s)", pods[0], also, target, what),
			fmt.Sprintf("its log says %s when it calls %s: the certificate, its CA or its name is wrong, so every call fails", what, target))
	case dnsFailed:
		return newFinding(dnsFailed, Warning, pod, fmt.Sprintf("Pod %s%s cannot resolve %s (no such host)", pods[0], also, target),
			fmt.Sprintf("its log says the lookup of %s finds no such host", target))
	}
	return newFinding(connRefused, Warning, pod, fmt.Sprintf("Pod %s%s: connection refused by %s", pods[0], also, target),
		fmt.Sprintf("its log says %s refuses connections: nothing listens there, or it is not up yet", target))
}

// classifyLogCause reads one log line: the cause it names and its target.
func (s *Scope) classifyLogCause(l LogLine) (Category, string, string) {
	text := l.Text
	lower := strings.ToLower(text)
	if !causeWords.In(lower) {
		return Category{}, "", ""
	}
	if m := noSuchHost().FindStringSubmatch(text); m != nil {
		host := strings.ToLower(strings.TrimSuffix(firstNonEmpty(m[1:]...), "."))
		if name, ns, ok := inClusterName(l.Namespace, host, s.namespaceKnown); ok && s.Collected.In(ns) && !s.serviceExists(ns, name) {
			if ns == l.Namespace {
				return serviceMissing, name, "no such host"
			}
		}
		if _, ok := s.serviceOfHost(l.Namespace, host); ok {
			return Category{}, "", "" // an existing Service: its own findings say why
		}
		return dnsFailed, host, "no such host"
	}
	if m := x509Error().FindString(text); m != "" {
		return tlsError, s.hostOf(l.Namespace, text), m
	}
	if m := tlsVerify().FindString(text); m != "" {
		return tlsError, s.hostOf(l.Namespace, text), m
	}
	if strings.Contains(lower, "connection refused") || strings.Contains(text, "ECONNREFUSED") {
		host := s.hostOf(l.Namespace, text)
		if host == "" {
			return Category{}, "", ""
		}
		if svc, ok := s.serviceOfHost(l.Namespace, host); ok && s.serviceHasFinding(svc) {
			return Category{}, "", "" // callsToServices ties the pod to the Service's finding
		}
		return connRefused, host, "connection refused"
	}
	return Category{}, "", ""
}

var (
	// causeWords prefilter the expressions below (each alternative holds one of them).
	causeWords = lazyre.Words{"no such host", "getaddrinfo", "failed to resolve", "could not translate", "x509: certificate", "tls: failed to verify",
		"certificate_verify_failed", "certificate verify failed", "connection refused", "econnrefused"}
	noSuchHost = lazyre.New(`(?i)lookup ([a-z0-9][-a-z0-9.]*)(?: on [^:]+:\d+)?: no such host|getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([a-z0-9][-a-z0-9.]*)|Failed to resolve '([a-z0-9][-a-z0-9.]*)'|could not translate host name "([a-z0-9][-a-z0-9.]*)"`)
	x509Error  = lazyre.New(`x509: certificate (?:has expired or is not yet valid|signed by unknown authority|is valid for [^,]+, not \S+|is not valid for any names)`)
	tlsVerify  = lazyre.New(`tls: failed to verify certificate|CERTIFICATE_VERIFY_FAILED|certificate verify failed`)
)

// hostOf is the host a line calls (a Service's name when the host is one).
func (s *Scope) hostOf(ns, text string) string {
	for _, m := range hostPort().FindAllStringSubmatch(text, -1) {
		h := firstNonEmpty(m[1], m[2])
		if h == "" {
			continue
		}
		if svc, ok := s.serviceOfHost(ns, h); ok && s.serviceExists(svc.Namespace, svc.Name) {
			return svc.Name
		}
		return strings.ToLower(h)
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, v := range ss {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Scope) serviceExists(ns, name string) bool { return s.idx().services[ns+"/"+name] }

func (s *Scope) serviceHasFinding(svc Subject) bool {
	return slices.ContainsFunc(s.found, func(f Finding) bool { return f.Subject == svc })
}

// closestService is the existing Service whose name is nearest the missing one (a typo,
// a renamed Service), if one is near enough to be meant.
func (s *Scope) closestService(ns, name string) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, svc := range s.Services {
		if svc.Namespace != ns {
			continue
		}
		d := levenshtein.ComputeDistance(name, svc.Name)
		if d <= max(2, len(name)/3) || strings.HasPrefix(svc.Name, name) || strings.HasPrefix(name, svc.Name) {
			cs = append(cs, cand{svc.Name, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d || cs[i].d == cs[j].d && cs[i].name < cs[j].name })
	if len(cs) == 0 {
		return ""
	}
	return cs[0].name
}

// testsTouched are the failed tests a group of log lines may explain: a line fell in the
// test's window, or its output names one of the names.
func (s *Scope) testsTouched(lines []LogLine, names []string) []string {
	var out []string
	for _, ft := range s.idx().failed {
		hit := slices.ContainsFunc(names, func(n string) bool { return len(n) > 1 && ft.names[strings.ToLower(n)] })
		if !hit {
			hit = slices.ContainsFunc(lines, func(l LogLine) bool { return ft.in(l.Time) })
		}
		if hit {
			out = append(out, ft.id)
		}
	}
	return out
}

var logCauseDetector = detector{"log causes", []Category{serviceMissing, tlsError, dnsFailed, connRefused}, logCauseFindings}

var (
	serviceMissing = Category{"ServiceMissing", 63}
	tlsError       = Category{"TLSCertificateError", 59}
	dnsFailed      = Category{"DNSLookupFailed", 58}
	connRefused    = Category{"ConnectionRefused", 57}
)
