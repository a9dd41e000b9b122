// Package timeline merges everything with a time into one chronological list: events,
// container starts/terminations/restarts, pod and custom-resource condition transitions,
// Job starts and completions, and operator actions.
package timeline

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/events"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// Sources of entries.
const (
	SourceEvent     = "event"
	SourceContainer = "container"
	SourcePod       = "pod"
	SourceCondition = "condition"
	SourceJob       = "job"
	SourceOperator  = "operator"
	SourceTest      = "test"
	// SourcePhase is a pod's phases as intervals (Pending, Running) and the phase it ended
	// in: kept apart (Builder.Phases) for the page's lanes; the text timelines leave them
	// out, their container lines say the same.
	SourcePhase = "phase"
)

// Entry is one fact of the timeline: a moment, or an interval (a container's run, a
// Job, a test case) from Time to End.
type Entry struct {
	Time     time.Time      `json:"time"`
	End      time.Time      `json:"end,omitzero"` // intervals only
	Source   string         `json:"source"`
	Object   kube.ObjectRef `json:"object"`
	Reason   string         `json:"reason,omitempty"` // the event's or condition's reason, a termination's, a test's status
	Message  string         `json:"message"`
	Severity string         `json:"severity,omitempty"` // "warning" or "error" when something went wrong
	Open     bool           `json:"open,omitempty"`     // an interval still going when the facts were read (a running container)
}

// Builder collects entries, and pods' phases apart.
type Builder struct{ entries, phases []Entry }

// add adds a moment (an interval when end is set) and returns it (nil without a time),
// to be changed before the next add.
func (b *Builder) add(t, end time.Time, source string, object kube.ObjectRef, severity, reason, format string, args ...any) *Entry {
	return addTo(&b.entries, t, end, source, object, severity, reason, format, args...)
}

func addTo(list *[]Entry, t, end time.Time, source string, object kube.ObjectRef, severity, reason, format string, args ...any) *Entry {
	if t.IsZero() {
		return nil
	}
	e := Entry{Time: t.UTC(), Source: source, Object: object, Reason: reason, Message: fmt.Sprintf(format, args...), Severity: severity}
	if !end.IsZero() && !end.Before(t) {
		e.End = end.UTC()
	}
	*list = append(*list, e)
	return &(*list)[len(*list)-1]
}

var ref = kube.Ref

// Events adds one entry per event, at its last-seen time.
func (b *Builder) Events(evs []events.Event) {
	for _, e := range evs {
		sev := ""
		if e.Type == corev1.EventTypeWarning {
			sev = "warning"
		}
		msg := fmt.Sprintf("%s %s: %s", e.Type, e.Reason, e.Message)
		if e.Count > 1 {
			msg += fmt.Sprintf(" (x%d since %s)", e.Count, e.FirstSeen.UTC().Format(time.RFC3339))
		}
		b.add(e.LastSeen, time.Time{}, SourceEvent, ref(e.Object.Kind, e.Object.Namespace, e.Object.Name), sev, e.Reason, "%s", msg)
	}
}

// Pods adds container starts, terminations and restarts, and pod condition transitions.
func (b *Builder) Pods(pods []corev1.Pod) {
	for i := range pods {
		p := &pods[i]
		obj := ref("Pod", p.Namespace, p.Name)
		for _, c := range p.Status.Conditions {
			sev := ""
			if c.Status != corev1.ConditionTrue {
				sev = "warning"
			}
			b.add(c.LastTransitionTime.Time, time.Time{}, SourcePod, obj, sev, c.Reason, "%s=%s%s", c.Type, c.Status, reasonMsg(c.Reason, c.Message))
		}
		b.podPhases(obj, p)
		for _, group := range []struct {
			label string
			st    []corev1.ContainerStatus
		}{{"init container", p.Status.InitContainerStatuses}, {"container", p.Status.ContainerStatuses}, {"ephemeral container", p.Status.EphemeralContainerStatuses}} {
			for _, cs := range group.st {
				b.container(obj, group.label, cs)
			}
		}
	}
}

// podPhases adds a pod's phases (to Phases): Pending from its creation until its first container
// started, Running from then until its last container finished (open while it runs), and
// the phase it ended in. A pod that never started stays Pending (open) unless it ended.
func (b *Builder) podPhases(obj kube.ObjectRef, p *corev1.Pod) {
	add := func(t, end time.Time, sev, reason, format string, args ...any) *Entry {
		return addTo(&b.phases, t, end, SourcePhase, obj, sev, reason, format, args...)
	}
	var first, last time.Time
	for _, cs := range p.Status.ContainerStatuses {
		for _, st := range []corev1.ContainerState{cs.State, cs.LastTerminationState} {
			var start, end time.Time
			if r := st.Running; r != nil {
				start = r.StartedAt.Time
			}
			if t := st.Terminated; t != nil {
				start, end = t.StartedAt.Time, t.FinishedAt.Time
			}
			if !start.IsZero() && (first.IsZero() || start.Before(first)) {
				first = start
			}
			if end.After(last) {
				last = end
			}
		}
	}
	created, phase := p.CreationTimestamp.Time, p.Status.Phase
	ended := phase == corev1.PodSucceeded || phase == corev1.PodFailed
	sev := ""
	if phase == corev1.PodFailed {
		sev = "error"
	}
	if first.IsZero() {
		if e := add(created, time.Time{}, "", "Pending", "Pending"); e != nil && phase == corev1.PodPending {
			e.Open = true
		}
		return
	}
	if first.After(created) {
		add(created, first, "", "Pending", "Pending for %s", first.Sub(created).Round(time.Millisecond))
	}
	if ended && !last.IsZero() {
		add(first, last, "", "Running", "Running for %s", last.Sub(first).Round(time.Millisecond))
		add(last, time.Time{}, sev, string(phase), "%s", phase)
		return
	}
	if e := add(first, time.Time{}, "", "Running", "Running"); e != nil {
		e.Open = true
	}
}

// container adds a container's runs: each start is an interval that ends when the run
// terminated (open while it runs), and each termination a moment.
func (b *Builder) container(obj kube.ObjectRef, label string, cs corev1.ContainerStatus) {
	name := fmt.Sprintf("%s %s", label, cs.Name)
	if t := cs.LastTerminationState.Terminated; t != nil {
		b.add(t.StartedAt.Time, t.FinishedAt.Time, SourceContainer, obj, "", "", "%s started (previous run)", name)
		sev := ""
		if t.ExitCode != 0 {
			sev = "error"
		}
		b.add(t.FinishedAt.Time, time.Time{}, SourceContainer, obj, sev, t.Reason, "%s terminated: %s, exit code %d%s (restart count now %d)", name, t.Reason, t.ExitCode, msgSuffix(t.Message), cs.RestartCount)
	}
	if r := cs.State.Running; r != nil {
		verb := "started"
		if cs.RestartCount > 0 {
			verb = fmt.Sprintf("restarted (restart %d)", cs.RestartCount)
		}
		if e := b.add(r.StartedAt.Time, time.Time{}, SourceContainer, obj, "", "", "%s %s", name, verb); e != nil {
			e.Open = true // running: an interval with no end yet
		}
	}
	if t := cs.State.Terminated; t != nil {
		b.add(t.StartedAt.Time, t.FinishedAt.Time, SourceContainer, obj, "", "", "%s started", name)
		sev := ""
		if t.ExitCode != 0 {
			sev = "error"
		}
		b.add(t.FinishedAt.Time, time.Time{}, SourceContainer, obj, sev, t.Reason, "%s terminated: %s, exit code %d%s", name, t.Reason, t.ExitCode, msgSuffix(t.Message))
	}
}

func reasonMsg(reason, msg string) string {
	s := ""
	if reason != "" {
		s = " " + reason
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

func msgSuffix(m string) string {
	if m == "" {
		return ""
	}
	return " (" + m + ")"
}

// Jobs adds Job starts, completions and condition transitions (a failed Job stands out).
func (b *Builder) Jobs(jobs []batchv1.Job) {
	for i := range jobs {
		j := &jobs[i]
		obj := ref("Job", j.Namespace, j.Name)
		var done time.Time
		if j.Status.CompletionTime != nil {
			done = j.Status.CompletionTime.Time
		}
		if j.Status.StartTime != nil {
			b.add(j.Status.StartTime.Time, done, SourceJob, obj, "", "", "job started")
		}
		if j.Status.CompletionTime != nil {
			b.add(j.Status.CompletionTime.Time, time.Time{}, SourceJob, obj, "", "", "job completed (%d succeeded)", j.Status.Succeeded)
		}
		for _, c := range j.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			sev := ""
			if c.Type == batchv1.JobFailed || c.Type == batchv1.JobFailureTarget {
				sev = "error"
			}
			b.add(c.LastTransitionTime.Time, time.Time{}, SourceJob, obj, sev, c.Reason, "JOB %s%s", strings.ToUpper(string(c.Type)), reasonMsg(c.Reason, c.Message))
		}
	}
}

// Conditions adds status.conditions transitions of any objects (custom resources and
// others not covered above).
func (b *Builder) Conditions(objs []unstructured.Unstructured) {
	for i := range objs {
		o := &objs[i]
		conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
		for _, c := range conds {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			ts, _ := m["lastTransitionTime"].(string)
			t, err := time.Parse(time.RFC3339, ts)
			if err != nil {
				continue
			}
			typ, _ := m["type"].(string)
			status, _ := m["status"].(string)
			reason, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			b.add(t, time.Time{}, SourceCondition, ref(o.GetKind(), o.GetNamespace(), o.GetName()), conditionSeverity(typ, status), reason, "%s=%s%s", typ, status, reasonMsg(reason, msg))
		}
	}
}

// conditionSeverity flags positive-polarity conditions that are not True, and
// negative-polarity ones (…Pressure, Degraded, Stalled, Failed) that are True.
func conditionSeverity(typ, status string) string {
	negative := strings.HasSuffix(typ, "Pressure") || typ == "Degraded" || typ == "Stalled" || typ == "Failed" || typ == "NetworkUnavailable"
	switch {
	case negative && status == "True":
		return "warning"
	case !negative && status == "False":
		return "warning"
	}
	return ""
}

// Operator adds parsed operator actions.
func (b *Builder) Operator(actions []opactions.Action) {
	for _, a := range actions {
		obj := ref("Pod", a.Namespace, a.Pod)
		if a.Object != nil {
			obj = a.Object.Ref()
		}
		sev := ""
		if a.Failed() {
			sev = "error"
		} else if a.Level == "warning" {
			sev = "warning"
		}
		msg := a.Message
		if a.Controller != "" {
			msg = a.Controller + ": " + msg
		}
		if a.ReconcileID != "" {
			msg += " [reconcileID " + a.ReconcileID + "]"
		}
		if a.Error != "" {
			msg += ": " + a.Error
		}
		b.add(a.Time, time.Time{}, SourceOperator, obj, sev, "", "%s", msg)
	}
}

// Phases are the pods' phases, in time order.
func (b *Builder) Phases() []Entry {
	out := append([]Entry(nil), b.phases...)
	sortByTime(out)
	return out
}

// Entries returns the entries sorted by time (stable: same-time entries keep the
// order they were added in, then by source and object).
func (b *Builder) Entries() []Entry {
	out := append([]Entry(nil), b.entries...)
	sortByTime(out)
	return out
}

// Write prints the timeline: time, offset from the first entry, source, object, message.
func Write(w io.Writer, entries []Entry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "(no timed entries)")
		return err
	}
	t0 := entries[0].Time
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tOFFSET\tSOURCE\tOBJECT\tMESSAGE")
	for _, e := range entries {
		mark := ""
		switch e.Severity {
		case "error":
			mark = "!! "
		case "warning":
			mark = "! "
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\n", e.Time.Format("2006-01-02T15:04:05.000Z"), Offset(e.Time.Sub(t0)), e.Source, e.Object, mark, textsafe.Flatten(e.Message))
	}
	return tw.Flush()
}

// Offset formats a duration from the first entry as +MM:SS.mmm (or +H:MM:SS.mmm).
func Offset(d time.Duration) string {
	ms := d.Milliseconds()
	h, m, s, frac := ms/3_600_000, (ms/60_000)%60, (ms/1000)%60, ms%1000
	if h > 0 {
		return fmt.Sprintf("+%d:%02d:%02d.%03d", h, m, s, frac)
	}
	return fmt.Sprintf("+%02d:%02d.%03d", m, s, frac)
}

// Key identifies an entry by its content: the same fact seen twice (a pod's status read
// by collect and by watch, or again after a re-list) has the same key.
func (e Entry) Key() string {
	return e.Time.UTC().Format(time.RFC3339Nano) + "\x00" + e.Source + "\x00" + e.Object.String() + "\x00" + e.Message
}

// Merge adds to entries those of more it does not have (by Key), in time order.
func Merge(entries, more []Entry) []Entry {
	if len(more) == 0 {
		return entries
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		seen[e.Key()] = true
	}
	out := append([]Entry(nil), entries...)
	for _, e := range more {
		if k := e.Key(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	sortByTime(out)
	return out
}

// sortByTime puts entries in time order; entries of the same time keep their order.
func sortByTime(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.Time.Compare(b.Time) })
}
