package opactions

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"k8s.io/apimachinery/pkg/labels"
)

// Pods picks the pods whose logs hold operator actions: those matching
// --operator-selector, or by default those named or labelled like an operator or
// controller (e.g. kubebuilder's control-plane=controller-manager).
func Pods(pods []corev1.Pod, selector labels.Selector) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if selector != nil {
			if selector.Matches(labels.Set(p.Labels)) {
				out = append(out, p)
			}
			continue
		}
		hay := []string{p.Name}
		for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/component", "app", "control-plane", "component"} {
			hay = append(hay, p.Labels[k])
		}
		for _, h := range hay {
			h = strings.ToLower(h)
			if strings.Contains(h, "operator") || strings.Contains(h, "controller") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
