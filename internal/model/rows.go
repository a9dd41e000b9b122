package model

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/conditions"
	"github.com/org/k8s-e2e-report/internal/fingerprint"
	"github.com/org/k8s-e2e-report/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func podRows(pods []corev1.Pod, deleted map[string]time.Time) []PodRow {
	var out []PodRow
	for _, p := range pods {
		row := PodRow{Namespace: p.Namespace, Name: p.Name, Phase: string(p.Status.Phase), Node: p.Spec.NodeName, Reason: p.Status.Reason}
		ready := 0
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Ready {
				ready++
			}
			row.Restarts += cs.RestartCount
			if w := cs.State.Waiting; w != nil && w.Reason != "" {
				row.Reason = w.Reason
			} else if t := cs.State.Terminated; t != nil && row.Reason == "" && t.Reason != "Completed" {
				row.Reason = t.Reason
			} else if lt := cs.LastTerminationState.Terminated; lt != nil && row.Reason == "" {
				row.Reason = "last: " + lt.Reason
			}
		}
		if row.Reason == "" && p.Status.Phase == corev1.PodPending {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
					row.Reason = c.Reason
				}
			}
		}
		row.Ready = fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers))
		if at, gone := deleted[p.Namespace+"/"+p.Name]; gone {
			row.Deleted = at
			row.Reason = strings.TrimSpace("deleted " + row.Reason)
		}
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			for _, t := range []*corev1.ContainerStateTerminated{cs.LastTerminationState.Terminated, cs.State.Terminated} {
				if t == nil || t.Reason == "Completed" && t.ExitCode == 0 {
					continue
				}
				if row.LastTermination == nil || t.FinishedAt.After(row.LastTermination.At) {
					row.LastTermination = &Termination{Container: cs.Name, Reason: t.Reason, ExitCode: t.ExitCode, At: t.FinishedAt.Time}
				}
			}
		}
		out = append(out, row)
	}
	// Unhealthy pods first.
	sort.SliceStable(out, func(i, j int) bool {
		if hi, hj := out[i].Healthy(), out[j].Healthy(); hi != hj {
			return hj
		}
		return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name
	})
	return out
}

// customResources are the objects of custom resource types (what the manifest says
// collect found served by a CRD; for an older bundle, kube.CustomGroup), by kind.
func customResources(objs []unstructured.Unstructured, m *bundle.Manifest) []CRType {
	recorded := map[string]bool{}
	if m != nil {
		for _, t := range m.Types {
			recorded[t.APIVersion+"/"+t.Kind] = true
		}
	}
	byKind := map[string]*CRType{}
	var kinds []string
	for _, o := range objs {
		if !recorded[o.GetAPIVersion()+"/"+o.GetKind()] && !kube.CustomGroup(o.GroupVersionKind().Group) {
			continue // built-in types (Deployments and friends have their own sections)
		}
		k := o.GetKind()
		t, ok := byKind[k]
		if !ok {
			t = &CRType{Kind: k}
			byKind[k] = t
			kinds = append(kinds, k)
		}
		item := CRItem{Namespace: o.GetNamespace(), Name: o.GetName(), Generation: o.GetGeneration()}
		item.ObservedGeneration, _, _ = unstructured.NestedInt64(o.Object, "status", "observedGeneration")
		for _, c := range conditions.Of(&o) {
			item.Conditions = append(item.Conditions, Condition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message, LastTransition: c.LastTransition, Where: c.Where})
		}
		t.Items = append(t.Items, item)
	}
	sort.Strings(kinds)
	out := []CRType{}
	for _, k := range kinds {
		out = append(out, *byKind[k])
	}
	return out
}

// extractErrors deduplicates error and warning lines across all tails.
func extractErrors(tails []LogTail) []ExtractedError {
	idx := map[string]int{}
	var out []ExtractedError
	for _, t := range tails {
		for _, l := range t.Lines {
			if l.Level == "" {
				continue
			}
			key := fingerprint.Normalise(l.Text)
			if i, ok := idx[key]; ok {
				out[i].Count++
				if len(out[i].Sources) < 5 && !contains(out[i].Sources, t.File) {
					out[i].Sources = append(out[i].Sources, t.File)
				}
				continue
			}
			idx[key] = len(out)
			out = append(out, ExtractedError{Text: l.Text, Level: l.Level, Count: 1, Sources: []string{t.File}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level == "error"
		}
		return out[i].Count > out[j].Count
	})
	if out == nil {
		out = []ExtractedError{}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
