package findings

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/conditions"
	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/metrics"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
)

// Span is an error span from a trace.
type Span struct {
	TraceID, Service, Operation, Message string
	Time                                 time.Time
	// Propagated names the failed spans above this one in its trace ("service operation"),
	// when the error started here; Downstream is true when a span below this one failed
	// too, so this one only passed the error on.
	Propagated []string `json:",omitempty"`
	Downstream bool     `json:",omitempty"`
}

// Input is everything the detectors look at, already read from the bundle.
type Input struct {
	Pods        []corev1.Pod
	ReplicaSets []appsv1.ReplicaSet
	Deployments []appsv1.Deployment
	Jobs        []batchv1.Job
	PVCs        []corev1.PersistentVolumeClaim
	Objects     []unstructured.Unstructured // anything else that may have status.conditions
	Events      []events.Event
	Actions     []opactions.Action
	Tests       []results.Case
	Sources     []results.Source // the results files; one with an Error could not be read
	Metrics     []metrics.Metric
	ErrorSpans  []Span
	Pages       []bundle.Page // console pages the browser captured
	// LogTail returns the last lines of a container's log in the bundle (nil if absent).
	LogTail func(namespace, pod, container string, previous bool, n int) []string
	// LogAround returns the lines of a container's current log written just before and
	// from the given time (nil if absent).
	LogAround func(namespace, pod, container string, at time.Time, before, after int) []string
}

// evidenceLines is how many log lines a finding quotes.
const evidenceLines = 12

func (in *Input) tail(ns, pod, ctr string, previous bool) []string {
	if in.LogTail == nil {
		return nil
	}
	return in.LogTail(ns, pod, ctr, previous, evidenceLines)
}

// Detect runs every detector and returns the findings, deduplicated and ranked.
func Detect(in *Input) []Finding {
	var fs []Finding
	explained := map[string]bool{} // "Kind/ns/name|Reason" of events a finding already explains
	explain := func(s Subject, reasons ...string) {
		for _, r := range reasons {
			explained[s.String()+"|"+r] = true
		}
	}
	podFinding := map[string][]Finding{} // pod ns/name -> the findings on it, causes of its workload's

	for i := range in.Pods {
		for _, f := range in.podFindings(&in.Pods[i]) {
			podFinding[in.Pods[i].Namespace+"/"+in.Pods[i].Name] = append(podFinding[in.Pods[i].Namespace+"/"+in.Pods[i].Name], f)
			explain(f.Subject, "BackOff", "Failed", "OOMKilling", "FailedScheduling", "Evicted", "ErrImagePull", "ImagePullBackOff", "FailedMount", "Unhealthy", "Killing")
			fs = append(fs, f)
		}
	}
	for _, f := range in.probeFindings(explain) {
		if f.Subject.Kind == "Pod" {
			key := f.Subject.Namespace + "/" + f.Subject.Name
			podFinding[key] = append(podFinding[key], f)
		}
		fs = append(fs, f)
	}
	fs = append(fs, in.deploymentFindings(podFinding, explain)...)
	fs = append(fs, in.jobFindings(explain)...)
	fs = append(fs, in.pvcFindings(explain)...)
	crs := in.conditionFindings(explain)
	fs = append(fs, crs...)
	fs = append(fs, in.operatorFindings(crs, explain)...)
	fs = append(fs, in.eventFindings(explained)...)
	fs = append(fs, in.testFindings()...)
	fs = append(fs, in.sourceFindings()...)
	fs = append(fs, in.metricFindings()...)
	fs = append(fs, in.spanFindings()...)
	fs = append(fs, in.pageFindings()...)
	fs = dedupe(fs)
	Rank(fs)
	return fs
}

func podSubject(p *corev1.Pod) Subject {
	return Subject{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}

func podRefs(p *corev1.Pod, ctr string, previous bool) []string {
	refs := []string{bundle.PodDescriptions}
	if ctr != "" {
		if previous {
			refs = append(refs, bundle.LogPath(p.Namespace, p.Name, ctr, true))
		}
		refs = append(refs, bundle.LogPath(p.Namespace, p.Name, ctr, false))
	}
	return refs
}

// panicLine finds the line that says why a process died, to quote first.
var panicLine = regexp.MustCompile(`(?i)(^panic:|fatal error:|^Traceback|Exception|^Error:|\bFATAL\b|\bpanic\b)`)

func quoteDeath(lines []string) (string, []string) {
	for _, l := range lines {
		if panicLine.MatchString(strings.TrimSpace(l)) {
			return strings.TrimSpace(l), lines
		}
	}
	return "", lines
}

func (in *Input) podFindings(p *corev1.Pod) []Finding {
	var out []Finding
	subj := podSubject(p)
	statuses := append(append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...), p.Status.EphemeralContainerStatuses...)
	covered := false
	for _, cs := range statuses {
		w := cs.State.Waiting
		last := cs.LastTerminationState.Terminated
		switch {
		case w != nil && w.Reason == "CrashLoopBackOff":
			tail := in.tail(p.Namespace, p.Name, cs.Name, true)
			why, ev := quoteDeath(tail)
			expl := fmt.Sprintf("Container %s keeps crashing (%s)", cs.Name, plural(int(cs.RestartCount), "restart", "restarts"))
			if last != nil {
				expl += fmt.Sprintf("; its last run ended %s with exit code %d", last.Reason, last.ExitCode)
			}
			if why != "" {
				expl += ": " + why
			}
			f := newFinding("CrashLoopBackOff", Critical, subj, fmt.Sprintf("Pod %s is in CrashLoopBackOff (container %s)", p.Name, cs.Name), expl)
			f.Evidence, f.Refs, f.Count = ev, podRefs(p, cs.Name, true), 1
			if last != nil {
				f.Time = last.FinishedAt.Time
			}
			out = append(out, f)
			covered = true
		case (last != nil && last.Reason == "OOMKilled") || (cs.State.Terminated != nil && cs.State.Terminated.Reason == "OOMKilled"):
			t := last
			if t == nil {
				t = cs.State.Terminated
			}
			limit := ""
			for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
				if c.Name == cs.Name {
					if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
						limit = q.String()
					}
				}
			}
			expl := fmt.Sprintf("Container %s was killed for running out of memory (exit code %d)", cs.Name, t.ExitCode)
			if limit != "" {
				expl += "; its memory limit is " + limit
			}
			expl += fmt.Sprintf("; restarts: %d", cs.RestartCount)
			f := newFinding("OOMKilled", Error, subj, fmt.Sprintf("Container %s of pod %s was OOMKilled", cs.Name, p.Name), expl)
			f.Evidence, f.Refs, f.Time = in.tail(p.Namespace, p.Name, cs.Name, cs.RestartCount > 0), podRefs(p, cs.Name, cs.RestartCount > 0), t.FinishedAt.Time
			out = append(out, f)
			covered = true
		case w != nil && (w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull" || w.Reason == "InvalidImageName"):
			img := ""
			for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
				if c.Name == cs.Name {
					img = c.Image
				}
			}
			f := newFinding("ImagePullBackOff", Error, subj, fmt.Sprintf("Pod %s cannot pull image %s", p.Name, img), fmt.Sprintf("%s: %s", w.Reason, oneLine(w.Message)))
			f.Refs = podRefs(p, "", false)
			out = append(out, f)
			covered = true
		case w != nil && (w.Reason == "CreateContainerConfigError" || w.Reason == "CreateContainerError" || w.Reason == "RunContainerError"):
			f := newFinding("CreateContainerConfigError", Error, subj, fmt.Sprintf("Pod %s: container %s cannot start (%s)", p.Name, cs.Name, w.Reason), oneLine(w.Message))
			f.Refs = podRefs(p, "", false)
			out = append(out, f)
			covered = true
		}
	}
	if !covered {
		for _, cs := range statuses {
			if cs.RestartCount >= 3 {
				f := newFinding("HighRestarts", Warning, subj, fmt.Sprintf("Container %s of pod %s restarted %d times", cs.Name, p.Name, cs.RestartCount),
					"Frequent restarts usually mean crashes or failing liveness probes.")
				f.Evidence, f.Refs = in.tail(p.Namespace, p.Name, cs.Name, true), podRefs(p, cs.Name, true)
				out = append(out, f)
			}
		}
	}
	if p.Status.Phase == corev1.PodFailed && p.Status.Reason == "Evicted" {
		f := newFinding("Evicted", Warning, subj, fmt.Sprintf("Pod %s was evicted", p.Name), oneLine(p.Status.Message))
		f.Refs = podRefs(p, "", false)
		out = append(out, f)
	}
	if p.Status.Phase == corev1.PodPending && p.Spec.NodeName == "" {
		msg := ""
		var at time.Time
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				msg, at = c.Message, c.LastTransitionTime.Time
			}
		}
		for _, e := range in.Events {
			if e.Reason == "FailedScheduling" && e.Object.Kind == "Pod" && e.Object.Namespace == p.Namespace && e.Object.Name == p.Name {
				msg, at = e.Message, e.LastSeen
			}
		}
		if msg != "" {
			f := newFinding("Unschedulable", Error, subj, fmt.Sprintf("Pod %s cannot be scheduled", p.Name), "The scheduler says: "+oneLine(msg))
			f.Evidence = []string{requestsOf(p)}
			f.Refs, f.Time = []string{bundle.EventsText, bundle.PodDescriptions}, at
			out = append(out, f)
		}
	}
	return out
}

func requestsOf(p *corev1.Pod) string {
	var parts []string
	for _, c := range p.Spec.Containers {
		var req []string
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := c.Resources.Requests[r]; ok {
				req = append(req, fmt.Sprintf("%s=%s", r, q.String()))
			}
		}
		if len(req) > 0 {
			parts = append(parts, fmt.Sprintf("container %s requests %s", c.Name, strings.Join(req, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// probeFindings turns Unhealthy events (failing readiness/liveness/startup probes) into
// one finding per pod and probe, quoting what the probe checks and the container's log
// around the first failure.
func (in *Input) probeFindings(explain func(Subject, ...string)) []Finding {
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
	for _, e := range in.Events {
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
		f := newFinding("ProbeFailing", Warning, k.subj, title, oneLine(g.message))
		f.Count, f.Time, f.Refs = g.count, g.first, []string{bundle.EventsText}
		f.Evidence = []string{fmt.Sprintf("%s  Unhealthy x%d (first %s): %s", g.last.Format(time.RFC3339), g.count, g.first.Format(time.RFC3339), oneLine(g.message))}
		if p := in.pod(k.subj); p != nil {
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
			if ctr != nil && in.LogAround != nil && !g.first.IsZero() {
				if lines := in.LogAround(p.Namespace, p.Name, ctr.Name, g.first, evidenceLines/2, evidenceLines/2); len(lines) > 0 {
					f.Evidence = append(f.Evidence, fmt.Sprintf("log of container %s around the first failure (%s):", ctr.Name, g.first.Format(time.RFC3339)))
					f.Evidence = append(f.Evidence, lines...)
					f.Refs = append(f.Refs, bundle.LogPath(p.Namespace, p.Name, ctr.Name, false))
				}
			}
			f.Refs = append(f.Refs, bundle.PodDescriptions)
		}
		explain(k.subj, "Unhealthy")
		out = append(out, f)
	}
	return out
}

func (in *Input) pod(s Subject) *corev1.Pod {
	if s.Kind != "Pod" {
		return nil
	}
	for i := range in.Pods {
		if in.Pods[i].Namespace == s.Namespace && in.Pods[i].Name == s.Name {
			return &in.Pods[i]
		}
	}
	return nil
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

func (in *Input) deploymentFindings(podFinding map[string][]Finding, explain func(Subject, ...string)) []Finding {
	rsOwner := map[string]string{} // ns/rs -> deployment
	for _, rs := range in.ReplicaSets {
		for _, o := range rs.OwnerReferences {
			if o.Kind == "Deployment" {
				rsOwner[rs.Namespace+"/"+rs.Name] = o.Name
			}
		}
	}
	causes := map[string][]Finding{} // ns/deployment -> findings on its pods
	for _, p := range in.Pods {
		found, ok := podFinding[p.Namespace+"/"+p.Name]
		if !ok {
			continue
		}
		for _, o := range p.OwnerReferences {
			if d, ok := rsOwner[p.Namespace+"/"+o.Name]; ok && o.Kind == "ReplicaSet" {
				causes[p.Namespace+"/"+d] = append(causes[p.Namespace+"/"+d], found...)
			}
		}
	}
	var out []Finding
	for _, d := range in.Deployments {
		var bad *appsv1.DeploymentCondition
		for i, c := range d.Status.Conditions {
			if (c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionFalse) ||
				(c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded") {
				bad = &d.Status.Conditions[i]
			}
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		if bad == nil && d.Status.AvailableReplicas >= want {
			continue
		}
		if bad == nil && d.Status.ObservedGeneration == 0 {
			continue
		}
		subj := Subject{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name}
		explain(subj, "ProgressDeadlineExceeded")
		sev := Error
		expl := fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)
		if bad != nil {
			expl += fmt.Sprintf("; %s=%s %s: %s", bad.Type, bad.Status, bad.Reason, oneLine(bad.Message))
		}
		var related []string
		for _, c := range causes[d.Namespace+"/"+d.Name] {
			related = appendUnique(related, c.ID)
		}
		if cs := causes[d.Namespace+"/"+d.Name]; len(cs) > 0 {
			sev = Warning // a consequence of the pod findings, which rank above it
			expl += " — caused by: " + cs[0].Title
			if len(related) > 1 {
				expl += fmt.Sprintf(" (and %d more pod findings)", len(related)-1)
			}
		}
		f := newFinding("DeploymentUnavailable", sev, subj, fmt.Sprintf("Deployment %s is not available", d.Name), expl)
		f.Related, f.CausedBy, f.Refs = related, related, []string{bundle.ResourcesText}
		if bad != nil {
			f.Time = bad.LastTransitionTime.Time
		}
		out = append(out, f)
	}
	return out
}

func (in *Input) jobFindings(explain func(Subject, ...string)) []Finding {
	var out []Finding
	for _, j := range in.Jobs {
		for _, c := range j.Status.Conditions {
			if c.Type != batchv1.JobFailed || c.Status != corev1.ConditionTrue {
				continue
			}
			subj := Subject{Kind: "Job", Namespace: j.Namespace, Name: j.Name}
			explain(subj, "BackoffLimitExceeded", "DeadlineExceeded")
			f := newFinding("JobFailed", Error, subj, fmt.Sprintf("Job %s failed (%s)", j.Name, c.Reason),
				fmt.Sprintf("%s: %s; %d failed pod(s)", c.Reason, oneLine(c.Message), j.Status.Failed))
			f.Time, f.Refs = c.LastTransitionTime.Time, []string{bundle.ResourcesText, bundle.TimelineText}
			// Quote the log of the Job's last failed pod.
			for i := range in.Pods {
				p := &in.Pods[i]
				if p.Namespace != j.Namespace || p.Labels["job-name"] != j.Name || p.Status.Phase != corev1.PodFailed {
					continue
				}
				for _, ctr := range p.Spec.Containers {
					if lines := in.tail(p.Namespace, p.Name, ctr.Name, false); len(lines) > 0 {
						f.Evidence = lines
						f.Refs = append(f.Refs, bundle.LogPath(p.Namespace, p.Name, ctr.Name, false))
					}
				}
			}
			out = append(out, f)
		}
	}
	return out
}

func (in *Input) pvcFindings(explain func(Subject, ...string)) []Finding {
	var out []Finding
	for _, p := range in.PVCs {
		if p.Status.Phase != corev1.ClaimPending {
			continue
		}
		subj := Subject{Kind: "PersistentVolumeClaim", Namespace: p.Namespace, Name: p.Name}
		msg := "the claim is not bound to a volume"
		for _, e := range in.Events {
			if e.Object.Kind == "PersistentVolumeClaim" && e.Object.Namespace == p.Namespace && e.Object.Name == p.Name {
				msg = e.Reason + ": " + oneLine(e.Message)
			}
		}
		explain(subj, "ProvisioningFailed", "FailedBinding", "ExternalProvisioning")
		f := newFinding("PVCPending", Warning, subj, fmt.Sprintf("PersistentVolumeClaim %s is Pending", p.Name), msg)
		f.Refs = []string{bundle.ResourcesText, bundle.EventsText}
		out = append(out, f)
	}
	return out
}

// conditionFindings flags any object with a condition that says it is not working
// (Ready/Available/Accepted/Programmed/ResolvedRefs False, Degraded/Stalled/Conflicted
// True), wherever under status it sits: APIGraph, Certificate, and Gateway API routes
// per parent Gateway and Gateways per listener.
func (in *Input) conditionFindings(explain func(Subject, ...string)) []Finding {
	var out []Finding
	for i := range in.Objects {
		o := &in.Objects[i]
		for _, c := range conditions.Of(o) {
			if !c.Bad() {
				continue
			}
			subj := Subject{Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
			explain(subj, c.Reason, "ReconcileError", "Failed", "Error")
			state := "not " + c.Type
			if c.Status == "True" {
				state = c.Type
			}
			title := fmt.Sprintf("%s %s is %s (%s)", o.GetKind(), o.GetName(), state, c.Reason)
			expl := fmt.Sprintf("%s=%s, reason %s: %s", c.Type, c.Status, c.Reason, oneLine(c.Message))
			if c.Where != "" {
				title = fmt.Sprintf("%s %s is %s for %s (%s)", o.GetKind(), o.GetName(), state, c.Where, c.Reason)
				expl = fmt.Sprintf("In %s (%s): %s", c.Path, c.Where, expl)
			}
			f := newFinding("ResourceNotReady", Error, subj, title, expl)
			f.Time = c.LastTransition
			if og, ok, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration"); ok && og < o.GetGeneration() && c.Where == "" {
				f.Explanation += fmt.Sprintf(" (status is stale: observedGeneration %d < generation %d)", og, o.GetGeneration())
			}
			f.Refs = []string{bundle.CustomResourcePath(pluralGuess(o.GetKind())), bundle.TimelineText}
			out = append(out, f)
		}
	}
	return out
}

// pluralGuess is the bundle file name of a kind's YAML; collect names it by the plural,
// which for almost every CRD is the lower-case kind plus "s".
func pluralGuess(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
		return k + "es"
	case strings.HasSuffix(k, "y") && !strings.HasSuffix(k, "ay") && !strings.HasSuffix(k, "ey") && !strings.HasSuffix(k, "oy"):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

var volatile = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\d+\b`)

// operatorFindings groups reconcile errors by controller, object and message.
func (in *Input) operatorFindings(crs []Finding, explain func(Subject, ...string)) []Finding {
	var out []Finding
	for _, a := range in.Actions {
		if a.Error == "" && a.Level != "error" && a.Level != "fatal" {
			continue
		}
		subj := Subject{Kind: "Pod", Namespace: a.Namespace, Name: a.Pod}
		if a.Object != nil {
			subj = Subject{Kind: a.Object.Kind, Namespace: a.Object.Namespace, Name: a.Object.Name}
			if subj.Kind == "" {
				subj.Kind = "Object"
			}
		}
		what := a.Error
		if what == "" {
			what = a.Message
		}
		ctrl := a.Controller
		if ctrl == "" {
			ctrl = a.Pod
		}
		f := newFinding("OperatorError", Error, subj, fmt.Sprintf("Operator %s fails to reconcile %s", ctrl, subj.String()),
			oneLine(a.Message+": "+what))
		f.ID += "-" + shortHash(volatile.ReplaceAllString(what, "N"))
		line := fmt.Sprintf("%s  %s", a.Time.UTC().Format("15:04:05.000"), oneLine(a.Message))
		if a.ReconcileID != "" {
			line += " reconcileID=" + a.ReconcileID
		}
		if a.Error != "" {
			line += " error=" + oneLine(a.Error)
		}
		f.Evidence, f.Time = []string{line}, a.Time
		f.Refs = []string{bundle.OperatorActionsJSON, bundle.LogPath(a.Namespace, a.Pod, a.Container, a.Previous)}
		for _, c := range crs {
			if c.Subject == subj {
				f.Related = append(f.Related, c.ID)
			}
		}
		explain(subj, "ReconcileError", "ReconcileFailed")
		out = append(out, f)
	}
	return out
}

func shortHash(s string) string {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

// eventFindings reports Warning events no other finding explains, one per object and reason.
func (in *Input) eventFindings(explained map[string]bool) []Finding {
	var out []Finding
	for _, e := range in.Events {
		if e.Type != corev1.EventTypeWarning {
			continue
		}
		subj := Subject{Kind: e.Object.Kind, Namespace: e.Object.Namespace, Name: e.Object.Name}
		if explained[subj.String()+"|"+e.Reason] {
			continue
		}
		f := newFinding("WarningEvent", Warning, subj, fmt.Sprintf("Warning %s on %s %s", e.Reason, e.Object.Kind, e.Object.Name), oneLine(e.Message))
		f.Count, f.Time, f.Refs = int(e.Count), e.LastSeen, []string{bundle.EventsText}
		out = append(out, f)
	}
	return out
}

func (in *Input) testFindings() []Finding {
	var out []Finding
	for _, c := range in.Tests {
		subj := Subject{Kind: "Test", Namespace: c.Suite, Name: c.Name}
		switch {
		case c.Status.Failing():
			f := newFinding("TestFailed", Error, subj, fmt.Sprintf("Test %s %s", c.Name, c.Status), oneLine(c.Message))
			if c.Details != "" {
				lines := strings.Split(c.Details, "\n")
				if len(lines) > evidenceLines {
					lines = lines[:evidenceLines]
				}
				f.Evidence = lines
			}
			f.Time, f.Count = c.End(), c.Attempts
			f.Refs = []string{bundle.ResultsJSON}
			f.File, f.Line = c.File, c.Line
			out = append(out, f)
		case c.Status == results.Flaky:
			f := newFinding("TestFlaky", Warning, subj, fmt.Sprintf("Test %s is flaky (%d attempts)", c.Name, c.Attempts), oneLine(c.Message))
			f.Time, f.Count, f.Refs = c.End(), c.Attempts, []string{bundle.ResultsJSON}
			out = append(out, f)
		}
	}
	return out
}

func (in *Input) metricFindings() []Finding {
	var out []Finding
	for _, m := range in.Metrics {
		if !m.Breached {
			continue
		}
		f := newFinding("MetricBreach", Error, Subject{Kind: "Metric", Name: m.Name},
			fmt.Sprintf("Metric %s = %g %s breaches %s", m.Name, m.Value, m.Unit, m.Limit()), "A measured value is outside its threshold.")
		out = append(out, f)
	}
	return out
}

func (in *Input) spanFindings() []Finding {
	var out []Finding
	for _, s := range in.ErrorSpans {
		if s.Downstream {
			continue // the span below it, where the error started, is the finding
		}
		explanation := oneLine(s.Message)
		if len(s.Propagated) > 0 {
			explanation += "; it failed in turn: " + strings.Join(s.Propagated, " ← ")
		}
		f := newFinding("ErrorSpan", Error, Subject{Kind: "Service", Name: s.Service}, fmt.Sprintf("Error spans in %s: %s", s.Service, s.Operation), explanation)
		f.Time, f.Evidence, f.Refs = s.Time, []string{"trace " + s.TraceID}, []string{bundle.TracesJSON}
		out = append(out, f)
	}
	return out
}

// pageFindings turns what the browser saw on the console's pages into findings: a page
// that could not load or answered an error, JavaScript errors and uncaught exceptions,
// and the console's own API calls that failed with a server error.
func (in *Input) pageFindings() []Finding {
	var out []Finding
	for _, p := range in.Pages {
		subj := Subject{Kind: "ConsolePage", Name: p.Name}
		refs := []string{bundle.PagesJSON}
		if p.File != "" {
			refs = append(refs, p.File)
		}
		switch {
		case p.Error != "":
			title := fmt.Sprintf("Console page %s could not be captured", p.Name)
			if p.TimedOut {
				title = fmt.Sprintf("Console page %s did not finish loading", p.Name)
			}
			f := newFinding("ConsoleError", Warning, subj, title, oneLine(p.Error))
			f.Evidence, f.Refs = []string{p.URL}, refs
			out = append(out, f)
		case p.Status >= 400:
			f := newFinding("ConsoleError", Error, subj, fmt.Sprintf("Console page %s answered HTTP %d", p.Name, p.Status), fmt.Sprintf("%s answered HTTP %d", p.URL, p.Status))
			f.Refs = refs
			out = append(out, f)
		}
		if len(p.ConsoleErrors) > 0 {
			// What the page itself said beats the browser's "Failed to load resource",
			// and an uncaught exception (what broke the page) beats both.
			first, score := p.ConsoleErrors[0], -1
			for _, m := range p.ConsoleErrors {
				sc := 1
				switch {
				case m.Type == "exception":
					sc = 3
				case !strings.HasPrefix(m.Text, "Failed to load resource"):
					sc = 2
				}
				if sc > score {
					first, score = m, sc
				}
			}
			f := newFinding("ConsoleError", Error, subj, fmt.Sprintf("Browser errors on console page %s", p.Name),
				fmt.Sprintf("%s (%d console error(s) on %s)", oneLine(first.Text), len(p.ConsoleErrors), p.URL))
			f.Count, f.Refs = len(p.ConsoleErrors), refs
			for _, m := range p.ConsoleErrors[:min(len(p.ConsoleErrors), evidenceLines)] {
				line := m.Type + ": " + m.Text
				if m.URL != "" {
					line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line)
				}
				f.Evidence = append(f.Evidence, line)
			}
			out = append(out, f)
		}
		// The console's own API: requests to the page's origin (a third-party script or
		// analytics call that fails says nothing about the system under test).
		origin := pageOrigin(p.URL)
		var failed []bundle.FailedRequest
		for _, r := range p.FailedRequests {
			if !strings.HasPrefix(r.URL, origin) {
				continue
			}
			if r.Status >= 500 || (r.Status == 0 && r.Error != "") {
				failed = append(failed, r)
			}
		}
		if len(failed) > 0 {
			r := failed[0]
			what := fmt.Sprintf("HTTP %d", r.Status)
			if r.Status == 0 {
				what = r.Error
			}
			f := newFinding("ConsoleError", Error, subj, fmt.Sprintf("Console page %s: %d request(s) failed", p.Name, len(failed)),
				fmt.Sprintf("%s %s: %s", r.Method, r.URL, what))
			f.Count, f.Refs = len(failed), refs
			for _, r := range failed[:min(len(failed), evidenceLines)] {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s %s → %d %s", r.Method, r.URL, r.Status, r.Error))
			}
			out = append(out, f)
		}
	}
	return out
}

// pageOrigin is the scheme and host of a page URL ("http://host:port/"), or the service
// prefix collect writes for a port-forwarded console ("service ns/name:port/").
func pageOrigin(u string) string {
	rest := u
	prefix := ""
	if i := strings.Index(u, "://"); i >= 0 {
		prefix, rest = u[:i+3], u[i+3:]
	} else if strings.HasPrefix(u, "service ") {
		prefix, rest = "service ", strings.TrimPrefix(u, "service ")
		if i := strings.Index(rest, "/"); i >= 0 { // the namespace's slash
			prefix, rest = prefix+rest[:i+1], rest[i+1:]
		}
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		rest = rest[:i]
	}
	return prefix + rest + "/"
}

// sourceFindings: a results file that could not be read or parsed is an error of the run
// (its tests' outcome is unknown), never a quiet "passed".
func (in *Input) sourceFindings() []Finding {
	var out []Finding
	for _, src := range in.Sources {
		if src.Error == "" {
			continue
		}
		f := newFinding("ResultsUnreadable", Error, Subject{Kind: "ResultsFile", Name: src.Path},
			fmt.Sprintf("Test results unreadable: %s", src.Path), oneLine(src.Error))
		if src.Cases > 0 {
			f.Explanation += fmt.Sprintf(" (%d tests were read before the error)", src.Cases)
		}
		out = append(out, f)
	}
	return out
}
