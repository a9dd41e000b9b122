package findings

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// pvcFindings: a PersistentVolumeClaim still Pending, with the event that says why.
func pvcFindings(s *Scope) (out []Finding) {
	for _, p := range s.PVCs {
		if p.Status.Phase != corev1.ClaimPending {
			continue
		}
		subj := Subject{Kind: "PersistentVolumeClaim", Namespace: p.Namespace, Name: p.Name}
		msg := "the claim is not bound to a volume"
		for _, e := range s.Events {
			if e.Object.Kind == "PersistentVolumeClaim" && e.Object.Namespace == p.Namespace && e.Object.Name == p.Name {
				msg = e.Reason + ": " + oneLine(e.Message)
			}
		}
		s.explain(subj, "ProvisioningFailed", "FailedBinding", "ExternalProvisioning")
		f := newFinding(pvcPending, Warning, subj, fmt.Sprintf("PersistentVolumeClaim %s is Pending", p.Name), msg)
		f.Refs = []string{bundle.ResourcesText, bundle.EventsText}
		out = append(out, f)
	}
	return out
}

var pvcDetector = detector{"volume claims", []Category{pvcPending}, pvcFindings}

var pvcPending = Category{"PVCPending", 75}
