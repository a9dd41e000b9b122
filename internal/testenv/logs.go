package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// LogLine is one line of a container's log.
type LogLine struct {
	Time   time.Time
	Stream string // "stdout" (default) or "stderr"
	Text   string
}

// Lines turns plain text lines into log lines one second apart from start.
func Lines(start time.Time, text ...string) []LogLine {
	out := make([]LogLine, len(text))
	for i, t := range text {
		out[i] = LogLine{Time: start.Add(time.Duration(i) * time.Second), Text: t}
	}
	return out
}

// CRI renders lines in the CRI log format that kubelets write and kwok serves.
func CRI(lines []LogLine) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		stream := l.Stream
		if stream == "" {
			stream = "stdout"
		}
		fmt.Fprintf(&b, "%s %s F %s\n", l.Time.UTC().Format(time.RFC3339Nano), stream, l.Text)
	}
	return b.Bytes()
}

// SetContainerLogs gives a container a current log and, if previous is non-nil, a
// previous log, served by kwok through the API server's pods/log. The pod need not
// exist yet. Logs are written as CRI files under the cluster's directory.
func (c *Cluster) SetContainerLogs(ctx context.Context, namespace, pod, container string, current, previous []LogLine) error {
	return c.SetContainerLogFiles(ctx, namespace, pod, container, CRI(current), maybeCRI(previous))
}

func maybeCRI(lines []LogLine) []byte {
	if lines == nil {
		return nil
	}
	return CRI(lines)
}

// SetContainerLogFiles is SetContainerLogs with raw CRI file contents.
func (c *Cluster) SetContainerLogFiles(ctx context.Context, namespace, pod, container string, current, previous []byte) error {
	entry, err := c.writeLogFiles(namespace, pod, container, current, previous)
	if err != nil {
		return err
	}
	if err := c.upsertLogsEntry(ctx, namespace, pod, container, entry); err != nil {
		return err
	}
	return c.waitKwokServesLogs(ctx, namespace, pod, container, current)
}

// SetNamespaceContainerLogs gives every pod in namespace (existing or created later,
// e.g. by a Deployment) that has a container named container the same current and
// previous logs, through a kwok ClusterLogs object. A pod-specific SetContainerLogs wins.
func (c *Cluster) SetNamespaceContainerLogs(ctx context.Context, namespace, container string, current, previous []LogLine) error {
	entry, err := c.writeLogFiles(namespace, "_all", container, CRI(current), maybeCRI(previous))
	if err != nil {
		return err
	}
	name := namespace + "." + container
	res := c.Dynamic.Resource(clusterLogsGVR)
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "ClusterLogs",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"selector": map[string]any{"matchNamespaces": []any{namespace}},
			"logs":     []any{entry},
		},
	}}
	old, err := res.Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		obj.SetResourceVersion(old.GetResourceVersion())
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
	} else {
		_, err = res.Create(ctx, obj, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	// kwok matches ClusterLogs by namespace only, so any pod name probes it.
	return c.waitKwokServesLogs(ctx, namespace, "ci-report-logs-probe", container, CRI(current))
}

// waitKwokServesLogs waits until kwok's kubelet server, which learns of Logs and
// ClusterLogs objects through a watch, serves the new current log for the container.
func (c *Cluster) waitKwokServesLogs(ctx context.Context, namespace, pod, container string, current []byte) error {
	want := ""
	if lines := bytes.SplitN(current, []byte("\n"), 2); len(lines) > 0 {
		if f := bytes.SplitN(lines[0], []byte(" "), 4); len(f) == 4 {
			want = string(f[3])
		}
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	url := fmt.Sprintf("https://127.0.0.1:%d/containerLogs/%s/%s/%s?limitBytes=4096", c.kwokPort, namespace, pod, container)
	return pollUntil(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), want), nil
	})
}

func (c *Cluster) writeLogFiles(namespace, pod, container string, current, previous []byte) (map[string]any, error) {
	dir := filepath.Join(c.Dir, "pod-logs", namespace, pod)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entry := map[string]any{"containers": []any{container}, "follow": false}
	cur := filepath.Join(dir, container+".log")
	if err := os.WriteFile(cur, current, 0o644); err != nil {
		return nil, err
	}
	entry["logsFile"] = cur
	if previous != nil {
		prev := filepath.Join(dir, container+".previous.log")
		if err := os.WriteFile(prev, previous, 0o644); err != nil {
			return nil, err
		}
		entry["previousLogsFile"] = prev
	}
	return entry, nil
}

// LogFilePath is where SetContainerLogs keeps a container's current log, for tests that
// write large logs directly.
func (c *Cluster) LogFilePath(namespace, pod, container string) string {
	return filepath.Join(c.Dir, "pod-logs", namespace, pod, container+".log")
}

func (c *Cluster) upsertLogsEntry(ctx context.Context, namespace, pod, container string, entry map[string]any) error {
	res := c.Dynamic.Resource(logsGVR).Namespace(namespace)
	obj, err := res.Get(ctx, pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		obj = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1",
			"kind":       "Logs",
			"metadata":   map[string]any{"name": pod, "namespace": namespace},
			"spec":       map[string]any{"logs": []any{entry}},
		}}
		_, err = res.Create(ctx, obj, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	logs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "logs")
	kept := []any{entry}
	for _, l := range logs {
		m, _ := l.(map[string]any)
		cs, _ := m["containers"].([]any)
		if len(cs) == 1 && cs[0] == container {
			continue
		}
		kept = append(kept, l)
	}
	if err := unstructured.SetNestedSlice(obj.Object, kept, "spec", "logs"); err != nil {
		return err
	}
	_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

var portForwardsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}
