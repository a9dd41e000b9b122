package kube

import (
	"encoding/json"
	"testing"
)

func TestObjectRef(t *testing.T) {
	for _, c := range []struct {
		ref  ObjectRef
		want string
	}{{Ref("Pod", "ns", "p"), "Pod/ns/p"}, {Ref("Node", "", "n1"), "Node/n1"}} {
		if got := c.ref.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.ref, got, c.want)
		}
		if back := ParseRef(c.want); back != c.ref {
			t.Errorf("ParseRef(%q) = %+v", c.want, back)
		}
		b, _ := json.Marshal(c.ref)
		var fromObject, fromString ObjectRef
		if err := json.Unmarshal(b, &fromObject); err != nil || fromObject != c.ref {
			t.Errorf("round trip of %s: %+v %v", b, fromObject, err)
		}
		if err := json.Unmarshal([]byte(`"`+c.want+`"`), &fromString); err != nil || fromString != c.ref {
			t.Errorf("a bundle's string %q: %+v %v", c.want, fromString, err)
		}
	}
}
