package demo

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/org/k8s-e2e-report/internal/testenv"
	"github.com/org/k8s-e2e-report/internal/traces/jaegertest"
)

// JaegerPort and JaegerGRPCPort are the demo jaeger Service's ports: the query service
// over HTTP and over gRPC.
const (
	JaegerPort     = 16686
	JaegerGRPCPort = 16685
)

// StartJaeger runs a real Jaeger all-in-one on loopback, sends it the turbo-engine
// services' traces with the OpenTelemetry SDK (a db call failing inside the orders
// request, a slow users call), and backs the demo's jaeger Service with it: kwok forwards
// the jaeger pod's port there. It stops when ctx ends.
func StartJaeger(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	j, err := jaegertest.Start(ctx)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, j.Stop)
	if err := jaegertest.Send(j.OTLPHTTP, time.Now().Add(-3*time.Minute).Truncate(time.Millisecond)); err != nil {
		return fmt.Errorf("send traces: %w", err)
	}
	dep, svc := deployment("jaeger", JaegerPort, false, func(spec *corev1.PodSpec) {
		c := &spec.Containers[0]
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "grpc", ContainerPort: JaegerGRPCPort})
	})
	svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "grpc", Port: JaegerGRPCPort, TargetPort: intstr.FromString("grpc")})
	if _, err := c.Client.AppsV1().Deployments(s.Namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := c.Client.CoreV1().Services(s.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	pod, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name=jaeger", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if err != nil {
		return err
	}
	// Its log, as Jaeger's all-in-one starts (without one, collect records a gap).
	if err := c.SetNamespaceContainerLogs(ctx, s.Namespace, "jaeger", textLog(time.Now().Add(-4*time.Minute), time.Second,
		`{"level":"info","msg":"Starting jaeger-collector HTTP server","http host-port":"[::]:14268"}`,
		`{"level":"info","msg":"Query server started","http_addr":"[::]:16686","grpc_addr":"[::]:16685"}`), nil); err != nil {
		return err
	}
	for port, target := range map[int]int{JaegerPort: j.QueryPort, JaegerGRPCPort: j.GRPCPort} {
		if err := c.ForwardPodPort(ctx, s.Namespace, pod.Name, port, "127.0.0.1", target); err != nil {
			return err
		}
	}
	s.JaegerService = fmt.Sprintf("%s/jaeger:%d", s.Namespace, JaegerPort)
	s.JaegerGRPCService = fmt.Sprintf("%s/jaeger:%d", s.Namespace, JaegerGRPCPort)
	s.JaegerURL, s.JaegerGRPC = j.QueryURL, j.QueryGRPC
	return nil
}
