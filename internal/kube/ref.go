package kube

import (
	"encoding/json"
	"strings"
)

// ObjectRef names an object. It is the one way ci-report writes "Kind/namespace/name"
// (Kind/name for a cluster-scoped object): findings' subjects, timeline entries, watch's
// records and investigate all print it with String.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// Ref is the ObjectRef of kind, namespace and name.
func Ref(kind, namespace, name string) ObjectRef {
	return ObjectRef{Kind: kind, Namespace: namespace, Name: name}
}

// String is Kind/namespace/name, or Kind/name without a namespace (an unknown kind, as
// an operator's log may leave it, is left out: namespace/name).
func (r ObjectRef) String() string {
	s := r.Name
	if r.Namespace != "" {
		s = r.Namespace + "/" + s
	}
	if r.Kind != "" {
		s = r.Kind + "/" + s
	}
	return s
}

// ParseRef reads String's form back: Kind/name or Kind/namespace/name (a name may not
// hold a slash; anything after the third part stays in the name).
func ParseRef(s string) ObjectRef {
	parts := strings.SplitN(s, "/", 3)
	switch len(parts) {
	case 3:
		return ObjectRef{Kind: parts[0], Namespace: parts[1], Name: parts[2]}
	case 2:
		return ObjectRef{Kind: parts[0], Name: parts[1]}
	}
	return ObjectRef{Name: s}
}

// UnmarshalJSON reads an object {kind, namespace, name}, or the "Kind/namespace/name"
// string that bundles written before the timeline was structured carry.
func (r *ObjectRef) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = ParseRef(s)
		return nil
	}
	type plain ObjectRef
	return json.Unmarshal(b, (*plain)(r))
}
