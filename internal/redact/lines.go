package redact

import (
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Lines scrubs a stream in blocks of lines, remembering what spans lines: a PEM private
// key block, a JWT wrapped onto the next line, and a key whose BEGIN line came before the
// stream started. Use one per stream.
type Lines struct {
	r            *Redactor
	inPEM        bool
	jwtPending   bool
	valuePending bool // the last line was a YAML "name:" of a secret-looking env var
	flagPending  bool // the last line was a secret-looking flag alone (describe's Args)
	netrcPending bool // the last line was a .netrc "machine HOST" or "login USER" line
	h            hits // the current line's scan, reused from line to line
}

// NewLines returns a line scrubber.
func (r *Redactor) NewLines() *Lines { return &Lines{r: r} }

var (
	pemBegin      = lazyre.New(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	pemEnd        = lazyre.New(`-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	jwtTail       = lazyre.New(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*\s*$`)
	jwtHead       = lazyre.New(`^(\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?(\s*)([A-Za-z0-9_.-]{4,})`)
	pemBody       = lazyre.New(`^(\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?\s*[A-Za-z0-9+/=]{16,}\s*$`)
	flagAloneLine = lazyre.New(`^(?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?[ \t]*-?[ \t]*"?--?([\w-]+)"?[ \t]*$`)
	flagValueLine = lazyre.New(`^((?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?[ \t]*-?[ \t]*"?)([^\s"-][^\s"]*)`)
	yamlName      = lazyre.New(`name:\s*["']?([\w.-]+)["']?\s*$`)
	yamlValue     = lazyre.New(`^(.*?\bvalue:[ \t]*)(\S.*)$`)
	timePrefix    = lazyre.New(`^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+`)
	netrcHead     = lazyre.New(`(?i)^\s*(?:(?:machine\s+\S+|default)(?:\s+(?:login|account)\s+\S+)*|(?:login|account)\s+\S+)\s*$`)
	netrcPassword = lazyre.New(`(?i)^(\s*password\s+)(\S+)`)
)

// netrcBit is the netrc rule's bit in a scan's own rules: set when a line has its hint.
var netrcBit = func() uint64 {
	for i, ru := range builtin {
		if ru.name == "netrc" {
			return 1 << i
		}
	}
	panic("redact: no netrc rule")
}()

// Line scrubs one line (without its newline).
func (l *Lines) Line(s string) string { return l.Block([]string{s})[0] }

// Block scrubs consecutive lines of the stream in place and returns them. Scrubbing a
// block at once lets the keyword-prefiltered rule set run once per block rather than
// once per line, and lets a key whose BEGIN line was never seen (a log that starts
// mid-key) be masked back to the block's start.
func (l *Lines) Block(lines []string) []string {
	var secrets []found
	seen := map[string]bool{}
	for i, s := range lines {
		var h *hits
		lines[i], h = l.line(lines, i, s)
		if h != nil && len(h.gl) > 0 && len(lines[i]) >= minSecret {
			secrets = l.r.lk().findLine(lines[i], h.gl, seen, secrets)
		}
	}
	if len(secrets) > 0 {
		sortFound(secrets)
		for i := range lines {
			lines[i] = l.r.lk().replace(lines[i], secrets, l.r.add)
		}
	}
	return lines
}

func (l *Lines) line(lines []string, i int, s string) (string, *hits) {
	prefix := func() string { return timePrefix().FindString(s) }
	switch {
	case l.inPEM:
		if pemEnd().MatchString(s) {
			l.inPEM = false
		}
		l.r.add("pem-private-key", 1)
		return prefix() + Mask, nil
	case l.jwtPending:
		l.jwtPending = false
		if m := jwtHead().FindStringSubmatchIndex(s); m != nil {
			l.r.add("jwt", 1)
			s = s[:m[6]] + Mask + s[m[7]:]
		}
	}
	h := &l.h
	l.r.lk().scanInto(s, h)
	if h.flag&flagPEM != 0 && strings.Contains(s, "PRIVATE KEY") {
		if loc := pemBegin().FindStringIndex(s); loc != nil && !pemEnd().MatchString(s[loc[1]:]) {
			l.inPEM = true
			l.r.add("pem-private-key", 1)
			return s[:loc[0]] + "-----BEGIN PRIVATE KEY-----" + Mask, nil
		}
		if pemEnd().MatchString(s) && !pemBegin().MatchString(s) {
			// The stream started inside a key: mask the key lines before this one.
			for j := i - 1; j >= 0 && pemBody().MatchString(lines[j]); j-- {
				lines[j] = timePrefix().FindString(lines[j]) + Mask
				l.r.add("pem-private-key", 1)
			}
			return prefix() + Mask, nil
		}
	}
	if h.flag&flagJWT != 0 && strings.Contains(s, "eyJ") && jwtTail().MatchString(s) {
		l.jwtPending = true
	}
	if s2, masked := l.pendingValue(s); masked {
		s = s2
		h = &l.h
		l.r.lk().scanInto(s, h)
	}
	l.armPending(s, h)
	out, _, h := l.r.ownScanned(s, h)
	return out, h
}

// pendingValue masks the value a line before announced: a YAML value after a secret's
// name, a flag's value on the next line, a .netrc password after its machine line.
func (l *Lines) pendingValue(s string) (string, bool) {
	masked := false
	if l.valuePending {
		l.valuePending = false
		if m := yamlValue().FindStringSubmatchIndex(s); m != nil && !keepValue("password", s[m[4]:m[5]]) {
			l.r.add("env-yaml", 1)
			s = s[:m[4]] + Mask
			masked = true
		}
	}
	if l.flagPending {
		l.flagPending = false
		if m := flagValueLine().FindStringSubmatchIndex(s); m != nil && !keepValue("password", s[m[4]:m[5]]) {
			l.r.add("flag-next-line", 1)
			s = s[:m[4]] + Mask + s[m[5]:]
			masked = true
		}
	}
	if l.netrcPending {
		l.netrcPending = false
		if m := netrcPassword().FindStringSubmatchIndex(s); m != nil {
			l.r.add("netrc", 1)
			s = s[:m[4]] + Mask + s[m[5]:]
			masked = true
		} else if netrcHead().MatchString(s) {
			l.netrcPending = true // machine HOST, then login USER, then password
		}
	}
	return s, masked
}

// armPending notes what a line announces for the next one (see pendingValue).
func (l *Lines) armPending(s string, h *hits) {
	if h.own&netrcBit != 0 && netrcHead().MatchString(s) {
		l.netrcPending = true
	}
	if h.flag&flagDashes != 0 && len(strings.Fields(s)) <= 3 {
		if m := flagAloneLine().FindStringSubmatch(s); m != nil && LooksSecret(m[1]) {
			l.flagPending = true
		}
	}
	if h.flag&flagName != 0 && strings.Contains(s, "name:") {
		if m := yamlName().FindStringSubmatch(s); m != nil && LooksSecret(m[1]) {
			l.valuePending = true
		}
	}
}
