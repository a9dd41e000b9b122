package timeline

import (
	"bytes"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/golden"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/opactions"
)

func at(s float64) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second)))
}

func mt(s float64) metav1.Time { return metav1.NewTime(at(s)) }

func TestTimelineGolden(t *testing.T) {
	var b Builder
	b.Operator([]opactions.Action{{Time: at(40.4), Level: "error", Namespace: "ns", Pod: "operator-x", Controller: "apigraph",
		Object: &opactions.Object{Kind: "APIGraph", Namespace: "ns", Name: "orders"}, ReconcileID: "7c2e", Message: "Reconciler error", Error: "denied"}})
	b.Events([]events.Event{{Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container", Count: 5,
		Object: events.Object{Kind: "Pod", Namespace: "ns", Name: "builder-1"}, FirstSeen: at(60), LastSeen: at(90)}})
	b.Pods([]corev1.Pod{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "builder-1"},
		Status: corev1.PodStatus{
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", LastTransitionTime: mt(61)}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "builder", RestartCount: 5,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", StartedAt: mt(59), FinishedAt: mt(60.5)}}}},
		},
	}})
	b.Jobs([]batchv1.Job{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "e2e-tests"},
		Status: batchv1.JobStatus{StartTime: ptr(mt(0)), Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: mt(3725)}}},
	}})
	b.Conditions([]unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "turboengine.io/v1alpha1", "kind": "APIGraph", "metadata": map[string]any{"namespace": "ns", "name": "orders"},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "DependencyNotReady", "message": "line1\nline2", "lastTransitionTime": "2026-01-01T00:00:45Z"}}},
	}}})
	var buf bytes.Buffer
	if err := Write(&buf, b.Entries()); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/timeline.golden.txt", buf.Bytes())
}

func ptr[T any](v T) *T { return &v }

func TestOffset(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "+00:00.000", 61500 * time.Millisecond: "+01:01.500", 3725 * time.Second: "+1:02:05.000"} {
		if got := Offset(d); got != want {
			t.Errorf("Offset(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestMergeKeepsEachFactOnce(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC) }
	a := []Entry{{Time: at(1), Source: SourcePod, Object: kube.Ref("Pod", "ns", "p"), Message: "Ready=True"}, {Time: at(5), Source: SourceEvent, Object: kube.Ref("Pod", "ns", "p"), Message: "x"}}
	b := []Entry{{Time: at(1), Source: SourcePod, Object: kube.Ref("Pod", "ns", "p"), Message: "Ready=True"}, {Time: at(3), Source: "watch", Object: kube.Ref("Pod", "ns", "p"), Message: "pod deleted"},
		{Time: at(3), Source: "watch", Object: kube.Ref("Pod", "ns", "p"), Message: "pod deleted"}}
	got := Merge(a, b)
	if len(got) != 3 || got[1].Message != "pod deleted" || got[2].Time != at(5) {
		t.Errorf("merged = %+v", got)
	}
	if len(a) != 2 {
		t.Error("Merge changed its input")
	}
}

// A pod's phases are intervals kept apart from the text timeline: Pending until its
// first container started, Running until its last finished, then the phase it ended in
// (an error when Failed); a pod still running or pending has an open last phase.
func TestPodPhases(t *testing.T) {
	pod := func(name string, phase corev1.PodPhase, cs ...corev1.ContainerStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", CreationTimestamp: mt(0)},
			Status: corev1.PodStatus{Phase: phase, ContainerStatuses: cs}}
	}
	failed := pod("job-1", corev1.PodFailed,
		corev1.ContainerStatus{Name: "a", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{StartedAt: mt(5), FinishedAt: mt(30), ExitCode: 1}}},
		corev1.ContainerStatus{Name: "b", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{StartedAt: mt(4), FinishedAt: mt(20)}}})
	running := pod("web-1", corev1.PodRunning, corev1.ContainerStatus{Name: "a",
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: mt(50)}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{StartedAt: mt(10), FinishedAt: mt(40), ExitCode: 2}}})
	pending := pod("stuck-1", corev1.PodPending)
	var b Builder
	b.Pods([]corev1.Pod{failed, running, pending})
	type phase struct {
		obj, reason, sev string
		start, end       float64
		open             bool
	}
	var got []phase
	for _, e := range b.Phases() {
		if e.Source != SourcePhase {
			t.Errorf("phase entry with source %q", e.Source)
		}
		p := phase{obj: e.Object.Name, reason: e.Reason, sev: e.Severity, start: e.Time.Sub(at(0)).Seconds(), open: e.Open}
		if !e.End.IsZero() {
			p.end = e.End.Sub(at(0)).Seconds()
		}
		got = append(got, p)
	}
	want := []phase{
		{"job-1", "Pending", "", 0, 4, false}, {"web-1", "Pending", "", 0, 10, false}, {"stuck-1", "Pending", "", 0, 0, true},
		{"job-1", "Running", "", 4, 30, false}, {"web-1", "Running", "", 10, 0, true}, {"job-1", "Failed", "error", 30, 0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("phases = %+v\nwant %+v", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no phase %+v in %+v", w, got)
		}
	}
	for _, e := range b.Entries() {
		if e.Source == SourcePhase {
			t.Errorf("the text timeline carries a phase: %+v", e)
		}
	}
}
