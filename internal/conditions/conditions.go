// Package conditions finds status conditions wherever an object keeps them: at
// status.conditions, and nested below it, like Gateway API routes (one list per parent
// Gateway, in status.parents[]) and Gateways (one per listener, in status.listeners[]).
// Each condition says where it was found, so a finding can name the parent or listener.
package conditions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Condition is one metav1.Condition-shaped entry and where it sits.
type Condition struct {
	Type           string    `json:"type"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason,omitempty"`
	Message        string    `json:"message,omitempty"`
	LastTransition time.Time `json:"lastTransitionTime,omitzero"`
	// Where names the owner of a nested list ("parent Gateway infra/gw section http",
	// "listener https"); empty for status.conditions itself.
	Where string `json:"where,omitempty"`
	// Path is the JSON path of the list it came from ("status.parents[0].conditions").
	Path string `json:"path"`
}

// maxDepth bounds the walk: status is written by controllers we do not trust.
const maxDepth = 8

// Of returns every condition under the object's status, status.conditions first, then
// nested lists in path order.
func Of(u *unstructured.Unstructured) []Condition {
	status, ok := u.Object["status"].(map[string]any)
	if !ok {
		return nil
	}
	var out []Condition
	walk(status, "status", "", 0, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where == "" && out[j].Where != "" })
	return out
}

// Has reports whether the object has any condition under status.
func Has(u *unstructured.Unstructured) bool { return len(Of(u)) > 0 }

func walk(m map[string]any, path, where string, depth int, out *[]Condition) {
	if depth > maxDepth {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case []any:
			if k == "conditions" {
				for _, c := range v {
					if cm, ok := c.(map[string]any); ok {
						if cond, ok := parse(cm); ok {
							cond.Where, cond.Path = where, path+".conditions"
							*out = append(*out, cond)
						}
					}
				}
				continue
			}
			for i, item := range v {
				im, ok := item.(map[string]any)
				if !ok {
					continue
				}
				sub := owner(k, im)
				if sub == "" {
					sub = fmt.Sprintf("%s[%d]", k, i)
				}
				if where != "" {
					sub = where + ", " + sub
				}
				walk(im, fmt.Sprintf("%s.%s[%d]", path, k, i), sub, depth+1, out)
			}
		case map[string]any:
			sub := where
			if sub == "" {
				sub = k
			} else {
				sub += ", " + k
			}
			walk(v, path+"."+k, sub, depth+1, out)
		}
	}
}

func parse(m map[string]any) (Condition, bool) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	c := Condition{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message")}
	if c.Type == "" || c.Status == "" {
		return c, false
	}
	c.LastTransition, _ = time.Parse(time.RFC3339, str("lastTransitionTime"))
	return c, true
}

// owner names an entry of a nested status list: a Gateway API route parent by its
// parentRef, a listener or any named entry by its name.
func owner(list string, m map[string]any) string {
	if ref, ok := m["parentRef"].(map[string]any); ok {
		str := func(k string) string { s, _ := ref[k].(string); return s }
		kind := str("kind")
		if kind == "" {
			kind = "Gateway"
		}
		name := str("name")
		if ns := str("namespace"); ns != "" {
			name = ns + "/" + name
		}
		s := "parent " + kind + " " + name
		if sec := str("sectionName"); sec != "" {
			s += " section " + sec
		}
		if p, ok := ref["port"]; ok {
			s += fmt.Sprintf(" port %v", p)
		}
		return s
	}
	if name, ok := m["name"].(string); ok && name != "" {
		return singular(list) + " " + name
	}
	return ""
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "ses"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s"):
		return s[:len(s)-1]
	}
	return s
}

// positive are condition types whose False means "not working" (Gateway API, most
// operators, kstatus); negative are those whose True does.
var (
	positive = map[string]bool{"Ready": true, "Available": true, "Accepted": true, "Programmed": true, "ResolvedRefs": true, "Reconciled": true, "Synced": true, "Healthy": true,
		"AbleToScale": true, "ScalingActive": true} // HorizontalPodAutoscaler
	negative = map[string]bool{"Conflicted": true, "Degraded": true, "Stalled": true, "Failed": true,
		"MemoryPressure": true, "DiskPressure": true, "PIDPressure": true, "NetworkUnavailable": true} // Node
)

// Bad reports whether the condition says the object (or the part Where names) is not
// working.
func (c Condition) Bad() bool {
	return positive[c.Type] && c.Status == "False" || negative[c.Type] && c.Status == "True"
}
