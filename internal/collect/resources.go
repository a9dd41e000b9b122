package collect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/kube"
)

// resourceType is one listable resource found by discovery.
type resourceType struct {
	kube.Resource
	Custom    bool // served by a CustomResourceDefinition
	Requested bool // named by --crd
}

// resources holds what the resources collector listed, for the other collectors.
type resources struct {
	mu    sync.Mutex
	types []resourceType
	byGVR map[schema.GroupVersionResource][]unstructured.Unstructured
	// omitted are the types a least-privilege identity may not read by design.
	omitted []string
	gone    map[string]bundle.Deletion // ns/name of pods watch saw that are gone now
}

// isGone: a pod deleted during the run, whose last state watch kept.
func (rs *resources) isGone(p *corev1.Pod) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	_, ok := rs.gone[p.Namespace+"/"+p.Name]
	return ok
}

func (rs *resources) objects(gvr schema.GroupVersionResource) []unstructured.Unstructured {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byGVR[gvr]
}

var (
	podsGVR       = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	nodesGVR      = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	// webhookTypes are collected although cluster-scoped: a webhook whose Service is
	// down fails every request it intercepts (k8sgpt's webhook analyzers).
	webhookTypes = map[schema.GroupVersionResource]bool{
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}:   true,
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}: true,
	}
	jobsGVR    = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	crdsGVR    = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	skipTypes  = map[string]bool{"events": true, "events.events.k8s.io": true}
)

// uids is the set of collected objects' UIDs.
func (rs *resources) uids() map[string]bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := map[string]bool{}
	for _, items := range rs.byGVR {
		for i := range items {
			out[string(items[i].GetUID())] = true
		}
	}
	return out
}

// podUIDs are the collected pods' UIDs and, for mirror pods, the UID of the static
// pod they mirror (which their events name).
func (rs *resources) podUIDs() map[string]bool {
	out := map[string]bool{}
	for _, u := range rs.objects(podsGVR) {
		out[string(u.GetUID())] = true
		if m := u.GetAnnotations()[corev1.MirrorPodAnnotationKey]; m != "" {
			out[m] = true
		}
	}
	return out
}

func eventsGVR(group string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1", Resource: "events"}
}

// pods returns the collected pods as typed objects.
func (rs *resources) pods() []corev1.Pod { return typed[corev1.Pod](rs.objects(podsGVR)) }

func (rs *resources) jobs() []batchv1.Job { return typed[batchv1.Job](rs.objects(jobsGVR)) }

// typed converts objects to their typed form, leaving out any that does not fit it.
func typed[T any](objs []unstructured.Unstructured) []T {
	var out []T
	for _, u := range objs {
		var v T
		if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// discover finds every listable namespaced type, nodes, and the --crd extras.
func (r *run) discover(ctx context.Context, rec *record) []resourceType {
	var dc discovery.DiscoveryInterface = r.client.Discovery() // given clients
	if r.bounded != nil {
		c, err := discovery.NewDiscoveryClientForConfig(r.bounded)
		if err != nil {
			rec.errorf("discovery: %v", err)
			return nil
		}
		dc = c
	}
	lists, err := discovery.ServerPreferredResources(dc)
	if err != nil {
		// Partial discovery (an aggregated API down) still returns the rest.
		rec.errorf("discovery: %v", err)
		if len(lists) == 0 {
			return nil
		}
	}
	custom := r.customGroups(ctx)
	all := kube.Listable(lists)
	extras, unknown := kube.Resolve(r.opts.CRDs, all)
	for _, name := range unknown {
		rec.errorf("--crd %s: no such resource type on the server (use plural.group, e.g. apigraphs.turboengine.io, or the Kind)", name)
	}
	var out []resourceType
	seen := map[schema.GroupVersionResource]bool{}
	for _, res := range all {
		wanted := slices.Contains(extras, res)
		t := resourceType{Resource: res, Custom: custom[res.GVR.Group] || kube.CustomGroup(res.GVR.Group), Requested: wanted}
		switch {
		case skipTypes[t.String()]:
			continue
		case res.Namespaced, t.GVR == nodesGVR, t.GVR == namespacesGVR, webhookTypes[t.GVR], wanted:
		default:
			continue
		}
		if !seen[t.GVR] {
			seen[t.GVR] = true
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// customGroups lists the API groups served by CRDs, if this identity may list CRDs.
func (r *run) customGroups(ctx context.Context) map[string]bool {
	groups := map[string]bool{}
	l, err := r.dynamic.Resource(crdsGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return groups
	}
	for _, crd := range l.Items {
		if g, ok, _ := unstructured.NestedString(crd.Object, "spec", "group"); ok {
			groups[g] = true
		}
	}
	return groups
}

// collectResources lists every type in every chosen namespace, redacts the objects and
// writes resources.json and one YAML file per custom resource type.
func (r *run) collectResources(ctx context.Context) *resources {
	rec := r.newRecord("resources")
	defer rec.done()
	rs := &resources{byGVR: map[schema.GroupVersionResource][]unstructured.Unstructured{}}
	ctx, cancel := context.WithTimeout(ctx, r.opts.CollectorTimeout)
	defer cancel()
	rs.types = r.discover(ctx, rec)
	r.log.Info("discovered resource types", "types", len(rs.types))
	r.listAll(ctx, rec, rs)
	r.recordOmitted(rs)
	r.addDeletedPods(rec, rs)
	total := r.writeResources(rec, rs)
	r.writeCustomResources(rec, rs)
	r.log.Info("listed resources", "objects", total)
	return rs
}

// listAll lists every type in every chosen namespace, side by side, redacting each
// object as it comes.
func (r *run) listAll(ctx context.Context, rec *record, rs *resources) {
	var wg sync.WaitGroup
	for _, t := range rs.types {
		nss := r.namespaces()
		if !t.Namespaced {
			nss = []string{""}
		}
		for _, ns := range nss {
			if !r.acquire(ctx) {
				rec.errorf("list %s: %v", t, ctx.Err())
				continue
			}
			wg.Go(func() {
				defer r.release()
				items, err := r.list(ctx, t, ns)
				if err != nil && byDesign(t, err) {
					rs.mu.Lock()
					rs.omitted = append(rs.omitted, t.String())
					rs.mu.Unlock()
					return
				}
				if err != nil {
					rec.errorf("%s", describeListError(t, ns, err))
					return
				}
				if t.GVR == namespacesGVR {
					items = r.relevantNamespaces(items)
				}
				redactions := 0
				for i := range items {
					redactions += r.opts.Redactor.Object(items[i].Object)
				}
				rec.redacted("objects", redactions)
				rs.mu.Lock()
				rs.byGVR[t.GVR] = append(rs.byGVR[t.GVR], items...)
				rs.mu.Unlock()
			})
		}
	}
	wg.Wait()
}

// addDeletedPods adds the pods that `ci-report watch` saw and that are gone now (their
// last state) and records when each went.
func (r *run) addDeletedPods(rec *record, rs *resources) {
	gone, deletions := r.deletedPods(rs.byGVR[podsGVR])
	if len(gone) == 0 {
		return
	}
	rs.mu.Lock()
	rs.gone = map[string]bundle.Deletion{}
	for _, d := range deletions {
		rs.gone[d.Namespace+"/"+d.Name] = d
	}
	rs.mu.Unlock()
	if n, err := r.dir.WriteJSON(bundle.DeletionsJSON, deletions); err != nil {
		rec.errorf("write %s: %v", bundle.DeletionsJSON, err)
	} else {
		rec.add(0, n, bundle.DeletionsJSON)
	}
	rs.byGVR[podsGVR] = append(rs.byGVR[podsGVR], gone...)
	if !slices.ContainsFunc(rs.types, func(t resourceType) bool { return t.GVR == podsGVR }) {
		rs.types = append(rs.types, resourceType{Resource: kube.Resource{GVR: podsGVR, Kind: "Pod", Namespaced: true}})
	}
	r.log.Info("pods deleted during the run, from watch", "pods", len(gone))
}

// writeResources writes resources.json: one kubectl-style List, in a stable order.
func (r *run) writeResources(rec *record, rs *resources) int {
	all := []any{}
	for _, t := range rs.types {
		items := rs.byGVR[t.GVR]
		sortObjects(items)
		all = append(all, objectsOf(items)...)
	}
	n, err := r.dir.WriteJSON(bundle.ResourcesJSON, map[string]any{"apiVersion": "v1", "kind": "List", "items": all})
	if err != nil {
		rec.errorf("write %s: %v", bundle.ResourcesJSON, err)
	} else {
		rec.add(len(all), n, bundle.ResourcesJSON)
	}
	return len(all)
}

// writeCustomResources writes one YAML file per custom resource type (plural.group when
// two groups share a plural), and records each in the manifest.
func (r *run) writeCustomResources(rec *record, rs *resources) {
	plurals := map[string]int{}
	for _, t := range rs.types {
		if t.Custom {
			plurals[t.GVR.Resource]++
		}
	}
	for _, t := range rs.types {
		items := rs.byGVR[t.GVR]
		if !t.Custom || len(items) == 0 {
			continue
		}
		name := t.GVR.Resource
		if plurals[name] > 1 {
			name = t.String()
		}
		b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": objectsOf(items)})
		if err != nil {
			rec.errorf("encode %s: %v", t, err)
			continue
		}
		path := bundle.CustomResourcePath(name)
		nb, err := r.dir.WriteFile(path, b)
		if err != nil {
			rec.errorf("write %s: %v", path, err)
			continue
		}
		rec.add(0, nb, path)
		r.manifest.Types = append(r.manifest.Types, bundle.TypeFile{APIVersion: t.GVR.GroupVersion().String(), Kind: t.Kind, File: path})
	}
}

func objectsOf(items []unstructured.Unstructured) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = items[i].Object
	}
	return out
}

func sortObjects(items []unstructured.Unstructured) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
}

// list pages through one type in one namespace ("" = all or cluster-scoped).
func (r *run) list(ctx context.Context, t resourceType, ns string) ([]unstructured.Unstructured, error) {
	opts := metav1.ListOptions{Limit: 500}
	if t.Namespaced { // --selector is for namespaced objects
		opts.LabelSelector = r.opts.Selector
	}
	var out []unstructured.Unstructured
	for {
		var (
			l   *unstructured.UnstructuredList
			err error
		)
		if t.Namespaced {
			l, err = r.dynamic.Resource(t.GVR).Namespace(ns).List(ctx, opts)
		} else {
			l, err = r.dynamic.Resource(t.GVR).List(ctx, opts)
		}
		if err != nil {
			return out, err
		}
		for i := range l.Items {
			it := l.Items[i]
			if it.GetKind() == "" {
				it.SetAPIVersion(t.GVR.GroupVersion().String())
				it.SetKind(t.Kind)
			}
			unstructured.RemoveNestedField(it.Object, "metadata", "managedFields")
			out = append(out, it)
		}
		if l.GetContinue() == "" {
			return out, nil
		}
		opts.Continue = l.GetContinue()
	}
}

// relevantNamespaces keeps the namespaces collected and every namespace stuck
// Terminating: tests that create and delete their own namespaces (pytest-xdist,
// `kubectl delete --wait=false`) race its cleanup, and it says what blocks it.
func (r *run) relevantNamespaces(items []unstructured.Unstructured) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for _, u := range items {
		phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
		if r.opts.AllNamespaces || slices.Contains(r.opts.Namespaces, u.GetName()) || phase == string(corev1.NamespaceTerminating) {
			out = append(out, u)
		}
	}
	return out
}

// byDesign says whether a list error is a least-privilege identity's choice rather than
// a gap: Secrets (templates/k8s/rbac.yaml gives no access to Secret data),
// cluster-scoped types for a namespaced Role (rbac-namespaced.yaml), and custom
// resources of API groups the role does not grant, unless --crd asked for them.
func byDesign(t resourceType, err error) bool {
	// x-k8s.io groups (kwok's, Cluster API's) are always CRD-served, even where the
	// CRDs cannot be listed to say so.
	custom := t.Custom || strings.HasSuffix(t.GVR.Group, ".x-k8s.io")
	return apierrors.IsForbidden(err) && !t.Requested && (t.GVR == secretsGVR || !t.Namespaced || custom)
}

// recordOmitted notes, as an informational record and not a gap, the types this
// identity may not read by design.
func (r *run) recordOmitted(rs *resources) {
	if len(rs.omitted) == 0 {
		return
	}
	names := slices.Compact(slices.Sorted(slices.Values(rs.omitted)))
	rec := r.newRecord("not-readable")
	rec.skip(fmt.Sprintf("not readable by this identity, by design (least privilege): %s; nothing of them is in the bundle", strings.Join(names, ", ")))
	r.log.Info("types this identity may not read (least privilege)", "types", names)
}

func describeListError(t resourceType, ns string, err error) string {
	where := "cluster-wide"
	if ns != "" {
		where = "in namespace " + ns
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("list %s %s: forbidden (the identity lacks RBAC list permission): %v", t, where, err)
	case discovery.IsGroupDiscoveryFailedError(err):
		return fmt.Sprintf("list %s %s: API group unavailable: %v", t, where, err)
	}
	return fmt.Sprintf("list %s %s: %v", t, where, err)
}
