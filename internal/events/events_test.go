package events

import (
	"bytes"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/golden"
)

func at(s int) time.Time { return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC) }

func TestSortCopesWithMissingTimestamps(t *testing.T) {
	core := []*corev1.Event{
		// lastTimestamp null, eventTime set (events written through events.k8s.io).
		{ObjectMeta: metav1.ObjectMeta{Name: "b", UID: "b", CreationTimestamp: metav1.NewTime(at(50))}, EventTime: metav1.NewMicroTime(at(20)), Reason: "B", Type: "Warning",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p"}},
		// series: last observed wins over lastTimestamp.
		{ObjectMeta: metav1.ObjectMeta{Name: "c", UID: "c"}, LastTimestamp: metav1.NewTime(at(5)), FirstTimestamp: metav1.NewTime(at(1)),
			Series: &corev1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(at(40))}, Reason: "C", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p"}},
		// only creationTimestamp.
		{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "a", CreationTimestamp: metav1.NewTime(at(10))}, Reason: "A", InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "n"}},
		// only firstTimestamp.
		{ObjectMeta: metav1.ObjectMeta{Name: "d", UID: "d", CreationTimestamp: metav1.NewTime(at(59))}, FirstTimestamp: metav1.NewTime(at(30)), Reason: "D", Message: "multi\nline", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "q"}},
	}
	var list []Event
	for _, e := range core {
		list = append(list, FromCore(e))
	}
	v1 := []Event{
		FromEventsV1(&eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "b", UID: "b"}, EventTime: metav1.NewMicroTime(at(20))}), // duplicate of b
		FromEventsV1(&eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", UID: "e"}, EventTime: metav1.NewMicroTime(at(25)), Reason: "E", Note: "from events.k8s.io",
			Regarding: corev1.ObjectReference{Kind: "Deployment", Name: "d"}, ReportingController: "deployment-controller"}),
	}
	got := Merge(list, v1)
	var order string
	for _, e := range got {
		order += e.Reason
	}
	if order != "ABEDC" {
		t.Errorf("order = %s, want ABEDC", order)
	}
	if got[4].Count != 7 {
		t.Errorf("series count = %d, want 7", got[4].Count)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, got); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/events.golden.txt", buf.Bytes())
}
