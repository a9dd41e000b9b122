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
	p := &goTestParser{open: map[string]*goTestRun{}, pkgOut: map[string]*strings.Builder{}}
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
			p.packageEvent(e)
		} else {
			p.testEvent(e)
		}
	}
	if err := sc.Err(); err != nil {
		return p.out, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if len(p.out) == 0 && bad > 0 {
		return nil, fmt.Errorf("no go test -json events in %d lines", lineNo)
	}
	// Tests still open at the end were interrupted (a timeout or a crash).
	for _, ru := range p.open {
		ru.c.Status = Error
		ru.c.Message = "test did not finish (timeout or crash)"
		ru.c.Details = capText(ru.out.String())
		p.out = append(p.out, ru.c)
	}
	return p.out, nil
}

type goTestRun struct {
	c   Case
	out strings.Builder
}

// goTestParser follows go test -json's events: tests open, output, and end.
type goTestParser struct {
	out    []Case
	open   map[string]*goTestRun
	pkgOut map[string]*strings.Builder
}

// packageEvent: a package's own output, and a package that failed with no failing test
// (a build failure or a panic outside tests), which becomes a case of its own.
func (p *goTestParser) packageEvent(e goTestEvent) {
	switch e.Action {
	case "output":
		b := p.pkgOut[e.Package]
		if b == nil {
			b = &strings.Builder{}
			p.pkgOut[e.Package] = b
		}
		if b.Len() < maxDetails {
			b.WriteString(e.Output)
		}
	case "fail":
		for _, c := range p.out {
			if c.Suite == e.Package && c.Status.Failing() {
				return
			}
		}
		details := ""
		if b := p.pkgOut[e.Package]; b != nil {
			details = b.String()
		}
		p.out = append(p.out, Case{Suite: e.Package, Name: "(package)", Status: Error, Attempts: 1,
			Message: firstMeaningful(details, "package failed"), Details: capText(details), Start: e.Time})
	}
}

func (p *goTestParser) testEvent(e goTestEvent) {
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "run":
		p.open[key] = &goTestRun{c: Case{Suite: e.Package, Classname: e.Package, Name: e.Test, Start: e.Time.UTC(), Attempts: 1}}
	case "output":
		if ru := p.open[key]; ru != nil && ru.out.Len() < maxDetails {
			ru.out.WriteString(e.Output)
		}
	case "pass", "fail", "skip":
		ru := p.open[key]
		if ru == nil {
			ru = &goTestRun{c: Case{Suite: e.Package, Classname: e.Package, Name: e.Test, Attempts: 1}}
		}
		delete(p.open, key)
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
		p.out = append(p.out, ru.c)
	}
}

func skipReason(output string) string {
	for _, l := range strings.Split(output, "\n") {
		if m := goFail().FindStringSubmatch(l); m != nil {
			return m[3]
		}
	}
	return ""
}
