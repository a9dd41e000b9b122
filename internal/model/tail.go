package model

import (
	"bufio"
	"bytes"
	"io"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
)

// TailStats counts what reading tails cost, for the benchmark that proves render reads
// only the tails it shows.
type TailStats struct{ BytesRead int64 }

// tailLines returns the last n lines of the file, reading backwards from its end in
// blocks and never more than maxBytes. The bool is true when the file holds more than
// what was returned.
func tailLines(br *bundle.Reader, rel string, n int, maxBytes int64, st *TailStats) ([]string, bool, int64, error) {
	f, info, err := br.Open(rel)
	if err != nil {
		return nil, false, 0, err
	}
	defer f.Close()
	size := info.Size()
	const block = 64 * 1024
	var buf []byte
	pos := size
	for pos > 0 && int64(len(buf)) < maxBytes {
		step := min(int64(block), pos, maxBytes-int64(len(buf)))
		pos -= step
		chunk := make([]byte, step)
		if _, err := f.ReadAt(chunk, pos); err != nil && err != io.EOF {
			return nil, false, size, err
		}
		if st != nil {
			st.BytesRead += step
		}
		buf = append(chunk, buf...)
		if bytes.Count(buf, []byte{'\n'}) > n {
			break
		}
	}
	buf = bytes.TrimRight(buf, "\n")
	lines := bytes.Split(buf, []byte{'\n'})
	more := pos > 0
	if pos > 0 && len(lines) > 0 {
		lines = lines[1:] // the first may be partial
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
		more = true
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if len(l) == 0 && len(lines) == 1 {
			continue
		}
		out = append(out, string(l))
	}
	return out, more, size, nil
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
