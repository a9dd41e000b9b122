// Package textsafe strips what untrusted text (logs, events, test output, CR fields,
// artifact files) may carry to fool a reader or a terminal: ANSI and OSC escape
// sequences, control characters, bidirectional overrides and invisible characters.
// Every output format escapes on top of this, in its own way.
package textsafe

import (
	"strings"
	"unicode/utf8"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// escapes matches terminal escape sequences: CSI (ESC [ … final, or the C1 byte 0x9b),
// OSC (ESC ] … BEL or ST, e.g. hyperlinks and window titles), DCS/SOS/PM/APC strings
// (ESC P/X/^/_ … ST), and two-byte ESC sequences.
var escapes = lazyre.New(`\x1b\[[0-?]*[ -/]*[@-~]|\x{9b}[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)|\x1b[PX^_][^\x1b]*(?:\x1b\\|$)|\x1b[ -/]*[0-~]`)

// Clean removes escape sequences, control characters (keeping tabs and newlines),
// bidirectional controls and zero-width characters, turns line and paragraph
// separators into spaces, and repairs invalid UTF-8.
func Clean(s string) string {
	if plainASCII(s) {
		return s // the common case: nothing to remove, nothing to copy
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
	}
	if strings.IndexByte(s, 0x1b) >= 0 || strings.Contains(s, "\u009b") {
		s = escapes().ReplaceAllString(s, "")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r == '\u2028' || r == '\u2029':
			return ' '
		case Invisible(r):
			return -1
		}
		return r
	}, s)
}

// Invisible reports characters that change how text reads without showing: bidi
// embeddings, overrides and isolates, zero-width spaces and joiners, the word joiner,
// invisible operators, the BOM and the soft hyphen.
func Invisible(r rune) bool {
	switch {
	case r >= '\u200b' && r <= '\u200f', // zero-width space/non-joiner/joiner, LRM, RLM
		r >= '\u202a' && r <= '\u202e', // bidi embeddings and overrides
		r >= '\u2060' && r <= '\u2064', // word joiner, invisible operators
		r >= '\u2066' && r <= '\u2069', // bidi isolates
		r == '\u061c', r == '\ufeff', r == '\u00ad', r == '\u180e':
		return true
	}
	return false
}

// plainASCII reports text of printable ASCII, tabs and newlines only.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut with " […]".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " […]"
}

// OneLine makes an untrusted text one safe line of at most n bytes (before the cut's
// mark): no escapes, control or invisible characters, no line breaks, so a log line
// cannot forge a row or a section of an output.
func OneLine(s string, n int) string {
	return strings.Join(strings.Fields(Clean(Truncate(s, n))), " ")
}

// Flatten puts a text on one line of a plain-text table: line breaks become " ⏎ " (so
// the reader sees there was one), tabs spaces, carriage returns nothing.
func Flatten(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	return strings.ReplaceAll(s, "\t", " ")
}
