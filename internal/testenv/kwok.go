package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"sigs.k8s.io/yaml"
)

const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	// PlantedAnnotation marks a pod whose status a test sets itself: kwok's pod-ready and
	// pod-complete stages skip such pods, so they do not overwrite the planted status.
	PlantedAnnotation = "ci-report.dev/planted-status"
)

var metav1GetOptions = metav1.GetOptions{}

var (
	logsGVR        = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	clusterLogsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "clusterlogs"}
)

func withNegotiatedSerializer(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &schema.GroupVersion{}
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return c
}

// writeKwokConfig writes kwok's configuration: its options, and the stock "fast" node
// and pod stages, with pod-ready and pod-complete told to skip planted pods.
func (c *Cluster) writeKwokConfig() (string, error) {
	var docs []string
	docs = append(docs, `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  enableDebuggingHandlers: true
  nodeIP: 127.0.0.1
  cidr: 10.244.0.1/24
  nodePort: `+fmt.Sprint(c.kwokPort)+`
  serverAddress: 127.0.0.1:`+fmt.Sprint(c.kwokPort)+`
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 4
  podsOnNodeSyncParallelism: 4
`)
	stages := []struct {
		file      string
		skipPlant bool
	}{
		{"node/fast/node-initialize.yaml", false},
		{"node/heartbeat-with-lease/node-heartbeat-with-lease.yaml", false},
		{"pod/fast/pod-ready.yaml", true},
		{"pod/fast/pod-complete.yaml", true},
		{"pod/fast/pod-delete.yaml", false},
	}
	for _, s := range stages {
		b, err := os.ReadFile(filepath.Join(c.Binaries.Dir, "kwok-stages", s.file))
		if err != nil {
			return "", fmt.Errorf("read kwok stage: %w", err)
		}
		if s.skipPlant {
			var obj map[string]any
			if err := yaml.Unmarshal(b, &obj); err != nil {
				return "", fmt.Errorf("parse kwok stage %s: %w", s.file, err)
			}
			spec := obj["spec"].(map[string]any)
			sel, _ := spec["selector"].(map[string]any)
			if sel == nil {
				sel = map[string]any{}
				spec["selector"] = sel
			}
			exprs, _ := sel["matchExpressions"].([]any)
			sel["matchExpressions"] = append(exprs, map[string]any{
				"key":      fmt.Sprintf(".metadata.annotations[%q]", PlantedAnnotation),
				"operator": "DoesNotExist",
			})
			if b, err = yaml.Marshal(obj); err != nil {
				return "", err
			}
		}
		docs = append(docs, string(b))
	}
	path := filepath.Join(c.Dir, "kwok.yaml")
	return path, os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")), 0o644)
}

// installKwokCRDs installs every CRD kwok ships and waits until each is established.
func (c *Cluster) installKwokCRDs(ctx context.Context) error {
	dir := filepath.Join(c.Binaries.Dir, "kwok-crds")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if err := c.InstallCRDYAML(ctx, b); err != nil {
			return fmt.Errorf("install kwok CRD %s: %w", e.Name(), err)
		}
	}
	return nil
}

// InstallCRDYAML installs the CustomResourceDefinitions in a (multi-document) YAML
// manifest and waits until they are established.
func (c *Cluster) InstallCRDYAML(ctx context.Context, manifest []byte) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := dec.Decode(&crd); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return err
		}
		if crd.Name == "" {
			continue
		}
		if err := c.InstallCRD(ctx, &crd); err != nil {
			return err
		}
	}
}

// InstallCRD creates (or updates) a CRD and waits until it is established.
func (c *Cluster) InstallCRD(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	crds := c.APIExt.ApiextensionsV1().CustomResourceDefinitions()
	_, err := crds.Create(ctx, crd, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		old, gerr := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		crd.ResourceVersion = old.ResourceVersion
		_, err = crds.Update(ctx, crd, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("create CRD %s: %w", crd.Name, err)
	}
	return pollUntil(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// kwokHealthy reports whether kwok's kubelet server answers.
func (c *Cluster) kwokHealthy(ctx context.Context) bool {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.kwokPort), nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// KubeletProtocol is the protocol kwok's kubelet server negotiates with a client that
// offers both, as the API server does: "h2" or "http/1.1" (see Options.KubeletHTTP1).
func (c *Cluster) KubeletProtocol() (string, error) {
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", c.kwokPort), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().NegotiatedProtocol, nil
}

// NodeOptions describe a fake node.
type NodeOptions struct {
	CPU    string // e.g. "4"; default "8"
	Memory string // e.g. "8Gi"; default "32Gi"
	Pods   string // default "110"
	Labels map[string]string
}

// CreateNode creates a node that kwok manages and waits until it is Ready.
func (c *Cluster) CreateNode(ctx context.Context, name string, o NodeOptions) (*corev1.Node, error) {
	def := func(v, d string) resource.Quantity {
		if v == "" {
			v = d
		}
		return resource.MustParse(v)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    def(o.CPU, "8"),
		corev1.ResourceMemory: def(o.Memory, "32Gi"),
		corev1.ResourcePods:   def(o.Pods, "110"),
	}
	labels := map[string]string{"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
	for k, v := range o.Labels {
		labels[k] = v
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: map[string]string{kwokNodeAnnotation: "fake"}},
		Status:     corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create node %s: %w", name, err)
	}
	var got *corev1.Node
	err := pollUntil(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		got = n
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return len(n.Spec.Taints) == 0, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return got, fmt.Errorf("node %s not ready: %w", name, err)
	}
	return got, nil
}

// ForwardPodPort makes a port-forward to the pod's port (through the API server, as
// kubectl port-forward and client-go do) reach a real server on address:target: kwok,
// playing the kubelet, connects the forwarded stream there (its PortForward object, one
// per pod: a port already forwarded elsewhere keeps its own target).
func (c *Cluster) ForwardPodPort(ctx context.Context, namespace, pod string, port int, address string, target int) error {
	forward := map[string]any{
		"ports":  []any{int64(port)},
		"target": map[string]any{"address": address, "port": int64(target)},
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "PortForward",
		"metadata":   map[string]any{"name": pod, "namespace": namespace},
		"spec":       map[string]any{"forwards": []any{forward}},
	}}
	res := c.Dynamic.Resource(portForwardsGVR).Namespace(namespace)
	if _, err := res.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("kwok PortForward %s/%s: %w", namespace, pod, err)
		}
		cur, err := res.Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return err
		}
		forwards := []any{forward}
		old, _, _ := unstructured.NestedSlice(cur.Object, "spec", "forwards")
		for _, f := range old {
			if ports, _, _ := unstructured.NestedSlice(asMap(f), "ports"); !slices.Contains(ports, any(int64(port))) {
				forwards = append(forwards, f)
			}
		}
		if err := unstructured.SetNestedSlice(cur.Object, forwards, "spec", "forwards"); err != nil {
			return err
		}
		if _, err := res.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	// kwok learns of the object through a watch: wait until a forwarded connection
	// really reaches the target.
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return c.probePortForward(ctx, namespace, pod, port), nil
	})
}

// probePortForward opens a port-forward to the pod's port and reports whether a
// connection through it reaches a server (kwok closes it at once when it has no forward).
func (c *Cluster) probePortForward(ctx context.Context, namespace, pod string, port int) bool {
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return false
	}
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward")
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	stop, ready := make(chan struct{}), make(chan struct{})
	defer close(stop)
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return false
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case <-errc:
		return false
	case <-ctx.Done():
		return false
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		return false
	}
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	n, err := conn.Read(make([]byte, 1))
	var ne net.Error
	// The target accepted it: it spoke first (a gRPC server's HTTP/2 settings) or the
	// connection is still open.
	return n > 0 || errors.As(err, &ne) && ne.Timeout()
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
