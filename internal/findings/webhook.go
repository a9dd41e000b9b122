package findings

import (
	"fmt"

	admissionv1 "k8s.io/api/admissionregistration/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// webhookFindings: an admission webhook whose Service does not exist or has no ready
// endpoint (k8sgpt's Mutating- and ValidatingWebhookConfiguration analyzers). With
// failurePolicy Fail every request it intercepts fails, so it is an error, caused by
// the Service's finding when there is one.
func webhookFindings(s *Scope) (out []Finding) {
	type hook struct {
		kind, config, name string
		svc                *admissionv1.ServiceReference
		policy             *admissionv1.FailurePolicyType
	}
	var hooks []hook
	for _, c := range s.MutatingWebhooks {
		for _, w := range c.Webhooks {
			hooks = append(hooks, hook{"MutatingWebhookConfiguration", c.Name, w.Name, w.ClientConfig.Service, w.FailurePolicy})
		}
	}
	for _, c := range s.ValidatingWebhooks {
		for _, w := range c.Webhooks {
			hooks = append(hooks, hook{"ValidatingWebhookConfiguration", c.Name, w.Name, w.ClientConfig.Service, w.FailurePolicy})
		}
	}
	services := map[string]bool{}
	collected := map[string]bool{} // namespaces whose Services were collected
	for _, svc := range s.Services {
		services[svc.Namespace+"/"+svc.Name], collected[svc.Namespace] = true, true
	}
	down := map[string]Finding{}
	for _, f := range s.foundIn(serviceNoEndpoints) {
		down[f.Subject.Namespace+"/"+f.Subject.Name] = f
	}
	for _, h := range hooks {
		if h.svc == nil || !collected[h.svc.Namespace] {
			continue // a URL webhook, or a Service in a namespace not collected
		}
		key := h.svc.Namespace + "/" + h.svc.Name
		why := ""
		var cause []string
		switch f, isDown := down[key]; {
		case !services[key]:
			why = "its Service " + key + " does not exist"
		case isDown:
			why, cause = "its Service "+key+" has no ready endpoints", []string{f.ID}
		default:
			continue
		}
		sev, effect := Warning, "requests it intercepts go through unchecked (failurePolicy Ignore)"
		if h.policy == nil || *h.policy == admissionv1.Fail {
			sev, effect = Error, "every request it intercepts fails (failurePolicy Fail)"
		}
		f := newFinding(webhookDown, sev, Subject{Kind: h.kind, Name: h.config},
			fmt.Sprintf("Admission webhook %s cannot be called", h.name), why+": "+effect)
		f.CausedBy, f.Related, f.Refs = cause, cause, []string{bundle.ResourcesText}
		out = append(out, f)
	}
	return out
}

var webhookDetector = detector{"webhooks", []Category{webhookDown}, webhookFindings}

var webhookDown = Category{"WebhookDown", 66}
