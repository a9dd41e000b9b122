package model

import (
	"bytes"
	"io"

	"github.com/org/k8s-e2e-report/internal/bundle"
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
