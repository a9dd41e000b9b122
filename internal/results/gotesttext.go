package results

import (
	"bytes"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/gtr"
	"github.com/jstemmer/go-junit-report/v2/parser/gotest"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// goTestText recognises plain `go test -v` output (no -json).
var goTestText = lazyre.New(`(?m)^(=== RUN\s|\s*--- (PASS|FAIL|SKIP): |(ok|FAIL)\s+\S+\s+[\d.]+s)`)

// ParseGoTestText reads plain `go test -v` output with go-junit-report v2's parser. A
// failed test's message is its last `file.go:N:` line, or the package's panic when the
// test binary panicked (go test prints that at package level, after the test).
func ParseGoTestText(b []byte) ([]Case, error) {
	rep, err := gotest.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, pkg := range rep.Packages {
		panicLine, panicOut := "", ""
		for i, l := range pkg.Output {
			if strings.HasPrefix(strings.TrimSpace(l), "panic: ") {
				panicOut = strings.Join(pkg.Output[i:], "\n")
				panicLine, _ = goPanic(panicOut)
				break
			}
		}
		for _, t := range pkg.Tests {
			c := Case{Suite: pkg.Name, Name: t.Name, Duration: t.Duration, Attempts: 1, Status: Passed}
			body := strings.Join(t.Output, "\n")
			switch t.Result {
			case gtr.Fail:
				c.Status = Failed
				c.Details = capText(body)
				c.Message = firstMeaningful(body, "failed")
				if panicLine != "" && (body == "" || strings.Contains(panicOut, t.Name)) {
					c.Status, c.Message, c.Details = Error, panicLine, capText(panicOut)
				}
				c.File, c.Line = fileLine(body + "\n" + panicOut)
			case gtr.Skip:
				c.Status = Skipped
				c.Message = firstMeaningful(body, "")
			case gtr.Unknown:
				if panicLine != "" {
					c.Status, c.Message, c.Details = Error, panicLine, capText(panicOut)
				}
			}
			out = append(out, c)
		}
		if err := pkg.BuildError; err.Name != "" {
			out = append(out, Case{Suite: pkg.Name, Name: "[build]", Status: Error, Attempts: 1,
				Message: "build failed: " + err.Cause, Details: capText(strings.Join(err.Output, "\n"))})
		}
	}
	return out, nil
}
