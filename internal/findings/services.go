package findings

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// serviceFindings: a Service whose selector matches no ready pod, so it has no endpoint
// to send traffic to (k8sgpt's Service analyzer), caused by its pods' findings; and an
// Ingress whose backend Service does not exist (k8sgpt's Ingress analyzer).
func serviceFindings(s *Scope) (out []Finding) {
	services := map[string]bool{}
	for _, svc := range s.Services {
		services[svc.Namespace+"/"+svc.Name] = true
		if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue // endpoints managed by hand, or none
		}
		matched, ready := 0, 0
		var causes []string
		first := ""
		for _, p := range s.Pods {
			if p.Namespace != svc.Namespace || !selects(svc.Spec.Selector, p.Labels) || p.DeletionTimestamp != nil {
				continue
			}
			matched++
			if podReady(&p) {
				ready++
				continue
			}
			for _, f := range s.onPod[p.Namespace+"/"+p.Name] {
				if first == "" {
					first = f.Title
				}
				causes = appendUnique(causes, f.ID)
			}
		}
		if ready > 0 {
			continue
		}
		subj := Subject{Kind: "Service", Namespace: svc.Namespace, Name: svc.Name}
		expl := fmt.Sprintf("its selector %s matches %d pod(s), none ready: requests to it are refused", selectorString(svc.Spec.Selector), matched)
		sev := Error
		if len(causes) > 0 {
			sev, expl = Warning, expl+" — caused by: "+first
		}
		f := newFinding(serviceNoEndpoints, sev, subj, fmt.Sprintf("Service %s has no ready endpoints", svc.Name), expl)
		f.Related, f.CausedBy, f.Refs = causes, causes, []string{bundle.ResourcesText}
		out = append(out, f)
	}
	for _, ing := range s.Ingresses {
		var missing []string
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if b := p.Backend.Service; b != nil && !services[ing.Namespace+"/"+b.Name] {
					missing = appendUnique(missing, b.Name)
				}
			}
		}
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil && !services[ing.Namespace+"/"+b.Service.Name] {
			missing = appendUnique(missing, b.Service.Name)
		}
		if len(missing) == 0 || len(s.Services) == 0 {
			continue // no Services collected at all: nothing to compare with
		}
		f := newFinding(ingressBackendMissing, Error, Subject{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name},
			fmt.Sprintf("Ingress %s routes to a Service that does not exist", ing.Name),
			fmt.Sprintf("backend Service(s) %s not found in namespace %s", strings.Join(missing, ", "), ing.Namespace))
		f.Refs = []string{bundle.ResourcesText}
		out = append(out, f)
	}
	return out
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func selectorString(sel map[string]string) string {
	var parts []string
	for k, v := range sel {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

var serviceDetector = detector{"services", []Category{serviceNoEndpoints, ingressBackendMissing}, serviceFindings}

var (
	serviceNoEndpoints    = Category{"ServiceNoEndpoints", 62}
	ingressBackendMissing = Category{"IngressBackendMissing", 61}
)
