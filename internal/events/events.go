// Package events normalises core/v1 and events.k8s.io/v1 events into one list, sorted
// by when they were last seen, and prints them like `kubectl get events`.
package events

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/org/k8s-e2e-report/internal/textsafe"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
)

// Object is what an event is about.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	UID       string `json:"uid,omitempty"`
	FieldPath string `json:"fieldPath,omitempty"`
}

func (o Object) String() string {
	return strings.ToLower(o.Kind) + "/" + o.Name
}

// Event is one event, whichever API it came from.
type Event struct {
	UID       string    `json:"uid"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	Object    Object    `json:"object"`
	Message   string    `json:"message"`
	Source    string    `json:"source,omitempty"`
	Count     int32     `json:"count"`
	FirstSeen time.Time `json:"firstSeen,omitzero"`
	LastSeen  time.Time `json:"lastSeen"`
	API       string    `json:"api"` // "v1" or "events.k8s.io/v1"
}

// FromCore normalises a core/v1 event. Its time is the first of: series last
// observed, lastTimestamp, eventTime, firstTimestamp, creationTimestamp.
func FromCore(e *corev1.Event) Event {
	out := Event{
		UID: string(e.UID), Namespace: e.Namespace, Name: e.Name, Type: e.Type, Reason: e.Reason,
		Object: Object{Kind: e.InvolvedObject.Kind, Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name,
			UID: string(e.InvolvedObject.UID), FieldPath: e.InvolvedObject.FieldPath},
		Message: e.Message, Count: e.Count, API: "v1",
	}
	out.Source = e.Source.Component
	if out.Source == "" {
		out.Source = e.ReportingController
	}
	if e.Source.Host != "" {
		out.Source += ", " + e.Source.Host
	}
	out.FirstSeen = firstNonZero(e.FirstTimestamp.Time, e.EventTime.Time, e.CreationTimestamp.Time)
	var series time.Time
	if e.Series != nil {
		series = e.Series.LastObservedTime.Time
		if c := e.Series.Count; c > out.Count {
			out.Count = c
		}
	}
	out.LastSeen = firstNonZero(series, e.LastTimestamp.Time, e.EventTime.Time, e.FirstTimestamp.Time, e.CreationTimestamp.Time)
	if out.Count == 0 {
		out.Count = 1
	}
	return out
}

// FromEventsV1 normalises an events.k8s.io/v1 event.
func FromEventsV1(e *eventsv1.Event) Event {
	out := Event{
		UID: string(e.UID), Namespace: e.Namespace, Name: e.Name, Type: e.Type, Reason: e.Reason,
		Object: Object{Kind: e.Regarding.Kind, Namespace: e.Regarding.Namespace, Name: e.Regarding.Name,
			UID: string(e.Regarding.UID), FieldPath: e.Regarding.FieldPath},
		Message: e.Note, Source: e.ReportingController, Count: e.DeprecatedCount, API: "events.k8s.io/v1",
	}
	if out.Source == "" {
		out.Source = e.DeprecatedSource.Component
	}
	out.FirstSeen = firstNonZero(e.DeprecatedFirstTimestamp.Time, e.EventTime.Time, e.CreationTimestamp.Time)
	var series time.Time
	if e.Series != nil {
		series = e.Series.LastObservedTime.Time
		if e.Series.Count > out.Count {
			out.Count = e.Series.Count
		}
	}
	out.LastSeen = firstNonZero(series, e.DeprecatedLastTimestamp.Time, e.EventTime.Time, e.DeprecatedFirstTimestamp.Time, e.CreationTimestamp.Time)
	if out.Count == 0 {
		out.Count = 1
	}
	return out
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Merge deduplicates events seen through both APIs (same UID), keeping the first,
// and sorts them.
func Merge(lists ...[]Event) []Event {
	seen := map[string]bool{}
	var out []Event
	for _, l := range lists {
		for _, e := range l {
			key := e.UID
			if key == "" {
				key = e.Namespace + "/" + e.Name
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, e)
		}
	}
	Sort(out)
	return out
}

// Sort orders events by last seen, then first seen, namespace and name, so that the
// order is the same on every run.
func Sort(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.LastSeen.Equal(b.LastSeen) {
			return a.LastSeen.Before(b.LastSeen)
		}
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// WriteTable prints events like `kubectl get events -A`, with absolute times (a bundle
// is read long after it was written, so "5m ago" would mislead).
func WriteTable(w io.Writer, evs []Event) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "LAST SEEN\tNAMESPACE\tTYPE\tREASON\tOBJECT\tCOUNT\tSOURCE\tMESSAGE")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			formatTime(e.LastSeen), e.Namespace, e.Type, e.Reason, e.Object, e.Count, e.Source, textsafe.Flatten(e.Message))
	}
	return tw.Flush()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return t.UTC().Format(time.RFC3339)
}
