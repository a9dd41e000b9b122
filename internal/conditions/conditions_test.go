package conditions

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestGatewayAPIRouteParents(t *testing.T) {
	u := obj(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: shop}
status:
  parents:
  - parentRef: {group: gateway.networking.k8s.io, kind: Gateway, name: public, namespace: infra, sectionName: https}
    controllerName: example.com/gateway
    conditions:
    - {type: Accepted, status: "False", reason: NoMatchingParent, message: no listener matches, lastTransitionTime: "2026-01-01T00:00:10Z"}
    - {type: ResolvedRefs, status: "True", reason: ResolvedRefs, message: ""}
  - parentRef: {name: internal}
    conditions:
    - {type: Accepted, status: "True", reason: Accepted}
`)
	cs := Of(u)
	if len(cs) != 3 {
		t.Fatalf("conditions = %+v", cs)
	}
	c := cs[0]
	if c.Type != "Accepted" || !c.Bad() || c.Where != "parent Gateway infra/public section https" || c.Path != "status.parents[0].conditions" || c.LastTransition.IsZero() {
		t.Errorf("first = %+v", c)
	}
	if cs[1].Bad() || cs[2].Bad() || cs[2].Where != "parent Gateway internal" {
		t.Errorf("rest = %+v", cs[1:])
	}
}

func TestGatewayListenersAndTopLevelFirst(t *testing.T) {
	u := obj(t, `
kind: Gateway
status:
  listeners:
  - name: https
    attachedRoutes: 0
    conditions:
    - {type: ResolvedRefs, status: "False", reason: InvalidCertificateRef, message: secret tls-cert not found}
    - {type: Conflicted, status: "True", reason: HostnameConflict}
  conditions:
  - {type: Programmed, status: "True", reason: Programmed}
`)
	cs := Of(u)
	if len(cs) != 3 || cs[0].Where != "" || cs[0].Type != "Programmed" {
		t.Fatalf("conditions = %+v", cs)
	}
	for _, c := range cs[1:] {
		if c.Where != "listener https" || !c.Bad() {
			t.Errorf("listener condition = %+v", c)
		}
	}
}

func TestHostileStatus(t *testing.T) {
	// Deep nesting is cut off, malformed entries are skipped, no panic.
	y := "kind: X\nstatus:\n"
	indent := "  "
	for range 50 {
		y += indent + "a:\n"
		indent += "  "
	}
	y += indent + "conditions: [{type: Ready, status: \"False\"}]\n"
	u := obj(t, y)
	if cs := Of(u); len(cs) != 0 {
		t.Errorf("walked deeper than the bound: %+v", cs)
	}
	u = obj(t, `
kind: X
status:
  conditions: ["not a map", {type: Ready}, {status: "False"}, {type: Ready, status: "False", reason: 5}]
`)
	cs := Of(u)
	if len(cs) != 1 || cs[0].Reason != "" || !cs[0].Bad() {
		t.Errorf("conditions = %+v", cs)
	}
	if Has(obj(t, "kind: X\nstatus: \"a string\"\n")) || Has(obj(t, "kind: X\n")) {
		t.Error("Has on an object without conditions")
	}
}

func TestPolarity(t *testing.T) {
	for _, tc := range []struct {
		typ, status string
		bad         bool
	}{
		{"Ready", "False", true}, {"Ready", "True", false}, {"Ready", "Unknown", false},
		{"Degraded", "True", true}, {"Degraded", "False", false}, {"Progressing", "False", false},
		{"ScalingActive", "False", true}, {"AbleToScale", "False", true}, {"MemoryPressure", "True", true}, {"DiskPressure", "False", false},
	} {
		if got := (Condition{Type: tc.typ, Status: tc.status}).Bad(); got != tc.bad {
			t.Errorf("%s=%s bad = %v", tc.typ, tc.status, got)
		}
	}
}
