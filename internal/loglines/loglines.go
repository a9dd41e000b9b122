// Package loglines holds the rules every part of ci-report applies to one log line or
// message: its level, the line that says why a process died, and the form that repeats
// of it share (for grouping within a run and fingerprints across runs).
package loglines

import (
	"regexp"
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// errorLine and warnLine classify log lines.
var (
	errorLine = lazyre.New(`(?i)(^E\d{4} |^F\d{4} |"level":"(error|fatal|dpanic|panic)"|level=(error|fatal)|\bERROR\b|\bFATAL\b|^panic:|\bpanic:|\bexception\b|^Traceback|--- FAIL|\bfailed\b|\berror:)`)
	warnLine  = lazyre.New(`(?i)(^W\d{4} |"level":"warn(ing)?"|level=warn(ing)?|\bWARN(ING)?\b)`)
)

// levelField is an explicit level in a structured line (logfmt, JSON) or klog's prefix.
var levelField = lazyre.New(`(?i)(?:^|[\s{,])"?(?:level|lvl|severity)"?\s*[=:]\s*"?([a-z]+)|^([IWEF])\d{4} `)

// Level is what a log line says of itself: "error", "warning" or "" (anything else).
func Level(text string) string {
	// klog's prefix states the level: the common case, decided without a regexp.
	if l, ok := klogLevel(text); ok {
		return l
	}
	// Without one of the words the rules below look for, no rule can match.
	if !mayHaveLevel(text) {
		return ""
	}
	return ruleLevel(text)
}

// ruleLevel applies the rules themselves (Level's shortcuts agree with it).
func ruleLevel(text string) string {
	// A line that states its level is what it says, whatever words its message holds
	// (level=warning msg="error resolving manifest" is a warning; I0101 ... "retrying
	// after error" is not an error).
	if m := levelField().FindStringSubmatch(text); m != nil {
		lvl := strings.ToLower(m[1] + m[2])
		switch lvl {
		case "error", "err", "fatal", "panic", "dpanic", "critical", "crit", "alert", "emerg", "e", "f":
			return "error"
		case "warn", "warning", "w":
			return "warning"
		case "info", "debug", "trace", "notice", "i", "verbose":
			if strings.HasPrefix(strings.TrimSpace(text), "panic:") {
				return "error"
			}
			return ""
		}
	}
	switch {
	case errorLine().MatchString(text):
		return "error"
	case warnLine().MatchString(text):
		return "warning"
	}
	return ""
}

// dying matches a line that says why a process died: a panic, a fatal error, a
// traceback or an exception; erroring, a line logged at error level.
var (
	dying    = lazyre.New(`(?i)(^panic:|fatal error|^Traceback|Exception|^Error:|\bFATAL\b|\bpanic\b)`)
	erroring = lazyre.New(`\bERROR\b|level=error|"level":"error"|^E\d{4} `)
)

// Telling is the index of the line to quote first on why something died: the first that
// says it died, else the first logged at error level; -1 if none.
func Telling(lines []string) int {
	for _, re := range []*regexp.Regexp{dying(), erroring()} {
		for i, l := range lines {
			if re.MatchString(strings.TrimSpace(l)) {
				return i
			}
		}
	}
	return -1
}

// klogLevel reads klog's "I0102 " prefix (Info, Warning, Error, Fatal).
func klogLevel(s string) (string, bool) {
	if len(s) < 6 || s[5] != ' ' {
		return "", false
	}
	for i := 1; i < 5; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	switch s[0] {
	case 'I':
		return "", true
	case 'W':
		return "warning", true
	case 'E', 'F':
		return "error", true
	}
	return "", false
}

// levelWords are what every rule of Level needs one of (case-insensitively).
var levelWords = []string{"err", "fatal", "panic", "exception", "traceback", "fail", "warn", "level", "lvl", "severity"}

// mayHaveLevel: the line holds one of levelWords, in one pass over it.
func mayHaveLevel(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // ASCII lower case; other bytes never start a word below
		switch c {
		case 'e', 'f', 'p', 't', 'w', 'l', 's':
		default:
			continue
		}
		for _, w := range levelWords {
			if w[0] == c && len(s)-i >= len(w) && hasFoldPrefix(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func hasFoldPrefix(s, lower string) bool {
	for j := 0; j < len(lower); j++ {
		if s[j]|0x20 != lower[j] {
			return false
		}
	}
	return true
}
