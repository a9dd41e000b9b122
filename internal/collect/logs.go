package collect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// MaxLogLine is the longest log line kept whole; longer lines are cut.
const MaxLogLine = 64 * 1024

// logTarget is one container log to fetch.
type logTarget struct {
	pod       *corev1.Pod
	container string
	previous  bool
}

// logTargets lists, for every scheduled pod, the current log of each init, regular and
// ephemeral container that has run, and the previous log of each that restarted or has
// a terminated last state.
func logTargets(pods []corev1.Pod, gone func(*corev1.Pod) bool) []logTarget {
	var out []logTarget
	for i := range pods {
		p := &pods[i]
		if p.Spec.NodeName == "" || gone(p) {
			continue // never scheduled, or gone (watch kept its logs): none to fetch
		}
		status := map[string]corev1.ContainerStatus{}
		for _, group := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
			for _, cs := range group {
				status[cs.Name] = cs
			}
		}
		for _, name := range bundle.ContainerNames(p) {
			cs, known := status[name]
			neverRan := known && cs.State.Running == nil && cs.State.Terminated == nil && cs.RestartCount == 0 && cs.LastTerminationState.Terminated == nil
			if !neverRan {
				out = append(out, logTarget{pod: p, container: name})
			}
			if known && (cs.RestartCount > 0 || cs.LastTerminationState.Terminated != nil) {
				out = append(out, logTarget{pod: p, container: name, previous: true})
			}
		}
	}
	return out
}

// collectLogs streams every container log to disk, capped by the API server
// (tailLines, limitBytes) and by a total budget, scrubbing each line.
func (r *run) collectLogs(ctx context.Context) {
	rec := r.newRecord("logs")
	defer rec.done()
	pods := r.res.pods()
	defer r.copyWatchedLogs(rec, pods)
	targets := logTargets(pods, r.res.isGone)
	if len(targets) == 0 {
		rec.skip("no pods with containers that ran")
		return
	}
	budget := &atomic.Int64{}
	budget.Store(r.opts.LogTotalBytes)
	var wg sync.WaitGroup
	for _, t := range targets {
		if !r.acquire(ctx) {
			rec.errorf("log %s: %v", bundle.LogPath(t.pod.Namespace, t.pod.Name, t.container, t.previous), ctx.Err())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.release()
			r.fetchLog(ctx, rec, t, budget)
		}()
	}
	wg.Wait()
}

// reserve takes up to want bytes from the budget (<= 0: unlimited budget).
func reserve(budget *atomic.Int64, total, want int64) int64 {
	if total <= 0 {
		return want
	}
	for {
		left := budget.Load()
		if left <= 0 {
			return 0
		}
		take := min(want, left)
		if want <= 0 {
			take = left
		}
		if budget.CompareAndSwap(left, left-take) {
			return take
		}
	}
}

func (r *run) fetchLog(ctx context.Context, rec *record, t logTarget, budget *atomic.Int64) {
	rel := bundle.LogPath(t.pod.Namespace, t.pod.Name, t.container, t.previous)
	limit := reserve(budget, r.opts.LogTotalBytes, r.opts.LogMaxBytes)
	if r.opts.LogTotalBytes > 0 && limit == 0 {
		rec.truncated(rel, "skipped: total log budget (--log-total-bytes) used up")
		return
	}
	// Timestamps let render slice logs by a failed test's time window.
	opts := &corev1.PodLogOptions{Container: t.container, Previous: t.previous, Timestamps: true}
	if limit > 0 {
		opts.LimitBytes = &limit
	}
	if r.opts.LogTailLines > 0 {
		opts.TailLines = &r.opts.LogTailLines
	}
	if r.opts.Since > 0 && !t.previous {
		secs := int64(r.opts.Since.Seconds())
		opts.SinceSeconds = &secs
	}
	stream, err := r.client.CoreV1().Pods(t.pod.Namespace).GetLogs(t.pod.Name, opts).Stream(ctx)
	if err != nil {
		refund(budget, r.opts.LogTotalBytes, limit)
		rec.errorf("log %s: %v", rel, err)
		return
	}
	defer stream.Close()
	f, err := r.dir.Create(rel)
	if err != nil {
		refund(budget, r.opts.LogTotalBytes, limit)
		rec.errorf("log %s: %v", rel, err)
		return
	}
	st, err := r.copyLog(f, stream)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if limit > 0 {
		refund(budget, r.opts.LogTotalBytes, limit-st.in)
	}
	rec.add(1, f.N(), rel)
	rec.redacted("log-lines", st.redacted)
	if st.binary > 0 {
		rec.truncated(rel, fmt.Sprintf("%d binary lines replaced by a marker", st.binary))
	}
	if st.longLines > 0 {
		rec.truncated(rel, fmt.Sprintf("%d lines longer than %d bytes cut", st.longLines, MaxLogLine))
	}
	if limit > 0 && st.in >= limit {
		reason := fmt.Sprintf("cut at %d bytes by --log-max-bytes", limit)
		if limit < r.opts.LogMaxBytes || r.opts.LogMaxBytes <= 0 {
			reason = fmt.Sprintf("cut at %d bytes: total log budget (--log-total-bytes) nearly used up", limit)
		}
		rec.truncated(rel, reason)
	}
	if r.opts.LogTailLines > 0 && st.lines >= r.opts.LogTailLines {
		rec.truncated(rel, fmt.Sprintf("last %d lines only (--log-tail-lines)", r.opts.LogTailLines))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		rec.errorf("log %s: stream broke after %d bytes: %v", rel, st.in, err)
	}
}

func refund(budget *atomic.Int64, total, n int64) {
	if total > 0 && n > 0 {
		budget.Add(n)
	}
}

type copyStats struct {
	in, lines                   int64
	redacted, binary, longLines int
}

// copyLog copies a log line by line through the scrubber, holding at most one block of
// lines (512 lines or 256 KiB, each line capped at MaxLogLine) in memory.
func (r *run) copyLog(w io.Writer, src io.Reader) (copyStats, error) {
	c := &logCopier{scrub: r.opts.Redactor.NewLines(), bw: bufio.NewWriterSize(w, 32*1024), line: make([]byte, 0, 4096)}
	br := bufio.NewReaderSize(src, 32*1024)
	for {
		chunk, err := br.ReadSlice('\n')
		c.st.in += int64(len(chunk))
		body := chunk
		complete := len(body) > 0 && body[len(body)-1] == '\n'
		if complete {
			body = body[:len(body)-1]
		}
		c.lineLen += len(body)
		if room := MaxLogLine - len(c.line); room > 0 {
			c.line = append(c.line, body[:min(len(body), room)]...)
		}
		if complete {
			c.endLine()
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if c.lineLen > 0 {
				c.endLine()
			}
			c.writeBlock()
			if ferr := c.bw.Flush(); ferr != nil {
				return c.st, ferr
			}
			if err == io.EOF {
				return c.st, nil
			}
			return c.st, err
		}
	}
}

// Lines are scrubbed in blocks (see redact.Lines.Block), at most blockLines lines or
// blockBytes bytes held at once.
const blockLines, blockBytes = 512, 256 << 10

// logCopier is one log's copy: the line being read, and the block of lines waiting to
// be scrubbed and written.
type logCopier struct {
	st                   copyStats
	scrub                *redact.Lines
	bw                   *bufio.Writer
	line                 []byte
	lineLen              int // the whole line's length, including what did not fit
	pending, raw, suffix []string
	pendingBytes         int
}

func (c *logCopier) writeBlock() {
	if len(c.pending) == 0 {
		return
	}
	out := c.scrub.Block(c.pending)
	for i, text := range out {
		if text != c.raw[i] {
			c.st.redacted++
		}
		c.bw.WriteString(text)
		c.bw.WriteString(c.suffix[i])
		c.bw.WriteByte('\n')
	}
	c.pending, c.raw, c.suffix, c.pendingBytes = c.pending[:0], c.raw[:0], c.suffix[:0], 0
}

// endLine queues the line read: binary data as a note, a line over MaxLogLine cut
// (never inside a UTF-8 sequence) and marked.
func (c *logCopier) endLine() {
	c.st.lines++
	cut := c.lineLen > len(c.line)
	if cut {
		for k := 0; k < utf8.UTFMax && len(c.line) > 0 && !utf8.Valid(c.line); k++ {
			c.line = c.line[:len(c.line)-1]
		}
	}
	var text, tail string
	if isBinary(c.line) {
		c.st.binary++
		text = fmt.Sprintf("[ci-report: %d bytes of binary data omitted]", c.lineLen)
	} else {
		text = string(c.line)
		if cut {
			tail = fmt.Sprintf(" [ci-report: line cut, %d bytes]", c.lineLen)
			c.st.longLines++
		}
	}
	c.pending, c.raw, c.suffix = append(c.pending, text), append(c.raw, text), append(c.suffix, tail)
	c.pendingBytes += len(text)
	if len(c.pending) >= blockLines || c.pendingBytes >= blockBytes {
		c.writeBlock()
	}
	c.line, c.lineLen = c.line[:0], 0
}

// isBinary reports lines that are not text: NUL bytes or invalid UTF-8.
func isBinary(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return !utf8.Valid(b)
}
