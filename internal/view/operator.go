package view

import (
	"sort"
	"time"

	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/opactions"
)

// Reconcile is an operator's reconciles of one object: how many, how many failed
// (Action.Failed), and the last one.
type Reconcile struct {
	Controller string
	Object     kube.ObjectRef
	Actions    int
	Errors     int
	Last       time.Time
	LastFailed bool
	LastError  string // the last failure's error, else its message
}

// Failing reports a reconcile whose last action failed.
func (r Reconcile) Failing() bool { return r.LastFailed }

// Reconciles groups operator actions that name an object by controller and object, in
// the order first seen, those whose last reconcile failed first.
func Reconciles(actions []opactions.Action) []Reconcile {
	idx := map[string]int{}
	out := []Reconcile{}
	for _, a := range actions {
		if a.Object == nil || a.Object.Name == "" {
			continue
		}
		obj := a.Object.Ref()
		key := a.Controller + "\x00" + obj.String()
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Reconcile{Controller: a.Controller, Object: obj})
		}
		rc := &out[i]
		rc.Actions++
		if !a.Time.IsZero() {
			rc.Last = a.Time
		}
		rc.LastFailed = a.Failed()
		if rc.LastFailed {
			rc.Errors++
			rc.LastError = a.Error
			if rc.LastError == "" {
				rc.LastError = a.Message
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastFailed && !out[j].LastFailed })
	return out
}

// Resource is a custom resource with its conditions and whether its status is stale.
type Resource struct {
	Kind string
	model.CRItem
	Stale bool
}

// Resources lists the custom resources of every type, in the report's order.
func Resources(types []model.CRType) []Resource {
	var out []Resource
	for _, t := range types {
		for _, it := range t.Items {
			out = append(out, Resource{Kind: t.Kind, CRItem: it, Stale: it.Stale()})
		}
	}
	return out
}

// Ref is the resource's reference.
func (r Resource) Ref() kube.ObjectRef { return kube.Ref(r.Kind, r.Namespace, r.Name) }
