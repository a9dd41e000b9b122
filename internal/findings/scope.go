package findings

import (
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/bundle"
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

// Input is everything the detectors look at, already read from the bundle (and
// scrubbed) by the model.
type Input struct {
	Pods               []corev1.Pod
	ReplicaSets        []appsv1.ReplicaSet
	Deployments        []appsv1.Deployment
	Jobs               []batchv1.Job
	PVCs               []corev1.PersistentVolumeClaim
	Namespaces         []corev1.Namespace // those collected, and any stuck Terminating
	StatefulSets       []appsv1.StatefulSet
	DaemonSets         []appsv1.DaemonSet
	Services           []corev1.Service
	PDBs               []policyv1.PodDisruptionBudget
	Secrets            []SecretRef // names and types only: a finding may name a Secret, never its data
	Ingresses          []networkingv1.Ingress
	MutatingWebhooks   []admissionv1.MutatingWebhookConfiguration
	ValidatingWebhooks []admissionv1.ValidatingWebhookConfiguration
	Objects            []unstructured.Unstructured // anything else that may have status.conditions
	Events             []events.Event
	Actions            []opactions.Action
	Tests              []results.Case
	Sources            []results.Source // the results files; one with an Error could not be read
	Metrics            []metrics.Metric
	ErrorSpans         []Span
	Pages              []bundle.Page // console pages the browser captured
	Logs               Logs          // the containers' logs; nil: none
	// Collected is what collect was asked for (namespaces, or all) and when it ran; a
	// Terminating namespace outside it matters only when the run touched it.
	Collected Collected
	// ObjectFile names the bundle file that holds an object of this apiVersion and kind
	// (what the bundle's manifest says collect wrote); nil or "": resources.json.
	ObjectFile func(apiVersion, kind string) string
}

// SecretRef is a Secret's name and type.
type SecretRef struct{ Namespace, Name, Type string }

// Collected is the scope and time of the collection.
type Collected struct {
	Namespaces []string
	All        bool
	At         time.Time // when collect started; zero: unknown
}

// In reports whether collect was asked for this namespace.
func (c Collected) In(ns string) bool {
	if c.All {
		return true
	}
	for _, n := range c.Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// LogLine is one line of a container log's tail, as the model read it.
type LogLine struct {
	Namespace, Pod, Container string
	Previous                  bool
	Time                      time.Time
	Text                      string
}

// Logs reads container logs of the bundle, already scrubbed.
type Logs interface {
	// Lines are the tails' lines: an unhealthy container's whole tail, a healthy one's
	// error and warning lines and its last lines.
	Lines() []LogLine
	// Tail is the last n lines of a container's log (nil if absent).
	Tail(namespace, pod, container string, previous bool, n int) []string
	// Around is the lines of a container's current log written just before and from at.
	Around(namespace, pod, container string, at time.Time, before, after int) []string
}

// evidenceLines is how many log lines a finding quotes.
const evidenceLines = 12

// Scope is what a detector sees: the input, what earlier detectors found, and which
// events those findings explain already.
type Scope struct {
	*Input
	found     []Finding
	explained map[string]bool      // "Kind/ns/name|Reason" of events a finding explains
	onPod     map[string][]Finding // pod ns/name -> the findings on it, causes of its workload's
	// recoveredMemo: ns/pod/container -> whether its previous log is history (recovered)
	recoveredMemo map[string]bool
	index         *index    // built at first use (index.go)
	logLines      []LogLine // the logs' lines, read at first use
}

func newScope(in *Input) *Scope {
	return &Scope{Input: in, explained: map[string]bool{}, onPod: map[string][]Finding{}, recoveredMemo: map[string]bool{}}
}

// explain marks events of these reasons on the subject as explained by a finding.
func (s *Scope) explain(subj Subject, reasons ...string) {
	for _, r := range reasons {
		s.explained[subj.String()+"|"+r] = true
	}
}

// podReasons are the events a finding on a pod explains.
var podReasons = []string{"BackOff", "Failed", "OOMKilling", "FailedScheduling", "Evicted", "ErrImagePull", "ImagePullBackOff", "FailedMount", "Unhealthy", "Killing"}

// onPodFinding records a finding on a pod: it explains the pod's events and may be the
// cause of its workload's.
func (s *Scope) onPodFinding(f Finding) Finding {
	s.onPod[f.Subject.Namespace+"/"+f.Subject.Name] = append(s.onPod[f.Subject.Namespace+"/"+f.Subject.Name], f)
	s.explain(f.Subject, podReasons...)
	return f
}

// foundIn is what earlier detectors found of a category.
func (s *Scope) foundIn(c Category) []Finding {
	var out []Finding
	for _, f := range s.found {
		if f.Category == c.Name {
			out = append(out, f)
		}
	}
	return out
}

// lines are the logs' tail lines (none without logs), read once per Detect.
func (s *Scope) lines() []LogLine {
	if s.Logs == nil {
		return nil
	}
	if s.logLines == nil {
		s.logLines = s.Logs.Lines()
		if s.logLines == nil {
			s.logLines = []LogLine{}
		}
	}
	return s.logLines
}

func (s *Scope) tail(ns, pod, ctr string, previous bool) []string {
	if s.Logs == nil {
		return nil
	}
	return s.Logs.Tail(ns, pod, ctr, previous, evidenceLines)
}

func (s *Scope) around(ns, pod, ctr string, at time.Time) []string {
	if s.Logs == nil {
		return nil
	}
	return s.Logs.Around(ns, pod, ctr, at, evidenceLines/2, evidenceLines/2)
}

func (s *Scope) objectFile(apiVersion, kind string) string {
	if s.ObjectFile != nil {
		if f := s.ObjectFile(apiVersion, kind); f != "" {
			return f
		}
	}
	return bundle.ResourcesJSON
}

func (s *Scope) pod(subj Subject) *corev1.Pod {
	if subj.Kind != "Pod" {
		return nil
	}
	return s.idx().pods[subj.Namespace+"/"+subj.Name]
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
