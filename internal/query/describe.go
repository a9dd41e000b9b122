package query

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/kube"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

const maxYAML = 8 << 10 // of an object's spec or status

// Described is one object's collected state.
type Described struct {
	Object     string       `json:"object"` // Kind/namespace/name
	APIVersion string       `json:"apiVersion"`
	Created    string       `json:"created,omitempty"`
	Owners     []string     `json:"owners,omitempty"`
	Conditions []Condition  `json:"conditions"`
	Describe   string       `json:"describe,omitempty"` // kubectl describe (pods)
	Status     string       `json:"status,omitempty"`   // YAML
	Spec       string       `json:"spec,omitempty"`     // YAML
	Events     []Entry      `json:"events"`
	Findings   []FindingRef `json:"findings"`
	File       Link         `json:"file"`
	Page
}

// Condition is a status condition.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Since   string `json:"since,omitempty"`
}

func (r *Run) loadObjects() ([]unstructured.Unstructured, error) {
	r.objectsOnce.Do(func() {
		if r.Bundle == nil {
			return
		}
		r.objects, _, r.objectsErr = model.ReadObjects(r.Bundle, r.Redactor)
	})
	return r.objects, r.objectsErr
}

// kindMatches: Pod, pod, pods.
func kindMatches(kind, asked string) bool {
	a := strings.ToLower(asked)
	k := strings.ToLower(kind)
	return a == k || a == k+"s" || a == k+"es" || strings.HasSuffix(k, "y") && a == k[:len(k)-1]+"ies"
}

// Describe answers describe.
func (r *Run) Describe(kind, namespace, name string, pg Paging) (*Described, string, error) {
	if kind == "" || name == "" {
		return nil, "", argErrorf("kind and name are required (namespace too for a namespaced object)")
	}
	objs, err := r.loadObjects()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", bundle.ResourcesJSON, err)
	}
	var obj *unstructured.Unstructured
	var near []string
	for i := range objs {
		o := &objs[i]
		if !kindMatches(o.GetKind(), kind) {
			continue
		}
		if o.GetName() == name && (namespace == "" || o.GetNamespace() == namespace) {
			obj = o
			break
		}
		if strings.Contains(o.GetName(), name) || strings.Contains(name, o.GetName()) {
			near = append(near, o.GetNamespace()+"/"+o.GetName())
		}
	}
	if obj == nil {
		msg := fmt.Sprintf("no %s %s in the bundle's %s", quote(kind, 60), quote(namespace+"/"+name, 200), bundle.ResourcesJSON)
		if len(near) > 0 {
			msg += "; similar: " + one(strings.Join(near[:min(5, len(near))], ", "), 600)
		}
		return nil, "", argErrorf("%s", msg)
	}
	oref := kube.Ref(obj.GetKind(), obj.GetNamespace(), obj.GetName())
	d := &Described{Object: one(oref.String(), 300), APIVersion: one(obj.GetAPIVersion(), 100), Conditions: []Condition{}, Events: []Entry{}, Findings: []FindingRef{},
		File: r.FileLink(bundle.ResourcesJSON)}
	if t := obj.GetCreationTimestamp(); !t.IsZero() {
		d.Created = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, o := range obj.GetOwnerReferences() {
		d.Owners = append(d.Owners, one(o.Kind+"/"+o.Name, 200))
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		d.Conditions = append(d.Conditions, Condition{Type: one(str("type"), 100), Status: one(str("status"), 20), Reason: one(str("reason"), 100),
			Message: one(str("message"), 600), Since: one(str("lastTransitionTime"), 40)})
	}
	if oref.Kind == "Pod" {
		d.Describe = r.podDescription(oref.Namespace, oref.Name)
	}
	if d.Describe == "" {
		d.Status = yamlOf(obj.Object["status"])
		d.Spec = yamlOf(obj.Object["spec"])
	}
	for _, e := range r.Report.Timeline {
		if e.Source == "event" && e.Object == oref {
			d.Events = append(d.Events, entryOf(e))
		}
	}
	for i, f := range r.Report.Findings {
		if f.Subject == oref {
			d.Findings = append(d.Findings, ref(i+1, f))
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", d.Object, d.APIVersion)
	if d.Created != "" {
		fmt.Fprintf(&b, ", created %s", d.Created)
	}
	if len(d.Owners) > 0 {
		fmt.Fprintf(&b, ", owned by %s", strings.Join(d.Owners, ", "))
	}
	b.WriteString("\n")
	parts := section(nil, "Findings about it:", d.Findings, FindingRef.line)
	parts = section(parts, "Conditions:", d.Conditions, func(c Condition) string {
		return fmt.Sprintf("- %s=%s %s %s (since %s)\n", c.Type, c.Status, c.Reason, c.Message, c.Since)
	})
	parts = section(parts, "Events:", d.Events, Entry.line)
	if d.Describe != "" {
		parts = append(parts, "\nkubectl describe:\n")
		parts = append(parts, strings.SplitAfter(d.Describe, "\n")...)
	}
	for _, part := range [][2]string{{"status", d.Status}, {"spec", d.Spec}} {
		if part[1] == "" {
			continue
		}
		parts = append(parts, "\n"+part[0]+":\n")
		for _, l := range strings.SplitAfter(strings.TrimRight(part[1], "\n"), "\n") {
			parts = append(parts, "  "+strings.TrimRight(l, "\n")+"\n")
		}
	}
	page, text, err := pageParts(b.String(), parts, pg)
	if err != nil {
		return nil, "", err
	}
	d.Page = page
	return d, text, nil
}

// yamlOf writes a (scrubbed) part of an object as YAML, cleaned and capped.
func yamlOf(v any) string {
	if v == nil {
		return ""
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	s := textsafe.Clean(string(b))
	if len(s) > maxYAML {
		s = textsafe.Truncate(s, maxYAML) + "\n(cut; the whole object is in " + bundle.ResourcesJSON + ")\n"
	}
	return s
}

// podDescription is a pod's section of pod-descriptions.txt, scrubbed.
func (r *Run) podDescription(ns, name string) string {
	r.descOnce.Do(func() {
		r.desc = map[string]string{}
		if r.Bundle == nil {
			return
		}
		b, err := r.Bundle.ReadFile(bundle.PodDescriptions, bundle.MaxJSON)
		if err != nil {
			return
		}
		lines := strings.Split(string(b), "\n")
		if r.Redactor != nil {
			lines = r.Redactor.NewLines().Block(lines)
		}
		var key string
		var cur []string
		flush := func() {
			if key != "" {
				r.desc[key] = textsafe.Clean(strings.Join(cur, "\n"))
			}
		}
		for _, l := range lines {
			if rest, ok := strings.CutPrefix(l, "===== pod "); ok && strings.HasSuffix(rest, " =====") {
				flush()
				key, cur = strings.TrimSuffix(rest, " ====="), nil
				continue
			}
			cur = append(cur, l)
		}
		flush()
	})
	return r.desc[ns+"/"+name]
}
