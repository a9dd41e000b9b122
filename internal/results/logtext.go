package results

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Test tools' console output, as a test Job leaves it in its pod's log when it wrote no
// results file: pytest (any verbosity, -rA summaries, pytest-xdist), Ginkgo's default
// reporter and `go test -v`. ParseLog counts exactly what the tool's own summary line
// counts: outcomes the log does not name (pytest's quiet progress dots, Ginkgo's passed
// specs) become cases named as unnamed, so the totals still match.

// LogFormat* are the formats ParseLog reads; a case read from a log has one of them.
const (
	LogPytest = "pytest-log"
	LogGinkgo = "ginkgo-log"
	LogGoTest = "go-test-log"
)

// ParseLog reads test results from a log; format "" if it holds none.
func ParseLog(b []byte) (cases []Case, format string) {
	text := string(b)
	switch {
	case pytestSummary().MatchString(text):
		return parsePytestLog(text), LogPytest
	case ginkgoSummary().MatchString(text):
		return parseGinkgoLog(text), LogGinkgo
	case goTestText().Match(b) && goTestEnd().Match(b):
		cs, err := ParseGoTestText(b)
		if err == nil && len(cs) > 0 {
			return cs, LogGoTest
		}
	}
	return nil, ""
}

var (
	// "==== 2 failed, 40 passed, 1 skipped in 63.10s (0:01:03) ====" (or without rules, -q).
	pytestSummary = lazyre.New(`(?m)^=*\s*((?:\d+ (?:failed|passed|skipped|deselected|xfailed|xpassed|errors?|warnings?|rerun)(?:, )?)+) in [\d.]+s\b.*$`)
	pytestCount   = lazyre.New(`(\d+) (failed|passed|skipped|xfailed|xpassed|errors?|rerun)`)
	// "tests/e2e/test_orders.py::test_create_order PASSED  [ 50%]" (-v), and xdist's
	// "[gw0] [ 50%] PASSED tests/e2e/test_orders.py::test_create_order".
	pytestVerbose = lazyre.New(`^(\S+::\S.*?) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: \(.*\))?(?:\s+\[\s*\d+%\])?\s*$`)
	pytestXdist   = lazyre.New(`^\[gw\d+\] \[\s*\d+%\] (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+::\S.*?)\s*$`)
	// Short test summary (-r): "FAILED tests/e2e/test_orders.py::test_create_order - AssertionError: …".
	pytestShort = lazyre.New(`^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+::\S+?)(?: - (.*))?\s*$`)
	// "tests/e2e/test_orders.py:42: AssertionError" in a traceback: where it failed.
	pytestWhere = lazyre.New(`^(\S+\.py):(\d+): (\w+)`)
	goTestEnd   = lazyre.New(`(?m)^(ok|FAIL|PASS)\b`)
)

var pytestStatus = map[string]Status{"PASSED": Passed, "FAILED": Failed, "ERROR": Error, "SKIPPED": Skipped, "XFAIL": Skipped, "XPASS": Passed}

func parsePytestLog(text string) []Case {
	byID := map[string]*Case{}
	var order []string
	set := func(id, st, msg string) {
		c := byID[id]
		if c == nil {
			file, name, _ := strings.Cut(id, "::")
			suite := strings.TrimSuffix(strings.ReplaceAll(file, "/", "."), ".py")
			c = &Case{Suite: suite, Classname: suite, Name: name, File: file, Attempts: 1}
			byID[id] = c
			order = append(order, id)
		}
		// The summary's outcome and message win over the progress line's.
		if s, ok := pytestStatus[st]; ok {
			c.Status = s
		}
		if msg != "" {
			c.Message = msg
		}
	}
	var counts map[Status]int
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		switch m := pytestSummary().FindStringSubmatch(l); {
		case m != nil:
			counts = map[Status]int{}
			for _, c := range pytestCount().FindAllStringSubmatch(m[1], -1) {
				n, _ := strconv.Atoi(c[1])
				switch c[2] {
				case "failed":
					counts[Failed] += n
				case "passed", "xpassed":
					counts[Passed] += n
				case "skipped", "xfailed":
					counts[Skipped] += n
				case "error", "errors":
					counts[Error] += n
				}
			}
		}
		if m := pytestVerbose().FindStringSubmatch(l); m != nil {
			set(m[1], m[2], "")
		} else if m := pytestXdist().FindStringSubmatch(l); m != nil {
			set(m[2], m[1], "")
		} else if m := pytestShort().FindStringSubmatch(l); m != nil {
			set(m[2], m[1], m[3])
		} else if m := pytestWhere().FindStringSubmatch(l); m != nil && i > 0 {
			// A traceback's last frame in a test file: the latest failing case there.
			for j := len(order) - 1; j >= 0; j-- {
				if c := byID[order[j]]; c.File == m[1] && c.Line == 0 && c.Status.Failing() {
					c.Line, _ = strconv.Atoi(m[2])
					break
				}
			}
		}
	}
	var out []Case
	named := map[Status]int{}
	for _, id := range order {
		c := byID[id]
		if c.Status == "" {
			continue
		}
		if c.Status.Failing() && c.Message == "" {
			c.Message = string(c.Status)
		}
		named[c.Status]++
		out = append(out, *c)
	}
	return append(out, unnamed(counts, named, "pytest")...)
}

var (
	// "Ran 12 of 14 Specs in 3.215 seconds" then "FAIL! -- 10 Passed | 2 Failed | 0 Pending | 2 Skipped".
	ginkgoSummary = lazyre.New(`(?m)^(SUCCESS!|FAIL!) -- (\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped`)
	ginkgoSuite   = lazyre.New(`(?m)^Running Suite: (.+?) - `)
	// "  [FAIL] Orders API [It] creates an order" in "Summarizing 2 Failures:", and the
	// location line under it: "  /src/e2e/orders_test.go:42".
	ginkgoFail  = lazyre.New(`^\s*\[(FAIL|PANICKED|TIMEDOUT|INTERRUPTED|ABORTED)\] (.+?)\s*$`)
	ginkgoWhere = lazyre.New(`^\s*(\S+\.go):(\d+)\s*$`)
)

func parseGinkgoLog(text string) []Case {
	suite := "ginkgo"
	if m := ginkgoSuite().FindStringSubmatch(text); m != nil {
		suite = m[1]
	}
	var out []Case
	lines := strings.Split(text, "\n")
	in := false
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "Summarizing ") && strings.Contains(l, "Failure") {
			in = true
			continue
		}
		if !in {
			continue
		}
		m := ginkgoFail().FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name := strings.Join(strings.Fields(strings.ReplaceAll(m[2], "[It]", "")), " ")
		c := Case{Suite: suite, Name: name, Status: Failed, Message: strings.ToLower(m[1]), Attempts: 1}
		if m[1] == "PANICKED" {
			c.Status = Error
		}
		if i+1 < len(lines) {
			if w := ginkgoWhere().FindStringSubmatch(lines[i+1]); w != nil {
				c.File = w[1]
				c.Line, _ = strconv.Atoi(w[2])
			}
		}
		out = append(out, c)
	}
	m := ginkgoSummary().FindAllStringSubmatch(text, -1)
	last := m[len(m)-1]
	counts := map[Status]int{}
	counts[Passed], _ = strconv.Atoi(last[2])
	counts[Failed], _ = strconv.Atoi(last[3])
	counts[Skipped], _ = strconv.Atoi(last[5])
	pending, _ := strconv.Atoi(last[4])
	counts[Skipped] += pending
	named := map[Status]int{}
	for _, c := range out {
		if c.Status == Error {
			named[Failed]++ // Ginkgo counts a panic as failed
		} else {
			named[c.Status]++
		}
	}
	return append(out, unnamed(counts, named, suite)...)
}

// unnamed are the outcomes a tool's summary counts and its log does not name, one case
// each, so the report's totals are the tool's.
func unnamed(counts, named map[Status]int, suite string) []Case {
	var out []Case
	for _, st := range []Status{Passed, Failed, Error, Skipped} {
		for k := 1; k <= counts[st]-named[st]; k++ {
			c := Case{Suite: suite, Name: fmt.Sprintf("(%s test %d, not named in the log)", st, k), Status: st, Attempts: 1}
			if st.Failing() {
				c.Message = string(st) + "; the log names no test for it"
			}
			out = append(out, c)
		}
	}
	return out
}
