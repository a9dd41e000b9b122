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
	"regexp"
	"sync"
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
