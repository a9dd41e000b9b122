package findings

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// imagePullFindings: a container whose image cannot be pulled.
func imagePullFindings(s *Scope) []Finding {
	return s.containersWith(imagePullBackOff, func(p *corev1.Pod, cs *corev1.ContainerStatus) Finding {
		img := ""
		if c := containerSpec(p, cs.Name); c != nil {
			img = c.Image
		}
		w := cs.State.Waiting
		expl := fmt.Sprintf("%s: %s", w.Reason, oneLine(w.Message))
		title := fmt.Sprintf("Pod %s cannot pull image %s", p.Name, img)
		if missing := s.missingPullSecrets(p); len(missing) > 0 {
			// The cause: the kubelet pulled without the credentials the pod names.
			title += fmt.Sprintf(": imagePullSecret %s does not exist", strings.Join(missing, ", "))
			expl = fmt.Sprintf("the pod's imagePullSecrets name %s, which does not exist in namespace %s, so the image is pulled without credentials", strings.Join(missing, ", "), p.Namespace)
			if have := s.secretsOfType(p.Namespace, string(corev1.SecretTypeDockerConfigJson), string(corev1.SecretTypeDockercfg)); len(have) > 0 {
				expl += fmt.Sprintf(" (pull Secrets that do exist there: %s)", strings.Join(have, ", "))
			}
			expl += "; then " + fmt.Sprintf("%s: %s", w.Reason, oneLine(w.Message))
			s.explain(podSubject(p), "FailedToRetrieveImagePullSecret")
		}
		f := newFinding(imagePullBackOff, Error, podSubject(p), title, expl)
		f.Refs = podRefs(p, "", false)
		if len(p.Spec.ImagePullSecrets) > 0 {
			f.Refs = append(f.Refs, bundle.EventsText)
		}
		return f
	})
}

// missingPullSecrets are the pod's imagePullSecrets that do not exist: those the
// kubelet's FailedToRetrieveImagePullSecret event names, or, where Secrets were
// collected, those not among them.
func (s *Scope) missingPullSecrets(p *corev1.Pod) []string {
	var missing []string
	for _, e := range s.Events {
		if e.Reason == "FailedToRetrieveImagePullSecret" && e.Object.Kind == "Pod" && e.Object.Namespace == p.Namespace && e.Object.Name == p.Name {
			for _, ref := range p.Spec.ImagePullSecrets {
				if strings.Contains(e.Message, `"`+ref.Name+`"`) || strings.Contains(e.Message, "("+ref.Name+")") || strings.Contains(e.Message, " "+ref.Name) {
					missing = appendUnique(missing, ref.Name)
				}
			}
		}
	}
	if len(missing) > 0 || !s.secretsCollected(p.Namespace) {
		return missing
	}
	for _, ref := range p.Spec.ImagePullSecrets {
		if !slices.ContainsFunc(s.Secrets, func(r SecretRef) bool { return r.Namespace == p.Namespace && r.Name == ref.Name }) {
			missing = append(missing, ref.Name)
		}
	}
	return missing
}

// secretsCollected: the bundle lists the namespace's Secrets (a least-privilege identity
// may not read them; then absence proves nothing).
func (s *Scope) secretsCollected(ns string) bool {
	return slices.ContainsFunc(s.Secrets, func(r SecretRef) bool { return r.Namespace == ns })
}

// secretsOfType names the namespace's Secrets of these types (names only).
func (s *Scope) secretsOfType(ns string, types ...string) []string {
	var out []string
	for _, r := range s.Secrets {
		if r.Namespace == ns && slices.Contains(types, r.Type) {
			out = append(out, r.Name)
		}
	}
	return out
}

var imagePullDetector = detector{"image pull", []Category{imagePullBackOff}, imagePullFindings}
