package model

import (
	"path"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/loglines"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// bundleLogs gives the detectors the bundle's container logs: the tails already read
// (and scrubbed), and windows around a time read from the log files and scrubbed whole.
type bundleLogs struct {
	br    *bundle.Reader
	tails []LogTail
	rd    *redact.Redactor
}

func (l bundleLogs) Tail(ns, pod, ctr string, previous bool, n int) []string {
	for _, t := range l.tails {
		if t.Namespace == ns && t.Pod == pod && t.Container == ctr && t.Previous == previous {
			lines := t.Lines
			if len(lines) > n {
				lines = lines[len(lines)-n:]
			}
			out := make([]string, len(lines))
			for i, line := range lines {
				out[i] = line.Text
			}
			return out
		}
	}
	return nil
}

func (l bundleLogs) Lines() []findings.LogLine {
	var out []findings.LogLine
	for _, t := range l.tails {
		for _, line := range t.Lines {
			out = append(out, findings.LogLine{Namespace: t.Namespace, Pod: t.Pod, Container: t.Container, Previous: t.Previous, Time: line.Time, Text: line.Text})
		}
	}
	return out
}

func (l bundleLogs) Around(ns, pod, ctr string, at time.Time, before, after int) []string {
	return scrubLines(l.rd, linesAround(l.br, bundle.LogPath(ns, pod, ctr, false), at, before, after, 64<<20))
}

func serviceOf(p *corev1.Pod) string {
	for _, k := range []string{"app.kubernetes.io/name", "app", "k8s-app", "job-name"} {
		if v := p.Labels[k]; v != "" {
			return v
		}
	}
	return p.Name
}

// loadLogs reads the last n lines of every container log: the unhealthy containers'
// first, whole; then the healthy ones', cut to their last HealthyTailLines lines and
// the error and warning lines before them.
func (r *Report) loadLogs(br *bundle.Reader, pods []corev1.Pod, deleted map[string]time.Time, n int, rd *redact.Redactor) []LogTail {
	// One job a pod: its log directory is opened once, then each of its containers'
	// current and previous logs read from it. Two readers: reading and classifying 800
	// tails is a fifth of a render.
	perPod := make([][]*LogTail, len(pods))
	var read atomic.Int64
	var g errgroup.Group
	g.SetLimit(2)
	for k := range pods {
		g.Go(func() error { readPodLogs(br, &pods[k], n, rd, deleted, &perPod[k], &read); return nil })
	}
	g.Wait()
	r.TailStats.BytesRead += read.Load()
	var sick, healthy []LogTail
	for _, tails := range perPod {
		for _, t := range tails {
			if t.Healthy {
				healthy = append(healthy, *t)
			} else {
				sick = append(sick, *t)
			}
		}
	}
	return append(sick, healthy...)
}

// readPodLogs reads a pod's containers' current and previous tails from its log
// directory, opened once.
func readPodLogs(br *bundle.Reader, p *corev1.Pod, n int, rd *redact.Redactor, deleted map[string]time.Time, tails *[]*LogTail, read *atomic.Int64) {
	dir, err := br.Sub(path.Dir(bundle.LogPath(p.Namespace, p.Name, "c", false)))
	if err != nil {
		return // no logs of this pod in the bundle
	}
	defer dir.Close()
	for _, ctr := range bundle.ContainerNames(p) {
		for _, prev := range []bool{true, false} {
			var st TailStats
			t := readTail(dir, p, ctr, prev, n, rd, deleted, &st)
			read.Add(st.BytesRead)
			if t != nil {
				*tails = append(*tails, t)
			}
		}
	}
}

// readTail reads one container log's tail from its pod's log directory: scrubbed as a
// stream before the cut (a key spans lines), each line's time and level parsed; a
// healthy container's cut to its last lines and the errors before them.
func readTail(dir *bundle.Reader, p *corev1.Pod, ctr string, prev bool, n int, rd *redact.Redactor, deleted map[string]time.Time, st *TailStats) *LogTail {
	rel := bundle.LogPath(p.Namespace, p.Name, ctr, prev)
	lines, more, size, err := tailLines(dir, path.Base(rel), n, 4<<20, st)
	if err != nil {
		return nil
	}
	lines = scrubLines(rd, lines)
	t := &LogTail{Service: serviceOf(p), Namespace: p.Namespace, Pod: p.Name, Container: ctr, Previous: prev, File: rel, Size: size, More: more,
		Healthy: !prev && containerHealthy(p, ctr, deleted)}
	keepFrom := 0
	if t.Healthy {
		keepFrom = len(lines) - HealthyTailLines
	}
	for i, l := range lines {
		ts, text := opactions.SplitTimestamp(l)
		level := loglines.Level(text)
		if i < keepFrom && level == "" {
			t.Omitted++
			continue
		}
		t.Lines = append(t.Lines, LogLine{Time: ts, Text: text, Level: level})
	}
	return t
}

// containerHealthy: the pod is not failing, pending or deleted, and the container is
// running ready and never restarted, or (an init container) finished with exit code 0.
// A container without a status is not healthy: nothing says it is.
func containerHealthy(p *corev1.Pod, ctr string, deleted map[string]time.Time) bool {
	if _, gone := deleted[p.Namespace+"/"+p.Name]; gone || p.Status.Reason != "" {
		return false
	}
	if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodSucceeded {
		return false
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if cs.Name == ctr {
			t := cs.State.Terminated
			return cs.RestartCount == 0 && (t != nil && t.ExitCode == 0 || cs.State.Running != nil && cs.Ready)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == ctr {
			if cs.RestartCount > 0 || cs.State.Waiting != nil {
				return false
			}
			if t := cs.State.Terminated; t != nil {
				return t.ExitCode == 0
			}
			return cs.State.Running != nil && cs.Ready
		}
	}
	return false
}
