// Package kube holds the rules about Kubernetes API types that collect, watch and the
// model share: which groups are served by CustomResourceDefinitions, and which
// discovered resource a --crd argument names.
package kube

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdGroups are groups under k8s.io that CustomResourceDefinitions serve (SIG projects
// installed as CRDs), not the API server.
var crdGroups = map[string]bool{
	"gateway.networking.k8s.io":     true,
	"snapshot.storage.k8s.io":       true,
	"policy.networking.k8s.io":      true,
	"multicluster.x-k8s.io":         true,
	"cluster.x-k8s.io":              true,
	"inference.networking.k8s.io":   true,
	"inference.networking.x-k8s.io": true,
}

// CustomGroup says whether an API group is served by CustomResourceDefinitions when
// the CRDs themselves cannot be listed: a dotted group outside the Kubernetes ones.
func CustomGroup(group string) bool {
	if crdGroups[group] {
		return true
	}
	return group != "" && strings.Contains(group, ".") && !strings.HasSuffix(group, ".k8s.io") && !strings.HasSuffix(group, ".x-k8s.io")
}

// Resource is one listable resource found by discovery.
type Resource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Singular   string `json:"-"`
	Namespaced bool
}

// String is plural.group (the plural alone for the core group), as kubectl names it.
func (r Resource) String() string {
	if r.GVR.Group == "" {
		return r.GVR.Resource
	}
	return r.GVR.Resource + "." + r.GVR.Group
}

// Names says whether a --crd argument names this resource: plural.group
// (apigraphs.turboengine.io), plural.version.group, the plural or singular alone, or the Kind,
// case-insensitively.
func Names(arg string, r Resource) bool {
	g := r.GVR
	for _, name := range []string{r.String(), g.Resource + "." + g.Version + "." + g.Group, g.Resource, r.Singular, r.Kind} {
		if name == "" {
			continue
		}
		if strings.EqualFold(arg, name) {
			return true
		}
	}
	return false
}

// Listable is every resource of a discovery answer that can be listed (no
// subresources), in the order discovery gave.
func Listable(lists []*metav1.APIResourceList) []Resource {
	var out []Resource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, ar := range l.APIResources {
			if strings.Contains(ar.Name, "/") || !slices.Contains(ar.Verbs, "list") {
				continue
			}
			out = append(out, Resource{GVR: gv.WithResource(ar.Name), Kind: ar.Kind, Singular: ar.SingularName, Namespaced: ar.Namespaced})
		}
	}
	return out
}

// Resolve maps --crd arguments to the resources they name; unknown lists the
// arguments that name none.
func Resolve(args []string, resources []Resource) (named []Resource, unknown []string) {
	seen := map[schema.GroupVersionResource]bool{}
	for _, a := range args {
		found := false
		for _, r := range resources {
			if Names(a, r) {
				found = true
				if !seen[r.GVR] {
					seen[r.GVR] = true
					named = append(named, r)
				}
				break
			}
		}
		if !found {
			unknown = append(unknown, a)
		}
	}
	return named, unknown
}

// Stale reports a status written for an older spec: its observedGeneration is set and
// below the object's generation. An observedGeneration of 0 is a status that does not
// track generations (a Go struct's zero value), not a stale one.
func Stale(generation, observedGeneration int64) bool {
	return observedGeneration > 0 && observedGeneration < generation
}
