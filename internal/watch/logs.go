package watch

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (w *watcher) follow(ctx context.Context, p *corev1.Pod) {
	w.mu.Lock()
	_, gone := w.deleted[p.Namespace+"/"+p.Name]
	w.mu.Unlock()
	if gone {
		return
	}
	for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range group {
			if cs.State.Running == nil && cs.State.Terminated == nil {
				continue
			}
			k := p.Namespace + "/" + p.Name + "/" + cs.Name + "/" + string(p.UID)
			w.mu.Lock()
			_, running := w.followers[k]
			if running {
				w.mu.Unlock()
				continue
			}
			fctx, stop := context.WithCancel(ctx)
			w.followers[k] = stop
			w.wg.Add(1)
			w.mu.Unlock()
			go func(ns, pod, ctr string) {
				defer w.wg.Done()
				w.followLog(fctx, ns, pod, ctr)
				// Done (the pod went away): a later version of the pod may start it again.
				w.mu.Lock()
				delete(w.followers, k)
				w.mu.Unlock()
			}(p.Namespace, p.Name, cs.Name)
		}
	}
}

// followLog streams a container's log into watch/logs, reconnecting (from the last
// timestamp it wrote, skipping what it has) whenever the stream ends, until the pod is
// gone or ctx is done.
func (w *watcher) followLog(ctx context.Context, ns, pod, ctr string) {
	path := filepath.Join(w.o.Dir, filepath.FromSlash(bundle.WatchLogPath(ns, pod, ctr)))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.errorf("log %s/%s/%s: %v", ns, pod, ctr, err)
		return
	}
	last, atLast, size := lastTimestamp(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.errorf("log %s/%s/%s: %v", ns, pod, ctr, err)
		return
	}
	defer f.Close()
	scrub := w.o.Redactor.NewLines()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		opts := &corev1.PodLogOptions{Container: ctr, Follow: true, Timestamps: true}
		if !last.IsZero() {
			t := metav1.NewTime(last)
			opts.SinceTime = &t
		}
		stream, err := w.cs.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
		w.o.Log.Debug("follow log", "pod", ns+"/"+pod, "container", ctr, "since", last, "err", err)
		if err != nil {
			if apierrors.IsNotFound(err) {
				if _, gerr := w.cs.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{}); apierrors.IsNotFound(gerr) {
					return // the pod is gone
				}
			}
			if !sleep(ctx, w.o.Resync) {
				return
			}
			continue
		}
		skip := atLast // lines at the last timestamp already written
		sc := bufio.NewScanner(stream)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			ts, _ := opactions.SplitTimestamp(line)
			if !ts.IsZero() && !last.IsZero() {
				if ts.Before(last) {
					continue
				}
				if ts.Equal(last) && skip > 0 {
					skip--
					continue
				}
			}
			if w.o.LogMaxBytes > 0 && size >= w.o.LogMaxBytes || w.o.LogTotalBytes > 0 && w.logBytes.Load() >= w.o.LogTotalBytes {
				continue // over the cap: keep reading (the stream must drain) but write nothing
			}
			// Each line reaches the file at once: a follow stream may not end for hours,
			// and a pod deleted meanwhile must not lose what it wrote.
			line = scrub.Line(line)
			n, _ := f.WriteString(line + "\n")
			size += int64(n)
			w.logBytes.Add(int64(n))
			if !ts.IsZero() {
				if ts.Equal(last) {
					atLast++
				} else {
					last, atLast = ts, 1
				}
			}
		}
		stream.Close()
		if !sleep(ctx, w.o.Resync) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// lastTimestamp reads the end of a log written earlier (a restarted watcher): its last
// timestamp, how many lines carry it, and its size.
func lastTimestamp(path string) (time.Time, int, int64) {
	// Not a regular file of ours (a FIFO, a symlink): nothing to resume from.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return time.Time{}, 0, 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return time.Time{}, 0, 0
	}
	start := max(0, st.Size()-64*1024)
	f.Seek(start, io.SeekStart)
	b, _ := io.ReadAll(f)
	var last time.Time
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		ts, _ := opactions.SplitTimestamp(l)
		if ts.IsZero() {
			continue
		}
		if ts.Equal(last) {
			n++
		} else if ts.After(last) {
			last, n = ts, 1
		}
	}
	return last, n, st.Size()
}
