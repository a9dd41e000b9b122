package query

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// Limits of one logs answer.
const (
	MaxScan     = 64 << 20 // bytes of a log one call reads; the cursor goes on from there
	maxLineRead = 64 << 10 // a longer line is cut
	maxLineShow = 2000
	maxPattern  = 512
	maxContext  = 20
	maxTail     = 2000
	scrubBlock  = 256 // lines scrubbed together (a private key's lines are one secret)
)

// LogQuery is what logs is asked.
type LogQuery struct {
	Namespace, Pod, Container string
	Previous                  bool
	Around                    string // a time (RFC 3339); with Seconds either side
	Seconds                   int    // default 30
	Grep                      string // RE2
	Context                   int    // lines around each match
	Tail                      int    // the last N lines (alone: no grep, no around)
	Paging
}

// LogText is one line of a log answer.
type LogText struct {
	Line int    `json:"line,omitempty"` // 1-based; 0 when the answer started from a seek
	Text string `json:"text"`
	Hit  bool   `json:"match,omitempty"`
}

// Logs is a page of a container's log.
type Logs struct {
	File       Link      `json:"file"`
	Containers []string  `json:"containers,omitempty"` // the pod's logs in the bundle
	Lines      []LogText `json:"lines"`
	Matches    int       `json:"matches"`
	From       int64     `json:"fromByte"`
	To         int64     `json:"toByte"` // where this answer stopped reading
	Size       int64     `json:"size"`
	NextCursor string    `json:"nextCursor,omitempty"`
	Note       string    `json:"note,omitempty"`
}

func (q LogQuery) check() (*regexp.Regexp, time.Time, time.Time, error) {
	var re *regexp.Regexp
	var from, to time.Time
	if q.Namespace == "" || q.Pod == "" {
		return nil, from, to, argErrorf("namespace and pod are required (summary and timeline name the pods)")
	}
	if q.Grep != "" {
		if len(q.Grep) > maxPattern {
			return nil, from, to, argErrorf("grep: a pattern of at most %d bytes", maxPattern)
		}
		var err error
		if re, err = regexp.Compile(q.Grep); err != nil {
			return nil, from, to, argErrorf("grep: %v (RE2 syntax: no backreferences or lookaround)", err)
		}
	}
	if q.Context < 0 || q.Context > maxContext {
		return nil, from, to, argErrorf("context: 0 to %d lines", maxContext)
	}
	if q.Tail < 0 || q.Tail > maxTail {
		return nil, from, to, argErrorf("tail: 1 to %d lines", maxTail)
	}
	if q.Seconds < 0 || q.Seconds > 86400 {
		return nil, from, to, argErrorf("seconds: 0 to 86400")
	}
	if q.Around != "" {
		at, err := time.Parse(time.RFC3339Nano, q.Around)
		if err != nil {
			return nil, from, to, argErrorf("around %s: want an RFC 3339 time such as 2026-11-21T23:38:15Z", quote(q.Around, 60))
		}
		d := time.Duration(q.Seconds) * time.Second
		if d == 0 {
			d = 30 * time.Second
		}
		from, to = at.Add(-d), at.Add(d)
	}
	if q.Tail > 0 && (re != nil || q.Around != "" || q.Cursor != "") {
		return nil, from, to, argErrorf("tail reads the end of the log: give it alone, or use grep/around/cursor without it")
	}
	return re, from, to, nil
}

// Logs answers logs: a container's log from the bundle, scrubbed as it is read.
func (r *Run) Logs(q LogQuery) (*Logs, string, error) {
	re, from, to, err := q.check()
	if err != nil {
		return nil, "", err
	}
	if r.Bundle == nil {
		return nil, "", argErrorf("this run has no bundle files to read logs from")
	}
	rel, containers, err := r.logFile(q)
	if err != nil {
		return nil, "", err
	}
	f, info, err := r.Bundle.Open(rel)
	if err != nil {
		if errors.Is(err, bundle.ErrNotRegular) {
			return nil, "", argErrorf("%s is not a regular file; it is not read", rel)
		}
		return nil, "", err
	}
	defer f.Close()
	out := &Logs{File: r.FileLink(rel), Containers: containers, Lines: []LogText{}, Size: info.Size()}
	out.File.Bytes = info.Size()
	limit := q.limit()
	rd := r.Redactor
	if q.Tail > 0 || (re == nil && from.IsZero() && q.Cursor == "" && info.Size() > int64(limit)) {
		// The end of the log: with tail, or when a plain read would not reach it.
		n := q.Tail
		if n == 0 {
			n = 200
		}
		if err := tail(f, info.Size(), n, rd, out, limit); err != nil {
			return nil, "", err
		}
	} else {
		start, line, err := parseLogCursor(q.Cursor, info.Size())
		if err != nil {
			return nil, "", err
		}
		if !from.IsZero() && q.Cursor == "" {
			if s, ok := f.(io.ReadSeeker); ok {
				start = seekTime(s, info.Size(), from)
				if start > 0 {
					line = 0
				}
			}
		}
		if err := scan(f, start, line, re, q.Context, from, to, limit, rd, out); err != nil {
			return nil, "", err
		}
	}
	return out, logText(out, limit), nil
}

// logFile finds the bundle path of the asked log and the pod's logs.
func (r *Run) logFile(q LogQuery) (string, []string, error) {
	probe := bundle.LogPath(q.Namespace, q.Pod, "x", false)
	dir := path.Dir(probe)
	entries, skipped, err := r.Bundle.List(dir)
	if err != nil {
		return "", nil, argErrorf("pod %s: %v", quote(q.Namespace+"/"+q.Pod, 200), err)
	}
	var containers []string
	for _, e := range entries {
		name := path.Base(e.Path)
		if strings.HasSuffix(name, ".log") {
			containers = append(containers, name)
		}
	}
	if len(containers) == 0 && len(skipped) == 0 {
		return "", nil, argErrorf("no logs of pod %s in the bundle (timeline kinds=pod, or describe kind=Pod, names the pods)", quote(q.Namespace+"/"+q.Pod, 200))
	}
	ctr := q.Container
	if ctr == "" {
		var current []string
		for _, c := range containers {
			if !strings.HasSuffix(c, ".previous.log") {
				current = append(current, strings.TrimSuffix(c, ".log"))
			}
		}
		if len(current) != 1 {
			return "", containers, argErrorf("pod %s has logs of several containers; give container (one of %s)", quote(q.Namespace+"/"+q.Pod, 200), strings.Join(containers, ", "))
		}
		ctr = current[0]
	}
	rel := bundle.LogPath(q.Namespace, q.Pod, ctr, q.Previous)
	if slices.Contains(skipped, rel) {
		return "", containers, argErrorf("%s: %v", rel, bundle.ErrNotRegular)
	}
	for _, c := range containers {
		if path.Join(dir, c) == rel {
			return rel, containers, nil
		}
	}
	return "", containers, argErrorf("no %s in the bundle; the pod's logs: %s", path.Base(rel), strings.Join(containers, ", "))
}

func parseLogCursor(c string, size int64) (int64, int, error) {
	if c == "" {
		return 0, 1, nil
	}
	off, line, ok := strings.Cut(strings.TrimPrefix(c, "b"), ".")
	o, err1 := strconv.ParseInt(off, 10, 64)
	l, err2 := strconv.Atoi(line)
	if !strings.HasPrefix(c, "b") || !ok || err1 != nil || err2 != nil || o < 0 || o > size || l < 0 {
		return 0, 0, argErrorf("cursor %s is not a logs cursor: pass nextCursor from the previous logs answer", quote(c, 40))
	}
	return o, l, nil
}

// lineReader reads a log's lines with their offsets, cutting each at maxLineRead, and
// scrubs them in blocks.
type lineReader struct {
	br    *bufio.Reader
	off   int64 // of the next raw line
	no    int   // its number; 0: unknown
	rd    *redact.Lines
	buf   []rawLine
	limit int64 // stop reading at this offset
}

type rawLine struct {
	text      string
	off, next int64
	no        int
}

func newLineReader(r io.Reader, off int64, no int, rd *redact.Redactor, limit int64) *lineReader {
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10), off: off, no: no, limit: limit}
	if rd != nil {
		lr.rd = rd.NewLines()
	}
	return lr
}

// fill reads up to scrubBlock lines and scrubs them together.
func (lr *lineReader) fill() error {
	lr.buf = lr.buf[:0]
	var texts []string
	for len(lr.buf) < scrubBlock && lr.off < lr.limit {
		var b []byte
		start := lr.off
		for {
			chunk, err := lr.br.ReadSlice('\n')
			lr.off += int64(len(chunk))
			if len(b) < maxLineRead {
				b = append(b, chunk[:min(len(chunk), maxLineRead-len(b))]...)
			}
			if err == bufio.ErrBufferFull {
				if lr.off < lr.limit {
					continue
				}
				lr.no = 0 // a line longer than what is left to read: cut here, numbers unknown after
				err = nil
			}
			if err != nil && err != io.EOF {
				return err
			}
			if len(chunk) == 0 && err == io.EOF && len(b) == 0 {
				lr.limit = lr.off // the end
				goto scrub
			}
			break
		}
		texts = append(texts, strings.TrimRight(string(b), "\r\n"))
		lr.buf = append(lr.buf, rawLine{off: start, next: lr.off, no: lr.no})
		if lr.no > 0 {
			lr.no++
		}
	}
scrub:
	if lr.rd != nil && len(texts) > 0 {
		texts = lr.rd.Block(texts)
	}
	for i := range lr.buf {
		lr.buf[i].text = texts[i]
	}
	return nil
}

// each calls fn for each line until fn returns false or the reader stops; it returns
// the offset and number of the first line not handed to fn.
func (lr *lineReader) each(fn func(rawLine) bool) (int64, int, error) {
	for {
		if err := lr.fill(); err != nil {
			return 0, 0, err
		}
		if len(lr.buf) == 0 {
			return lr.off, lr.no, nil
		}
		for _, l := range lr.buf {
			if !fn(l) {
				return l.off, l.no, nil
			}
		}
	}
}

func showLine(s string) string { return textsafe.Clean(textsafe.Truncate(s, maxLineShow)) }

// scan reads forward from start: every line, or the matches of re with context lines,
// or the lines in [from, to]; until the budget or MaxScan bytes.
func scan(f fs.File, start int64, no int, re *regexp.Regexp, ctx int, from, to time.Time, limit int, rd *redact.Redactor, out *Logs) error {
	var r io.Reader = f
	if s, ok := f.(io.Seeker); ok {
		if _, err := s.Seek(start, io.SeekStart); err != nil {
			return err
		}
	} else if _, err := io.CopyN(io.Discard, f, start); err != nil {
		return err
	}
	out.From = start
	lr := newLineReader(r, start, no, rd, min(out.Size, start+MaxScan))
	budget := limit - 400
	used := 0
	var before []rawLine // the last ctx lines not shown
	after := 0           // context lines still to show after a match
	lastShown := int64(-1)
	timed := !from.IsZero()
	early := timed // a line without a time (a stack trace's) goes with the line above it
	stop, stopNo, err := lr.each(func(l rawLine) bool {
		if timed {
			if t, _ := opactions.SplitTimestamp(l.text); !t.IsZero() {
				if t.After(to) {
					out.Note = "the window ends here"
					lr.limit = l.off // nothing further is in the window
					return false
				}
				early = t.Before(from)
			}
			if early {
				return true
			}
		}
		show, hit := re == nil, re != nil && re.MatchString(l.text)
		if hit {
			out.Matches++
			show = true
		} else if after > 0 {
			show = true
			after--
		}
		if !show {
			if ctx > 0 {
				before = append(before, l)
				if len(before) > ctx {
					before = before[1:]
				}
			}
			return true
		}
		add := append(before, l)
		shown := make([]string, len(add))
		need := 0
		for i, a := range add {
			shown[i] = showLine(a.text)
			need += len(shown[i]) + 12
		}
		if used+need > budget && len(out.Lines) > 0 {
			if hit {
				out.Matches--
			}
			return false
		}
		if re != nil && lastShown >= 0 && add[0].off != lastShown {
			out.Lines = append(out.Lines, LogText{Text: "--"})
		}
		for i, a := range add {
			out.Lines = append(out.Lines, LogText{Line: a.no, Text: shown[i], Hit: hit && a.off == l.off})
			lastShown = a.next
		}
		used += need
		before = before[:0]
		if hit {
			after = ctx
		}
		return true
	})
	if err != nil {
		return err
	}
	out.To = stop
	if stop < out.Size && out.Note != "the window ends here" {
		out.NextCursor = fmt.Sprintf("b%d.%d", stop, stopNo)
		if stop >= start+MaxScan {
			out.Note = fmt.Sprintf("read %d MiB of the log in this call; call again with the cursor to go on", MaxScan>>20)
		}
	}
	return nil
}

// tail reads the last n lines: by seeking when the file can, else by reading it through
// (at most MaxScan bytes of it, then the last lines of what was read).
func tail(f fs.File, size int64, n int, rd *redact.Redactor, out *Logs, limit int) error {
	start := int64(0)
	var r io.Reader = f
	if s, ok := f.(io.ReadSeeker); ok {
		start = max(0, size-int64(n)*1024-64<<10)
		if _, err := s.Seek(start, io.SeekStart); err != nil {
			return err
		}
	} else if size > MaxScan {
		start = size - MaxScan
		if _, err := io.CopyN(io.Discard, f, start); err != nil {
			return err
		}
	}
	no := 0
	if start == 0 {
		no = 1
	}
	lr := newLineReader(r, start, no, rd, size)
	var last []rawLine
	first := true
	if _, _, err := lr.each(func(l rawLine) bool {
		if first && start > 0 {
			first = false
			return true // a partial line
		}
		first = false
		last = append(last, l)
		if len(last) > n {
			last = last[1:]
		}
		return true
	}); err != nil {
		return err
	}
	if len(last) > 0 {
		out.From = last[0].off
	}
	out.To = size
	for _, l := range last {
		out.Lines = append(out.Lines, LogText{Line: l.no, Text: showLine(l.text)})
	}
	// Keep the newest lines that fit the budget.
	budget, used := limit-400, 0
	for i := len(out.Lines) - 1; i >= 0; i-- {
		used += len(out.Lines[i].Text) + 12
		if used > budget {
			out.Lines = out.Lines[i+1:]
			out.Note = "the oldest of the asked lines did not fit the budget"
			break
		}
	}
	return nil
}

// seekTime finds, in a log whose lines start with timestamps, an offset at or before
// the first line at from, by bisection (a 1 GiB log costs a few dozen small reads).
func seekTime(s io.ReadSeeker, size int64, from time.Time) int64 {
	lo, hi := int64(0), size
	for hi-lo > 64<<10 {
		mid := lo + (hi-lo)/2
		t, ok := timeAt(s, mid)
		if !ok || !t.Before(from) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if lo == 0 {
		return 0
	}
	// Start at a line boundary.
	if _, err := s.Seek(lo, io.SeekStart); err != nil {
		return 0
	}
	br := bufio.NewReaderSize(s, 64<<10)
	skipped, _ := br.ReadSlice('\n')
	return lo + int64(len(skipped))
}

// timeAt is the time of the first whole line after off.
func timeAt(s io.ReadSeeker, off int64) (time.Time, bool) {
	if _, err := s.Seek(off, io.SeekStart); err != nil {
		return time.Time{}, false
	}
	br := bufio.NewReaderSize(s, 4<<10)
	if off > 0 {
		for {
			if _, err := br.ReadSlice('\n'); err != bufio.ErrBufferFull {
				if err != nil {
					return time.Time{}, false
				}
				break
			}
		}
	}
	line, err := br.ReadSlice('\n')
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return time.Time{}, false
	}
	t, _ := opactions.SplitTimestamp(string(line))
	return t, !t.IsZero()
}

func logText(l *Logs, limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d bytes; bytes %d–%d shown", l.File.Path, l.Size, l.From, l.To)
	switch {
	case l.Matches == 1:
		b.WriteString("; 1 match")
	case l.Matches > 1:
		fmt.Fprintf(&b, "; %d matches", l.Matches)
	}
	b.WriteString(")\n")
	for _, t := range l.Lines {
		switch {
		case t.Text == "--" && t.Line == 0:
			b.WriteString("--\n")
		case t.Line > 0:
			mark := " "
			if t.Hit {
				mark = ">"
			}
			fmt.Fprintf(&b, "%6d%s %s\n", t.Line, mark, t.Text)
		default:
			b.WriteString("       " + t.Text + "\n")
		}
	}
	if len(l.Lines) == 0 {
		b.WriteString("(no lines matched)\n")
	}
	if l.Note != "" {
		b.WriteString("Note: " + l.Note + "\n")
	}
	if l.NextCursor != "" {
		fmt.Fprintf(&b, "More: call again with cursor %q.\n", l.NextCursor)
	}
	if len(l.Containers) > 1 {
		fmt.Fprintf(&b, "The pod's logs: %s\n", strings.Join(l.Containers, ", "))
	}
	p := newPager(limit)
	p.footer = 0
	p.head(b.String())
	return p.String()
}
