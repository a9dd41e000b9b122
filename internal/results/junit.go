package results

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxXMLDepth is how deeply JUnit elements may nest; real files nest suites a few levels.
const MaxXMLDepth = 64

// maxCapture caps each text a case keeps while parsing (failure body, system-out, …).
const maxCapture = 2 * maxDetails

// ParseJUnit reads JUnit XML: a <testsuites> root or a lone <testsuite>, nested suites,
// <failure> vs <error>, <skipped>, system-out/err, timestamps and the file/line
// attributes some tools add. It streams the document with encoding/xml, keeping only
// capped texts of the case being read, so memory stays bounded whatever the file's
// shape, and refuses elements nested deeper than MaxXMLDepth.
func ParseJUnit(b []byte) ([]Case, error) { return parseJUnit(context.Background(), b) }

func parseJUnit(ctx context.Context, b []byte) ([]Case, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	type suite struct {
		name                  string
		start                 time.Time
		offset                time.Duration
		first                 int // index in out of its first case
		tests, skipped        int // as its attributes count them
		listed, listedSkipped int // cases directly in it
		children              int
		out                   strings.Builder // suite-level system-out (go-junit-report puts a panic there)
	}
	type capture struct {
		b     *strings.Builder
		depth int
	}
	var (
		suites     []*suite
		out        []Case
		depth      int
		cur        *junitCase
		target     *capture
		sawRoot    bool
		suiteDepth []int
		// The root <testsuites> counts, and the leaf suites that list fewer tests than
		// they count (mocha-junit-reporter counts a skipped test only at the root).
		rootTests, rootSkipped = -1, -1
		deficits               []deficit
	)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("malformed JUnit XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			sawRoot = true
			if depth > MaxXMLDepth {
				return out, fmt.Errorf("malformed JUnit XML: elements nested deeper than %d levels", MaxXMLDepth)
			}
			if target != nil {
				continue // markup inside a captured text: keep only its text
			}
			attr := func(name string) string {
				for _, a := range t.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			if depth == 1 && t.Name.Local == "testsuites" {
				if v, err := strconv.Atoi(attr("tests")); err == nil {
					rootTests = v
				}
				if v, err := strconv.Atoi(attr("skipped")); err == nil {
					rootSkipped = v
				}
			}
			switch name := t.Name.Local; {
			case name == "system-out" && cur == nil && len(suites) > 0 && depth == suiteDepth[len(suites)-1]+1:
				target = &capture{&suites[len(suites)-1].out, depth}
			case name == "testsuite" && cur == nil:
				s := &suite{name: attr("name"), start: parseJUnitTime(attr("timestamp")), first: len(out)}
				s.tests, _ = strconv.Atoi(attr("tests"))
				s.skipped, _ = strconv.Atoi(attr("skipped"))
				suiteDepth = append(suiteDepth, depth)
				if len(suites) > 0 {
					suites[len(suites)-1].children++
				}
				if s.name == "" && len(suites) > 0 {
					s.name = suites[len(suites)-1].name
				}
				suites = append(suites, s)
			case name == "testcase" && cur == nil:
				cur = &junitCase{depth: depth, attrs: map[string]string{}}
				for _, a := range t.Attr {
					cur.attrs[a.Name.Local] = a.Value
				}
			case cur != nil && depth == cur.depth+1:
				switch name {
				case "skipped":
					cur.status, cur.message = Skipped, attr("message")
				case "failure", "error":
					cur.status = Failed
					if name == "error" {
						cur.status = Error
					}
					cur.message, cur.hasErr = attr("message"), true
					cur.body.Reset()
					target = &capture{&cur.body, depth}
				case "system-out":
					target = &capture{&cur.out, depth}
				case "system-err":
					target = &capture{&cur.err, depth}
				}
			}
		case xml.CharData:
			if target != nil && target.b.Len() < maxCapture {
				target.b.Write(t[:min(len(t), maxCapture-target.b.Len())])
			}
		case xml.EndElement:
			if target != nil && depth == target.depth {
				target = nil
			}
			switch {
			case cur != nil && depth == cur.depth:
				var s *suite
				if len(suites) > 0 {
					s = suites[len(suites)-1]
				}
				c := cur.toCase()
				if s != nil && s.name == "pytest" && c.Line > 0 && cur.attrs["line"] != "" {
					c.Line++ // pytest's line= is 0-based
				}
				if s != nil {
					c.Suite = s.name
					if c.Start.IsZero() && !s.start.IsZero() {
						// Cases of a suite ran one after another (close enough for time slices).
						c.Start = s.start.Add(s.offset)
					}
					s.offset += c.Duration
					s.listed++
					if c.Status == Skipped {
						s.listedSkipped++
					}
				}
				if c.Status == Passed && ginkgoSuiteNode(c.Name) {
					// Ginkgo lists its setup nodes (once per parallel process) beside the
					// specs; passed, they are not tests. Failed, they are the cause.
					cur = nil
					break
				}
				out = append(out, c)
				cur = nil
			case cur == nil && t.Name.Local == "testsuite" && len(suites) > 0:
				s := suites[len(suites)-1]
				attachPanic(out[s.first:], s.out.String())
				// Some reporters (mocha-junit-reporter without includePending) count a
				// skipped test in the attributes but write no <testcase> for it: never
				// report fewer tests than the tool did.
				if s.children == 0 {
					missing := min(s.tests-s.listed, s.skipped-s.listedSkipped)
					out = appendUnlisted(out, s.name, max(missing, 0))
					if rest := s.tests - s.listed - max(missing, 0); rest > 0 {
						deficits = append(deficits, deficit{s.name, rest})
					}
				}
				suites, suiteDepth = suites[:len(suites)-1], suiteDepth[:len(suiteDepth)-1]
			}
			depth--
		}
	}
	if !sawRoot {
		return nil, fmt.Errorf("malformed JUnit XML: no elements")
	}
	// The root counts more skipped tests than are listed: give them to the suites that
	// count more tests than they list, never beyond the root's total.
	if rootTests >= 0 && rootSkipped > 0 {
		listedSkipped := 0
		for _, c := range out {
			if c.Status == Skipped {
				listedSkipped++
			}
		}
		budget := min(rootSkipped-listedSkipped, rootTests-len(out))
		for _, d := range deficits {
			if budget <= 0 {
				break
			}
			n := min(d.n, budget)
			out = appendUnlisted(out, d.suite, n)
			budget -= n
		}
	}
	return out, nil
}

type deficit struct {
	suite string
	n     int
}

// appendUnlisted adds n skipped tests that the file counts but does not name.
func appendUnlisted(out []Case, suite string, n int) []Case {
	for k := 0; k < min(n, 10000); k++ {
		out = append(out, Case{Suite: suite, Name: fmt.Sprintf("[skipped test %d, counted by the tool but not listed]", k+1),
			Status: Skipped, Attempts: 1, Message: "the results file counts this test as skipped but does not name it"})
	}
	return out
}

// junitCase is the <testcase> being read.
type junitCase struct {
	depth          int
	attrs          map[string]string
	status         Status
	message        string
	hasErr         bool
	body, out, err strings.Builder
}

func (j *junitCase) toCase() Case {
	c := Case{Classname: j.attrs["classname"], Name: j.attrs["name"], Duration: junitDuration(j.attrs["time"]), Attempts: 1, Status: Passed}
	if j.status != "" {
		c.Status = j.status
	}
	c.Start = parseJUnitTime(j.attrs["timestamp"])
	switch {
	case j.hasErr:
		body := j.body.String()
		c.Message = firstLine(j.message)
		c.Details = capText(body)
		if c.Message == "" || c.Message == "Failed" {
			c.Message = firstMeaningful(body, c.Message)
		}
		if p, _ := goPanic(body); p != "" {
			c.Status, c.Message = Error, p // gotestsum and go-junit-report keep Go's panic in the body
		}
	case c.Status == Skipped:
		c.Message = j.message
	}
	if c.Status == Passed {
		// Ginkgo's JUnit marks a spec that passed on a retry as passed; its system-err
		// keeps the failed attempt: "[FAILED] Failure recorded during attempt 1:\nreason".
		if errText := j.err.String(); strings.Contains(errText, "Failure recorded during attempt") {
			c.Status, c.Attempts = Flaky, strings.Count(errText, "Retrying ↺")+1
			if _, after, ok := strings.Cut(errText, "Failure recorded during attempt"); ok {
				if _, reason, ok := strings.Cut(after, "\n"); ok {
					c.Message = firstLine(reason)
				}
			}
			c.Details = capText(errText)
		}
	}
	if c.Status.Failing() && c.Details == "" {
		c.Details = capText(strings.TrimSpace(j.out.String() + "\n" + j.err.String()))
	}
	c.File = j.attrs["file"]
	if l, err := strconv.Atoi(j.attrs["line"]); err == nil {
		c.Line = l
	}
	if c.File == "" || c.Line == 0 {
		if f, l := fileLine(c.Details); f != "" && c.File == "" {
			c.File, c.Line = f, l
		}
	}
	return c
}

// junitDuration reads a time attribute: seconds ("1.5", "1,234.5") or a Go duration.
func junitDuration(t string) time.Duration {
	t = strings.ReplaceAll(t, ",", "")
	if s, err := strconv.ParseFloat(t, 64); err == nil {
		return time.Duration(s*1000000) * time.Microsecond
	}
	if d, err := time.ParseDuration(t); err == nil {
		return d
	}
	return 0
}

func parseJUnitTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// goFail matches a go test failure line: "    file_test.go:16: message".
var goFail = regexp.MustCompile(`^\s+([\w./-]+\.go):(\d+): (.+)$`)

// fileLocation matches "path/file.ext:123" in a stack trace or message.
var fileLocation = regexp.MustCompile(`([\w./-]+\.(?:go|js|ts|jsx|tsx|py|java|kt|rb)):(\d+)`)

// firstMeaningful picks the line of a failure body that says what failed, skipping the
// "=== RUN" / "--- FAIL" frame go test prints.
func firstMeaningful(body, fallback string) string {
	if p, _ := goPanic(body); p != "" {
		return p // a panic ended the test: that is why it failed, not its last t.Log line
	}
	var candidate string
	for _, l := range strings.Split(body, "\n") {
		if m := goFail.FindStringSubmatch(l); m != nil {
			candidate = m[3] // the last t.Error line is usually the assertion
		}
	}
	if candidate != "" {
		return candidate
	}
	for _, l := range strings.Split(body, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		return t
	}
	return fallback
}

// goPanic finds a Go panic in a test's output: its "panic: …" line (without the
// "[recovered]" note) and the text after it (the stack).
func goPanic(body string) (string, string) {
	for i := 0; i < len(body); {
		j := strings.IndexByte(body[i:], '\n')
		end := len(body)
		if j >= 0 {
			end = i + j
		}
		if l := strings.TrimSpace(body[i:end]); strings.HasPrefix(l, "panic: ") {
			l = strings.TrimSuffix(strings.TrimSuffix(l, " [recovered, repanicked]"), " [recovered]")
			return l, body[end:]
		}
		i = end + 1
	}
	return "", ""
}

var testFrame = regexp.MustCompile(`(\S+_test\.go):(\d+)`)

func fileLine(text string) (string, int) {
	if p, stack := goPanic(text); p != "" {
		// The panicking line: the first frame in a test file below the panic.
		if m := testFrame.FindStringSubmatch(stack); m != nil {
			n, _ := strconv.Atoi(m[2])
			return m[1], n
		}
	}
	file, line := "", 0
	for _, l := range strings.Split(text, "\n") {
		if m := goFail.FindStringSubmatch(l); m != nil {
			file, line = m[1], 0
			line, _ = strconv.Atoi(m[2]) // the last one, as in firstMeaningful
		}
	}
	if file != "" {
		return file, line
	}
	if m := fileLocation.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1], n
	}
	return "", 0
}

// attachPanic gives the failed cases of a suite the panic that go-junit-report keeps in
// the suite-level system-out (the test binary died; the case itself holds only its last
// t.Log lines): the panic is their message, unless they already name one.
func attachPanic(cases []Case, suiteOut string) {
	i := strings.Index(suiteOut, "panic: ")
	if i < 0 {
		return
	}
	block := strings.TrimSpace(suiteOut[i:])
	line, _ := goPanic(block)
	for k := range cases {
		c := &cases[k]
		if !c.Status.Failing() || strings.Contains(c.Message, "panic") {
			continue
		}
		if c.Details == "" || strings.Contains(block, c.Name) || len(cases) == 1 {
			c.Status, c.Message = Error, line
			c.Details = capText(strings.TrimSpace(c.Details + "\n" + block))
			if f, l := fileLine(block); f != "" {
				c.File, c.Line = f, l
			}
		}
	}
}

// ginkgoSuiteNode reports a Ginkgo setup node's JUnit name ("[BeforeSuite]",
// "[SynchronizedAfterSuite]", "[DeferCleanup (Suite)]", "[ReportAfterSuite] …").
func ginkgoSuiteNode(name string) bool {
	for _, p := range []string{"[BeforeSuite]", "[AfterSuite]", "[SynchronizedBeforeSuite]", "[SynchronizedAfterSuite]",
		"[ReportBeforeSuite]", "[ReportAfterSuite]", "[DeferCleanup (Suite)]"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
