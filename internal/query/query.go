// Package query answers an agent's questions about one run in small pages: the summary,
// the ranked findings, the failed tests and what the cluster did in each one's window,
// a container's log (a window, a grep, a tail), the timeline, one object's collected
// state and a trace. Every answer is text an agent reads first and the same facts as
// data, within a byte budget, with a cursor to the rest. It reads the analysed report
// (its strings already scrubbed) and, for what the report keeps only in part (logs, the
// objects, descriptions, traces), the bundle's files through its one confined reader,
// scrubbing them with the report's redactor as they are read. It never writes.
package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/view"
)

// DefaultLimit is an answer's text budget in bytes when the caller gives none; MaxLimit
// the most a caller may ask for.
const (
	DefaultLimit = 32 << 10
	MaxLimit     = 64 << 10
	minLimit     = 1 << 10
)

// ErrArgument marks an argument the caller should fix (an unknown id, a bad cursor).
var ErrArgument = errors.New("bad argument")

func argErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrArgument, fmt.Sprintf(format, args...))
}

// Run is one analysed run and its bundle's files.
type Run struct {
	Report   *model.Report
	View     *view.View
	Bundle   *bundle.Reader   // the bundle's files, confined; nil: only the report is known
	Redactor *redact.Redactor // scrubs what is read from the bundle's files
	Source   string           // what was read, for the summary ("bundle ci-report", "live kind-e2e")

	objectsOnce sync.Once
	objects     []unstructured.Unstructured
	objectsErr  error
	descOnce    sync.Once
	desc        map[string]string // pod "ns/name" → its kubectl describe text
}

// New makes the run of an analysed report.
func New(r *model.Report, br *bundle.Reader, rd *redact.Redactor, source string) *Run {
	return &Run{Report: r, View: view.Build(r), Bundle: br, Redactor: rd, Source: source}
}

// Link names a bundle file an answer points to; a client reads it as a resource.
type Link struct {
	Path  string `json:"path"`
	URI   string `json:"uri"`
	Bytes int64  `json:"bytes,omitempty"`
}

// URIPrefix is the scheme and host of a bundle file's resource URI.
const URIPrefix = "ci-report://bundle/"

// FileLink is the link of a bundle file (the report's file index gives its size).
func (r *Run) FileLink(path string) Link {
	l := Link{Path: path, URI: URIPrefix + path}
	for _, f := range r.Report.Files {
		if f.Path == path {
			l.Bytes = f.Bytes
		}
	}
	return l
}

// Page is where a paged answer stands.
type Page struct {
	Total      int    `json:"total"`                // items that match
	Shown      int    `json:"shown"`                // items in this answer
	NextCursor string `json:"nextCursor,omitempty"` // pass it back for the next items
}

// Paging is a caller's cursor and byte budget.
type Paging struct {
	Cursor string
	Limit  int // bytes of text; 0: DefaultLimit
}

func (p Paging) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit < minLimit:
		return minLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// offset reads an item cursor: the index of the next item.
func (p Paging) offset(total int) (int, error) {
	if p.Cursor == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(p.Cursor, "i"))
	if err != nil || !strings.HasPrefix(p.Cursor, "i") || n < 0 || n > total {
		return 0, argErrorf("cursor %q is not one this server gave: pass nextCursor from the previous answer, or none to start", textsafe.OneLine(p.Cursor, 40))
	}
	return n, nil
}

// pager writes an answer's text within its budget: a header, then items while they fit
// (the first one always, cut to the budget), then a footer saying how to go on.
type pager struct {
	b      strings.Builder
	limit  int
	full   bool
	footer int // bytes kept free for the footer
}

func newPager(limit int) *pager { return &pager{limit: limit, footer: 160} }

// head writes text that is not an item (a header); it is cut to the budget.
func (p *pager) head(s string) {
	if room := p.limit - p.footer - p.b.Len(); len(s) > room {
		s = textsafe.Truncate(s, max(room, 0)) + "\n"
	}
	p.b.WriteString(s)
}

// item writes one item if it fits (the first item of an answer is cut to fit); false
// once the budget is spent.
func (p *pager) item(s string, first bool) bool {
	if p.full {
		return false
	}
	room := p.limit - p.footer - p.b.Len()
	if len(s) > room {
		if !first {
			p.full = true
			return false
		}
		s = textsafe.Truncate(s, max(room-8, 0)) + "\n"
	}
	p.b.WriteString(s)
	return true
}

func (p *pager) String() string { return p.b.String() }

// items pages n items written by text(i) from the cursor; it returns the page and the
// indexes shown.
func items(p *pager, pg Paging, n int, text func(i int) string) (Page, []int, error) {
	from, err := pg.offset(n)
	if err != nil {
		return Page{}, nil, err
	}
	var shown []int
	for i := from; i < n; i++ {
		if !p.item(text(i), i == from) {
			break
		}
		shown = append(shown, i)
	}
	page := Page{Total: n, Shown: len(shown)}
	if next := from + len(shown); next < n {
		page.NextCursor = "i" + strconv.Itoa(next)
		p.b.WriteString(fmt.Sprintf("… %d more; call again with cursor %q.\n", n-next, page.NextCursor))
	}
	return page, shown, nil
}

// section appends a heading and a line per item to parts (nothing without items).
func section[T any](parts []string, heading string, items []T, line func(T) string) []string {
	if len(items) == 0 {
		return parts
	}
	parts = append(parts, "\n"+heading+"\n")
	for _, it := range items {
		parts = append(parts, line(it))
	}
	return parts
}

// pageParts writes a header, then parts (lines and section headings) paged as items.
func pageParts(head string, parts []string, pg Paging) (Page, string, error) {
	p := newPager(pg.limit())
	p.head(head)
	page, _, err := items(p, pg, len(parts), func(i int) string { return parts[i] })
	return page, p.String(), err
}

// one makes an untrusted string one safe line of at most n bytes.
func one(s string, n int) string { return textsafe.OneLine(s, n) }

// quote makes an untrusted string a quoted one-line value, so an agent reads it as data.
func quote(s string, n int) string { return strconv.Quote(one(s, n)) }
