// Package lazyre compiles a package's regular expressions when they are first used, not
// when the process starts. ci-report has about ninety; compiled by package initialisers
// they cost every command, `ci-report version` too, about 1 MB of start-up allocation and
// a millisecond or two, whether or not the command ever matches one.
//
// A package declares them as
//
//	var podRE = lazyre.New(`…`)
//
// and calls podRE() where it used podRE. TestNoStartupRegexps keeps package-level
// regexp.MustCompile out of the code; Check compiles every registered expression, so a
// test of a package that links them all finds a bad one without waiting for its use.
package lazyre

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
)

// registry is the expressions given to New, in order.
type registry struct {
	mu    sync.Mutex
	exprs []string
}

var all registry

func (r *registry) add(expr string) func() *regexp.Regexp {
	r.mu.Lock()
	r.exprs = append(r.exprs, expr)
	r.mu.Unlock()
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func (r *registry) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.exprs {
		if _, err := regexp.Compile(e); err != nil {
			return err
		}
	}
	return nil
}

// New returns a function that compiles expr on its first call and returns that same
// *regexp.Regexp on every call, from any goroutine. An invalid expr panics on that call,
// as regexp.MustCompile does.
func New(expr string) func() *regexp.Regexp { return all.add(expr) }

// Check compiles every expression given to New by the packages linked into the program
// and returns the first error.
func Check() error { return all.check() }

// Words prefilters an expression: lower-case ASCII words one of which every match of it
// contains, in any case. A text with none of them cannot match, so the expression need
// not run: Go's regexp scans a case-insensitive alternation at every position of every
// line, which on a 300-pod bundle's log tails took seconds.
type Words []string

// In reports whether lower (a text already lower-cased) holds one of the words.
func (w Words) In(lower string) bool {
	for _, x := range w {
		if strings.Contains(lower, x) {
			return true
		}
	}
	return false
}

// Covers checks that the words prefilter expr: every alternative of its top level holds
// a literal that contains one of them (in any case). Tests call it beside each Words.
func (w Words) Covers(expr string) error {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return err
	}
	alts := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		alts = re.Sub
	}
	for _, alt := range alts {
		if !w.inLiterals(alt, "") {
			return fmt.Errorf("the alternative %s holds none of the words %q", alt, []string(w))
		}
	}
	return nil
}

// inLiterals reports a literal of re, on the path every match takes, holding a word,
// read after prefix (the literal before re in its concatenation: the parser factors
// common prefixes out of alternatives).
func (w Words) inLiterals(re *syntax.Regexp, prefix string) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return w.In(strings.ToLower(prefix + string(re.Rune)))
	case syntax.OpConcat:
		// Adjacent literals and single-letter classes (a folded letter) read as one text.
		text := prefix
		for _, sub := range re.Sub {
			switch {
			case sub.Op == syntax.OpLiteral:
				text += string(sub.Rune)
				continue
			case sub.Op == syntax.OpCharClass && len(sub.Rune) >= 2 && unicode.ToLower(sub.Rune[0]) == unicode.ToLower(sub.Rune[len(sub.Rune)-1]):
				text += string(sub.Rune[0])
				continue
			}
			if w.In(strings.ToLower(text)) || w.inLiterals(sub, text) {
				return true
			}
			text = ""
		}
		return w.In(strings.ToLower(text))
	case syntax.OpCapture, syntax.OpPlus:
		return w.inLiterals(re.Sub[0], prefix)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !w.inLiterals(sub, prefix) {
				return false
			}
		}
		return true
	}
	return w.In(strings.ToLower(prefix))
}
