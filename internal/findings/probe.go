package findings

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// probeFindings turns Unhealthy events (failing readiness/liveness/startup probes) into
// one finding per pod and probe, quoting what the probe checks and the container's log
// around the first failure.
func probeFindings(s *Scope) []Finding {
	type key struct {
		subj Subject
		kind string
	}
	type group struct {
		first, last time.Time
		count       int
		message     string
		container   string
	}
	groups := map[key]*group{}
	var order []key
	for _, e := range s.Events {
		if e.Reason != "Unhealthy" || e.Type != corev1.EventTypeWarning {
			continue
		}
		k := key{subj: Subject{Kind: e.Object.Kind, Namespace: e.Object.Namespace, Name: e.Object.Name}, kind: "probe"}
		for _, p := range []string{"Readiness", "Liveness", "Startup"} {
			if strings.HasPrefix(e.Message, p) {
				k.kind = strings.ToLower(p) + " probe"
			}
		}
		first := e.FirstSeen
		if first.IsZero() {
			first = e.LastSeen
		}
		g, ok := groups[k]
		if !ok {
			g = &group{first: first}
			groups[k] = g
			order = append(order, k)
		}
		if first.Before(g.first) {
			g.first = first
		}
		if !e.LastSeen.Before(g.last) {
			g.last, g.message = e.LastSeen, e.Message
		}
		g.count += max(int(e.Count), 1)
		if c := containerOfFieldPath(e.Object.FieldPath); c != "" {
			g.container = c
		}
	}
	var out []Finding
	for _, k := range order {
		g := groups[k]
		title := fmt.Sprintf("%s of %s failing", strings.ToUpper(k.kind[:1])+k.kind[1:], k.subj.Name)
		f := newFinding(probeFailing, Warning, k.subj, title, oneLine(g.message))
		f.Count, f.Time, f.Refs = g.count, g.first, []string{bundle.EventsText}
		f.Evidence = []string{fmt.Sprintf("%s  Unhealthy x%d (first %s): %s", g.last.Format(time.RFC3339), g.count, g.first.Format(time.RFC3339), oneLine(g.message))}
		if p := s.pod(k.subj); p != nil {
			ctr, probe := probeOf(p, g.container, k.kind)
			if probe != nil {
				target := probeTarget(p, ctr, probe)
				msg := g.message
				if i := strings.Index(msg, " probe failed: "); i >= 0 && i < 10 {
					msg = msg[i+len(" probe failed: "):]
				}
				f.Explanation = fmt.Sprintf("The %s of container %s (%s) fails: %s", k.kind, ctr.Name, target, oneLine(msg))
				f.Evidence = append([]string{"probe: " + target}, f.Evidence...)
			}
			if ctr != nil && !g.first.IsZero() {
				if lines := s.around(p.Namespace, p.Name, ctr.Name, g.first); len(lines) > 0 {
					f.Evidence = append(f.Evidence, fmt.Sprintf("log of container %s around the first failure (%s):", ctr.Name, g.first.Format(time.RFC3339)))
					f.Evidence = append(f.Evidence, lines...)
					f.Refs = append(f.Refs, bundle.LogPath(p.Namespace, p.Name, ctr.Name, false))
				}
			}
			f.Refs = append(f.Refs, bundle.PodDescriptions)
		}
		s.explain(k.subj, "Unhealthy")
		if k.subj.Kind == "Pod" {
			s.onPod[k.subj.Namespace+"/"+k.subj.Name] = append(s.onPod[k.subj.Namespace+"/"+k.subj.Name], f)
		}
		out = append(out, f)
	}
	return out
}

// containerOfFieldPath reads "spec.containers{name}" from an event's involvedObject.
func containerOfFieldPath(fp string) string {
	for _, pre := range []string{"spec.containers{", "spec.initContainers{"} {
		if rest, ok := strings.CutPrefix(fp, pre); ok {
			return strings.TrimSuffix(rest, "}")
		}
	}
	return ""
}

// probeOf finds the container (by name, else the first with such a probe) and its probe.
func probeOf(p *corev1.Pod, name, kind string) (*corev1.Container, *corev1.Probe) {
	pick := func(c *corev1.Container) *corev1.Probe {
		switch kind {
		case "readiness probe":
			return c.ReadinessProbe
		case "liveness probe":
			return c.LivenessProbe
		case "startup probe":
			return c.StartupProbe
		}
		return nil
	}
	var byName *corev1.Container
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		if name != "" && c.Name == name {
			byName = c
			if pr := pick(c); pr != nil {
				return c, pr
			}
		}
	}
	if byName != nil {
		return byName, nil
	}
	for i := range p.Spec.Containers {
		if pr := pick(&p.Spec.Containers[i]); pr != nil {
			return &p.Spec.Containers[i], pr
		}
	}
	if len(p.Spec.Containers) == 1 {
		return &p.Spec.Containers[0], nil
	}
	return nil, nil
}

// probeTarget says what a probe checks, the way an operator would type it.
func probeTarget(p *corev1.Pod, c *corev1.Container, pr *corev1.Probe) string {
	named := ""
	port := func(v intstr.IntOrString) string {
		if v.Type == intstr.String {
			named = " (port " + v.StrVal + ")"
			for _, cp := range c.Ports {
				if cp.Name == v.StrVal {
					return fmt.Sprint(cp.ContainerPort)
				}
			}
			return v.StrVal
		}
		return fmt.Sprint(v.IntValue())
	}
	host := p.Status.PodIP
	if host == "" {
		host = "<pod IP>"
	}
	var s string
	switch h := pr.ProbeHandler; {
	case h.HTTPGet != nil:
		scheme := strings.ToLower(string(h.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		if h.HTTPGet.Host != "" {
			host = h.HTTPGet.Host
		}
		path := h.HTTPGet.Path
		if path == "" {
			path = "/"
		}
		s = fmt.Sprintf("HTTP GET %s://%s:%s%s%s", scheme, host, port(h.HTTPGet.Port), path, named)
	case h.TCPSocket != nil:
		s = fmt.Sprintf("TCP connect %s:%s%s", host, port(h.TCPSocket.Port), named)
	case h.GRPC != nil:
		s = fmt.Sprintf("gRPC health check %s:%d", host, h.GRPC.Port)
		if h.GRPC.Service != nil && *h.GRPC.Service != "" {
			s += " service " + *h.GRPC.Service
		}
	case h.Exec != nil:
		s = "exec " + strings.Join(h.Exec.Command, " ")
	default:
		s = "no handler"
	}
	period, threshold := pr.PeriodSeconds, pr.FailureThreshold
	if period == 0 {
		period = 10
	}
	if threshold == 0 {
		threshold = 3
	}
	s += fmt.Sprintf(", every %ds, timeout %ds, failing after %d", period, max(pr.TimeoutSeconds, 1), threshold)
	return s
}

var probeDetector = detector{"probes", []Category{probeFailing}, probeFindings}

var probeFailing = Category{"ProbeFailing", 45}
