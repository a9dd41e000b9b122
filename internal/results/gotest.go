package results

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

type goTestEvent struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// ParseGoTestJSON reads a `go test -json` stream (also gotestsum's --jsonfile, with
// reruns appended). Each run of a test is one case; MergeRetries folds reruns.
func ParseGoTestJSON(r io.Reader) ([]Case, error) {
	type run struct {
		c   Case
		out strings.Builder
	}
	var out []Case
	open := map[string]*run{}
	pkgOut := map[string]*strings.Builder{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	lineNo, bad := 0, 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e goTestEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Action == "" {
			bad++ // go test mixes in plain text (build output); keep going
			continue
		}
		if e.Test == "" {
			switch e.Action {
			case "output":
				b := pkgOut[e.Package]
				if b == nil {
					b = &strings.Builder{}
					pkgOut[e.Package] = b
				}
				if b.Len() < maxDetails {
					b.WriteString(e.Output)
				}
			case "fail":
				// A package that failed with no failing test: a build failure or a panic outside tests.
				failedTests := false
				for _, c := range out {
					failedTests = failedTests || (c.Suite == e.Package && c.Status.Failing())
				}
				if !failedTests {
					details := ""
					if b := pkgOut[e.Package]; b != nil {
						details = b.String()
					}
					out = append(out, Case{Suite: e.Package, Name: "(package)", Status: Error, Attempts: 1,
						Message: firstMeaningful(details, "package failed"), Details: capText(details), Start: e.Time})
				}
			}
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "run":
			open[key] = &run{c: Case{Suite: e.Package, Classname: e.Package, Name: e.Test, Start: e.Time.UTC(), Attempts: 1}}
		case "output":
			if ru := open[key]; ru != nil && ru.out.Len() < maxDetails {
				ru.out.WriteString(e.Output)
			}
		case "pass", "fail", "skip":
			ru := open[key]
			if ru == nil {
				ru = &run{c: Case{Suite: e.Package, Classname: e.Package, Name: e.Test, Attempts: 1}}
			}
			delete(open, key)
			ru.c.Duration = time.Duration(e.Elapsed * float64(time.Second))
			output := ru.out.String()
			switch e.Action {
			case "pass":
				ru.c.Status = Passed
			case "skip":
				ru.c.Status = Skipped
				ru.c.Message = skipReason(output)
			case "fail":
				ru.c.Status = Failed
				if strings.Contains(output, "panic: ") {
					ru.c.Status = Error
				}
				ru.c.Message = firstMeaningful(output, "failed")
				ru.c.Details = capText(output)
				ru.c.File, ru.c.Line = fileLine(output)
			}
			out = append(out, ru.c)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if len(out) == 0 && bad > 0 {
		return nil, fmt.Errorf("no go test -json events in %d lines", lineNo)
	}
	// Tests still open at the end were interrupted (a timeout or a crash).
	for _, ru := range open {
		ru.c.Status = Error
		ru.c.Message = "test did not finish (timeout or crash)"
		ru.c.Details = capText(ru.out.String())
		out = append(out, ru.c)
	}
	return out, nil
}

func skipReason(output string) string {
	for _, l := range strings.Split(output, "\n") {
		if m := goFail.FindStringSubmatch(l); m != nil {
			return m[3]
		}
	}
	return ""
}
