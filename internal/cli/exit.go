package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/prcomment"
)

// Exit codes. They are documented in the root command's help; keep the two in step.
const (
	ExitOK               = 0 // success; with collect, also when some collectors left gaps
	ExitError            = 1 // any other failure
	ExitUsage            = 2 // bad flags or arguments
	ExitNothingCollected = 3 // collect could gather nothing (e.g. the cluster is unreachable)
	ExitFailures         = 4 // run --fail-on: failures the policy counts (e.g. new ones)
)

const exitCodesHelp = `Exit codes:
  0  success (collect: something useful was written; gaps are listed in manifest.json)
  1  failure
  2  bad flags or arguments
  3  collect could gather nothing, e.g. the API server is unreachable
  4  run --fail-on new|any: the run met failures that policy counts`

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExitCode wraps err so that Main exits with code.
func withExitCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func usageErrorf(format string, args ...any) error {
	return withExitCode(ExitUsage, fmt.Errorf(format, args...))
}

// exitCode is the one place that maps an error to the process's exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case isUsage(err):
		return ExitUsage
	case errors.Is(err, collect.ErrNothingCollected):
		return ExitNothingCollected
	}
	return ExitError
}

// isUsage reports an error the workflows mark as the caller's to fix (a flag out of
// range, a bad focus): app's (collect's) and prcomment's.
func isUsage(err error) bool {
	return errors.Is(err, app.ErrUsage) || errors.Is(err, prcomment.ErrUsage)
}

// message is how an error is printed: a usage error without its marker.
func message(err error) string {
	if isUsage(err) {
		return strings.TrimPrefix(err.Error(), app.ErrUsage.Error()+": ")
	}
	return err.Error()
}
