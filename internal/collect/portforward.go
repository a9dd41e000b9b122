package collect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// ServiceRef is NAMESPACE/SERVICE:PORT, PORT a number or a port name.
type ServiceRef struct {
	Namespace, Name, Port string
}

// ParseServiceRef reads NAMESPACE/SERVICE:PORT.
func ParseServiceRef(flag, s string) (ServiceRef, error) {
	ns, rest, ok := strings.Cut(s, "/")
	name, port, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || ns == "" || name == "" || port == "" {
		return ServiceRef{}, fmt.Errorf("%s %q: want NAMESPACE/SERVICE:PORT, e.g. turbo-engine-e2e/console:8080", flag, s)
	}
	return ServiceRef{Namespace: ns, Name: name, Port: port}, nil
}

func (s ServiceRef) String() string { return s.Namespace + "/" + s.Name + ":" + s.Port }

// forwardService opens a client-go port-forward (through the API server, as kubectl
// port-forward does) to a running pod behind the Service, on a free loopback port. It
// returns the local base URL and a function that closes the forward.
func forwardService(ctx context.Context, cfg *rest.Config, client kubernetes.Interface, ref ServiceRef) (string, func(), error) {
	svc, err := client.CoreV1().Services(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("service %s: %w", ref, err)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Name == ref.Port || strconv.Itoa(int(p.Port)) == ref.Port {
			sp = p
		}
	}
	if sp == nil {
		return "", nil, fmt.Errorf("service %s has no port %s", ref, ref.Port)
	}
	if len(svc.Spec.Selector) == 0 {
		return "", nil, fmt.Errorf("service %s has no selector: ci-report forwards to one of its pods", ref)
	}
	pods, err := client.CoreV1().Pods(ref.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return "", nil, fmt.Errorf("pods of service %s: %w", ref, err)
	}
	var pod *corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			pod = p
			break
		}
	}
	if pod == nil {
		return "", nil, fmt.Errorf("service %s has no running pod to forward to", ref)
	}
	target, err := targetPort(pod, sp)
	if err != nil {
		return "", nil, fmt.Errorf("service %s: %w", ref, err)
	}
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return "", nil, err
	}
	req := client.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward")
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", target)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-errc:
		return "", nil, fmt.Errorf("port-forward to pod %s/%s:%d: %w", pod.Namespace, pod.Name, target, err)
	case <-ctx.Done():
		close(stop)
		return "", nil, fmt.Errorf("port-forward to pod %s/%s:%d: %w", pod.Namespace, pod.Name, target, ctx.Err())
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		return "", nil, fmt.Errorf("port-forward to pod %s/%s:%d: no local port (%v)", pod.Namespace, pod.Name, target, err)
	}
	scheme := "http"
	if sp.Port == 443 || strings.Contains(sp.Name, "https") || (sp.AppProtocol != nil && strings.EqualFold(*sp.AppProtocol, "https")) {
		scheme = "https"
	}
	closeFn := func() {
		close(stop)
		<-errc
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[0].Local), closeFn, nil
}

// targetPort resolves a Service port's target on a pod (a number, or a named container port).
func targetPort(pod *corev1.Pod, sp *corev1.ServicePort) (int, error) {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.Int && tp.IntVal > 0:
		return int(tp.IntVal), nil
	case tp.Type == intstr.String && tp.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == tp.StrVal {
					return int(p.ContainerPort), nil
				}
			}
		}
		return 0, fmt.Errorf("pod %s has no container port named %s", pod.Name, tp.StrVal)
	}
	return int(sp.Port), nil
}

// reach returns the base URL of a service that is either reachable directly (url) or in
// the cluster (svc, through a port-forward opened here; call the returned func to close
// it). flag names the option in errors.
func (r *run) reach(ctx context.Context, url string, svc *ServiceRef, flag string) (string, func(), error) {
	if svc == nil {
		return url, func() {}, nil
	}
	if r.client == nil || !r.manifest.Cluster.Reachable {
		return "", nil, fmt.Errorf("%s %s: the cluster could not be reached", flag, svc)
	}
	if r.cfg == nil {
		return "", nil, fmt.Errorf("%s %s: a port-forward needs a REST config (collect was given clients)", flag, svc)
	}
	u, closeFn, err := forwardService(ctx, r.cfg, r.client, *svc)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", flag, err)
	}
	return u, closeFn, nil
}
