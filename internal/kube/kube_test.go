package kube

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var discovered = []*metav1.APIResourceList{
	{GroupVersion: "v1", APIResources: []metav1.APIResource{
		{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"get", "list", "watch"}},
		{Name: "pods/log", Kind: "Pod", Namespaced: true, Verbs: []string{"get"}},
		{Name: "bindings", Kind: "Binding", Namespaced: true, Verbs: []string{"create"}},
	}},
	{GroupVersion: "turboengine.io/v1alpha1", APIResources: []metav1.APIResource{
		{Name: "apigraphs", SingularName: "apigraph", Kind: "APIGraph", Namespaced: true, Verbs: []string{"list"}},
	}},
	{GroupVersion: "bad/group/version", APIResources: []metav1.APIResource{{Name: "x", Verbs: []string{"list"}}}},
}

// collect and watch resolve --crd with this one rule.
func TestResolve(t *testing.T) {
	all := Listable(discovered)
	if len(all) != 2 {
		t.Fatalf("listable = %+v; want pods and apigraphs (no subresource, no unlistable)", all)
	}
	for _, arg := range []string{"apigraphs.turboengine.io", "APIGraph", "apigraphs", "apigraph", "apigraphs.v1alpha1.turboengine.io", "APIGRAPHS.TURBOENGINE.IO"} {
		named, unknown := Resolve([]string{arg}, all)
		if len(named) != 1 || named[0].GVR.Resource != "apigraphs" || len(unknown) != 0 {
			t.Errorf("Resolve(%q) = %+v, unknown %v", arg, named, unknown)
		}
	}
	named, unknown := Resolve([]string{"widgets.example.com", "APIGraph", "apigraphs"}, all)
	if len(named) != 1 || len(unknown) != 1 || unknown[0] != "widgets.example.com" {
		t.Errorf("named %+v, unknown %v; want apigraphs once and the widget unknown", named, unknown)
	}
}

func TestCustomGroup(t *testing.T) {
	for group, want := range map[string]bool{
		"": false, "apps": false, "batch": false, "networking.k8s.io": false, "apiextensions.k8s.io": false,
		"turboengine.io": true, "cert-manager.io": true, "gateway.networking.k8s.io": true, "cluster.x-k8s.io": true,
	} {
		if got := CustomGroup(group); got != want {
			t.Errorf("CustomGroup(%q) = %v, want %v", group, got, want)
		}
	}
}
