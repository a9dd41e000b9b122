package model

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
)

// TailStats counts what reading tails cost, for the benchmark that proves render reads
// only the tails it shows.
type TailStats struct{ BytesRead int64 }

// tailBuffers are the read buffers of tailLines (a tail is copied out of its buffer).
var tailBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// tailLines returns the last n lines of the file, reading from its end (64 KiB, then
// twice as much until n lines fit) and never more than maxBytes. The bool is true when
// the file holds more than what was returned.
func tailLines(br *bundle.Reader, rel string, n int, maxBytes int64, st *TailStats) ([]string, bool, int64, error) {
	f, info, err := br.Open(rel)
	if err != nil {
		return nil, false, 0, err
	}
	defer f.Close()
	size := info.Size()
	want := min(size, maxBytes)
	bp := tailBuffers.Get().(*[]byte)
	defer tailBuffers.Put(bp)
	readAt, ok := f.(io.ReaderAt)
	if !ok { // a stream (a zip entry): skip to the last want bytes, read them once
		readAt = &streamAt{r: f}
	}
	var buf []byte
	for read := min(want, 64<<10); ; read = min(read*2, want) {
		if !ok {
			read = want
		}
		if int64(cap(*bp)) < read {
			*bp = make([]byte, 0, read)
		}
		buf = (*bp)[:read]
		if _, err := readAt.ReadAt(buf, size-read); err != nil && err != io.EOF {
			return nil, false, size, err
		}
		if st != nil {
			st.BytesRead += read
		}
		if read == want || bytes.Count(buf, []byte{'\n'}) > n {
			break
		}
	}
	pos := size - int64(len(buf))
	buf = bytes.TrimRight(buf, "\n")
	more := pos > 0
	if pos > 0 { // the buffer starts inside a line: drop it
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		} else {
			buf = nil
		}
	}
	if len(buf) == 0 || n <= 0 {
		return nil, more || len(buf) > 0, size, nil
	}
	// The last n lines start after the n-th line break from the end.
	from := 0
	for j, count := len(buf), 1; ; count++ {
		i := bytes.LastIndexByte(buf[:j], '\n')
		if i < 0 {
			break
		}
		if count == n {
			from, more = i+1, true
			break
		}
		j = i
	}
	out := make([]string, 0, n)
	for rest := buf[from:]; ; {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		out = append(out, string(line))
		if !found {
			break
		}
		rest = after
	}
	return out, more, size, nil
}

// streamAt reads a file that cannot seek at one offset, once: what tailLines needs of it.
type streamAt struct{ r io.Reader }

func (s *streamAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := io.CopyN(io.Discard, s.r, off); err != nil {
		return 0, err
	}
	return io.ReadFull(s.r, p)
}

// linesAround returns up to before lines logged before at and after lines from at on,
// from a timestamped log in the bundle, reading at most maxBytes. The timestamps are
// kept, so a reader sees when each line was written.
func linesAround(br *bundle.Reader, rel string, at time.Time, before, after int, maxBytes int64) []string {
	f, _, err := br.Open(rel)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxBytes))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var ring []string
	var out []string
	for sc.Scan() {
		line := sc.Text()
		ts, _ := opactions.SplitTimestamp(line)
		if out == nil && (ts.IsZero() || ts.Before(at)) {
			ring = append(ring, line)
			if len(ring) > before {
				ring = ring[1:]
			}
			continue
		}
		if out == nil {
			out = append([]string{}, ring...)
		}
		out = append(out, line)
		if len(out) >= len(ring)+after {
			break
		}
	}
	if out == nil {
		return ring
	}
	return out
}
