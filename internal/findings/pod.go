package findings

import (
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/loglines"
	corev1 "k8s.io/api/core/v1"
)

// What is wrong with one container, as the pod detectors see it: each container has at
// most one such cause (CrashLoopBackOff first: a crash loop whose last run was
// OOM-killed is a crash loop), and a pod with one has no HighRestarts finding.
var (
	crashLoopBackOff           = Category{"CrashLoopBackOff", 100}
	oomKilled                  = Category{"OOMKilled", 95}
	imagePullBackOff           = Category{"ImagePullBackOff", 90}
	createContainerConfigError = Category{"CreateContainerConfigError", 90}
)

func containerCause(cs *corev1.ContainerStatus) (Category, bool) {
	w, last, now := cs.State.Waiting, cs.LastTerminationState.Terminated, cs.State.Terminated
	switch {
	case w != nil && w.Reason == "CrashLoopBackOff":
		return crashLoopBackOff, true
	case (last != nil && last.Reason == "OOMKilled") || (now != nil && now.Reason == "OOMKilled"):
		return oomKilled, true
	case w != nil && (w.Reason == "ImagePullBackOff" || w.Reason == "ErrImagePull" || w.Reason == "InvalidImageName"):
		return imagePullBackOff, true
	case w != nil && (w.Reason == "CreateContainerConfigError" || w.Reason == "CreateContainerError" || w.Reason == "RunContainerError"):
		return createContainerConfigError, true
	}
	return Category{}, false
}

// containerStatuses are a pod's init, app and ephemeral containers' statuses.
func containerStatuses(p *corev1.Pod) []corev1.ContainerStatus {
	return append(append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...), p.Status.EphemeralContainerStatuses...)
}

// containersWith runs f on each container of each pod whose cause is c, and records
// what f returns as a finding on the pod.
func (s *Scope) containersWith(c Category, f func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding) []Finding {
	var out []Finding
	for i := range s.Pods {
		p := &s.Pods[i]
		for _, cs := range containerStatuses(p) {
			if got, ok := containerCause(&cs); ok && got == c {
				out = append(out, s.onPodFinding(f(p, &cs)))
			}
		}
	}
	return out
}

// containerSpec is the init or app container of that name (nil if none).
func containerSpec(p *corev1.Pod, name string) *corev1.Container {
	var found *corev1.Container
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				found = &list[i] // the last of that name, as kubectl describe shows it
			}
		}
	}
	return found
}

// quoteDeath is the line that says why a process died (see loglines.Telling), and the
// lines to quote.
func quoteDeath(lines []string) (string, []string) {
	if i := loglines.Telling(lines); i >= 0 {
		return strings.TrimSpace(lines[i]), lines
	}
	return "", lines
}

// recovered: a previous container's log, of a pod Ready now whose container has run
// since a restart long past (before every failed test's window and a minute before
// collect, with fewer than 3 restarts): its errors are history, not failures.
func (s *Scope) recovered(ns, pod, ctr string) bool {
	k := ns + "/" + pod + "/" + ctr
	if v, ok := s.recoveredMemo[k]; ok {
		return v
	}
	v := s.isRecovered(ns, pod, ctr)
	s.recoveredMemo[k] = v
	return v
}

func (s *Scope) isRecovered(ns, pod, ctr string) bool {
	p := s.pod(Subject{Kind: "Pod", Namespace: ns, Name: pod})
	if p == nil || !podReady(p) || p.DeletionTimestamp != nil {
		return false
	}
	for _, cs := range containerStatuses(p) {
		if cs.Name != ctr {
			continue
		}
		run := cs.State.Running
		if run == nil || !cs.Ready || cs.RestartCount >= 3 {
			return false
		}
		since := run.StartedAt.Time
		if !s.Collected.At.IsZero() && since.After(s.Collected.At.Add(-time.Minute)) {
			return false
		}
		for _, c := range s.Tests {
			if c.Status.Failing() && !c.Start.IsZero() && !since.Before(c.Start.Add(-time.Minute)) {
				return false
			}
		}
		return true
	}
	return false
}
