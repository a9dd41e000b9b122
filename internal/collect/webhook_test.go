package collect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

// On the real control plane: a validating webhook (failurePolicy Fail) whose Service's
// only pod is not ready, and a mutating one whose Service does not exist. Collected for
// the webhooks' namespace, each is a finding; the first is caused by the Service's.
func TestIntegrationWebhookWithoutEndpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const ns = "hook-e2e"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "policy"}
	pod := testenv.Plant(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "policy-0", Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "policy", Image: "registry.example/policy:1"}}}})
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 443}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *corev1.Pod
	for ctx.Err() == nil {
		if got, err := env.Client.CoreV1().Pods(ns).Get(ctx, "policy-0", metav1.GetOptions{}); err == nil && got.Spec.NodeName != "" {
			p = got
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if p == nil {
		t.Fatal("pod not scheduled")
	}
	now := time.Now()
	if _, err := env.SetPodStatus(ctx, ns, "policy-0", testenv.NotReady(testenv.RunningPodStatus(p, now.Add(-5*time.Minute)), "policy", now.Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	fail, none := admissionv1.Fail, admissionv1.SideEffectClassNone
	// Scoped to a namespace label nothing carries: the webhooks never intercept a real request.
	scope := &metav1.LabelSelector{MatchLabels: map[string]string{"ci-report-test": "never"}}
	rules := []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create},
		Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}
	vw := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "policy.example.com"},
		Webhooks: []admissionv1.ValidatingWebhook{{Name: "validate.policy.example.com", FailurePolicy: &fail, SideEffects: &none,
			AdmissionReviewVersions: []string{"v1"}, NamespaceSelector: scope, Rules: rules,
			ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: ns, Name: "policy"}}}}}
	mw := &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "defaults.example.com"},
		Webhooks: []admissionv1.MutatingWebhook{{Name: "mutate.defaults.example.com", FailurePolicy: &fail, SideEffects: &none,
			AdmissionReviewVersions: []string{"v1"}, NamespaceSelector: scope, Rules: rules,
			ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: ns, Name: "gone"}}}}}
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), vw.Name, metav1.DeleteOptions{})
	})
	if _, err := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), mw.Name, metav1.DeleteOptions{})
	})
	dir := t.TempDir()
	r := collectAndRender(t, dir, "-n", ns)
	var svc string
	got := map[string]bool{}
	for _, f := range r.Findings {
		if f.Category == "ServiceNoEndpoints" && f.Subject.Name == "policy" {
			svc = f.ID
		}
	}
	for _, f := range r.Findings {
		if f.Category != "WebhookDown" {
			continue
		}
		got[f.Subject.Name] = true
		if f.Severity != "error" {
			t.Errorf("%s: severity %s, want error (failurePolicy Fail)", f.Subject.Name, f.Severity)
		}
		switch f.Subject.Name {
		case "policy.example.com":
			if svc == "" || strings.Join(f.CausedBy, ",") != svc {
				t.Errorf("the validating webhook is not caused by its Service's finding %q: %v", svc, f.CausedBy)
			}
		case "defaults.example.com":
			if !strings.Contains(f.Explanation, "does not exist") {
				t.Errorf("mutating webhook: %s", f.Explanation)
			}
		}
	}
	if !got["policy.example.com"] || !got["defaults.example.com"] {
		t.Errorf("webhook findings %v of %+v", got, r.Findings)
	}
}
