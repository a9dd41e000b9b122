package results

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"path"
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

// junitSuite is an open <testsuite> while parsing.
type junitSuite struct {
	name                  string
	hostname              bool // pytest writes hostname= on every suite it writes
	start                 time.Time
	offset                time.Duration
	first                 int // index in out of its first case
	tests, skipped        int // as its attributes count them
	listed, listedSkipped int // cases directly in it
	children              int
	depth                 int
	out                   strings.Builder // suite-level system-out (go-junit-report puts a panic there)
}

// junitParser is one JUnit file's token stream turned into cases.
type junitParser struct {
	suites  []*junitSuite
	out     []Case
	depth   int
	cur     *junitCase
	target  *strings.Builder // the text being captured (a failure body, system-out)
	tdepth  int              // the depth of the element whose text is captured
	sawRoot bool
	// The root <testsuites> counts, and the leaf suites that list fewer tests than
	// they count (mocha-junit-reporter counts a skipped test only at the root).
	rootTests, rootSkipped int
	deficits               []deficit
}

func parseJUnit(ctx context.Context, b []byte) ([]Case, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	p := &junitParser{rootTests: -1, rootSkipped: -1}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.out, fmt.Errorf("malformed JUnit XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.start(t); err != nil {
				return p.out, err
			}
		case xml.CharData:
			if p.target != nil && p.target.Len() < maxCapture {
				p.target.Write(t[:min(len(t), maxCapture-p.target.Len())])
			}
		case xml.EndElement:
			p.end(t)
		}
	}
	if !p.sawRoot {
		return nil, fmt.Errorf("malformed JUnit XML: no elements")
	}
	p.giveRootSkips()
	return p.out, nil
}

func attrOf(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (p *junitParser) capture(b *strings.Builder) { p.target, p.tdepth = b, p.depth }

func (p *junitParser) start(t xml.StartElement) error {
	p.depth++
	p.sawRoot = true
	if p.depth > MaxXMLDepth {
		return fmt.Errorf("malformed JUnit XML: elements nested deeper than %d levels", MaxXMLDepth)
	}
	if p.target != nil {
		return nil // markup inside a captured text: keep only its text
	}
	attr := func(name string) string { return attrOf(t, name) }
	if p.depth == 1 && t.Name.Local == "testsuites" {
		if v, err := strconv.Atoi(attr("tests")); err == nil {
			p.rootTests = v
		}
		if v, err := strconv.Atoi(attr("skipped")); err == nil {
			p.rootSkipped = v
		}
	}
	cur := p.cur
	switch name := t.Name.Local; {
	case name == "system-out" && cur == nil && len(p.suites) > 0 && p.depth == p.suites[len(p.suites)-1].depth+1:
		p.capture(&p.suites[len(p.suites)-1].out)
	case name == "testsuite" && cur == nil:
		s := &junitSuite{name: attr("name"), hostname: attr("hostname") != "", start: parseJUnitTime(attr("timestamp")), first: len(p.out), depth: p.depth}
		s.tests, _ = strconv.Atoi(attr("tests"))
		s.skipped, _ = strconv.Atoi(attr("skipped"))
		if len(p.suites) > 0 {
			p.suites[len(p.suites)-1].children++
			if s.name == "" {
				s.name = p.suites[len(p.suites)-1].name
			}
		}
		p.suites = append(p.suites, s)
	case name == "testcase" && cur == nil:
		p.cur = &junitCase{depth: p.depth, attrs: map[string]string{}}
		for _, a := range t.Attr {
			p.cur.attrs[a.Name.Local] = a.Value
		}
	case cur != nil && p.depth == cur.depth+1:
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
			p.capture(&cur.body)
		case "system-out":
			p.capture(&cur.out)
		case "system-err":
			p.capture(&cur.err)
		}
	}
	return nil
}

func (p *junitParser) end(t xml.EndElement) {
	if p.target != nil && p.depth == p.tdepth {
		p.target = nil
	}
	switch {
	case p.cur != nil && p.depth == p.cur.depth:
		p.endCase()
	case p.cur == nil && t.Name.Local == "testsuite" && len(p.suites) > 0:
		p.endSuite()
	}
	p.depth--
}

// pytestLocation points a failed pytest case into its code: xunit1's line= is the first
// decorator's line for a decorated test, and the line before the fixture for a setup
// error. The traceback's last frame says where it failed: a line of the test's own file
// for a failure, the fixture (wherever it is) for an error.
func pytestLocation(c *Case) {
	if !c.Status.Failing() {
		return
	}
	var file string
	var line int
	for _, l := range strings.Split(c.Details, "\n") {
		if m := pytestWhere().FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			file = m[1]
			line, _ = strconv.Atoi(m[2])
		}
	}
	switch {
	case line == 0:
	case c.Status == Error:
		c.File, c.Line = file, line
	case c.File == "" || path.Base(file) == path.Base(c.File):
		if c.File == "" {
			c.File = file
		}
		c.Line = line
	}
}

// pytestCase: a case pytest wrote. Its suite is named "pytest" unless junit_suite_name
// renamed it; then the shape tells: a suite with hostname= whose case has pytest's
// xunit1 file= (a .py file) and line= but no timestamp= of its own (unittest-xml-reporting,
// whose line= is 1-based, stamps every case).
func pytestCase(s *junitSuite, attrs map[string]string) bool {
	if s.name == "pytest" {
		return true
	}
	return s.hostname && strings.HasSuffix(attrs["file"], ".py") && attrs["line"] != "" && attrs["timestamp"] == ""
}

func (p *junitParser) endCase() {
	var s *junitSuite
	if len(p.suites) > 0 {
		s = p.suites[len(p.suites)-1]
	}
	cur := p.cur
	p.cur = nil
	c := cur.toCase()
	if s != nil && pytestCase(s, cur.attrs) {
		if l, err := strconv.Atoi(cur.attrs["line"]); err == nil && l >= 0 {
			c.Line = l + 1 // pytest writes item.location, whose line is 0-based
		}
		pytestLocation(&c)
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
		// Ginkgo lists its setup nodes (once per parallel process) beside the specs;
		// passed, they are not tests. Failed, they are the cause.
		return
	}
	p.out = append(p.out, c)
}

func (p *junitParser) endSuite() {
	s := p.suites[len(p.suites)-1]
	attachPanic(p.out[s.first:], s.out.String())
	// Some reporters (mocha-junit-reporter without includePending) count a skipped test
	// in the attributes but write no <testcase> for it: never report fewer tests than
	// the tool did.
	if s.children == 0 {
		missing := min(s.tests-s.listed, s.skipped-s.listedSkipped)
		p.out = appendUnlisted(p.out, s.name, max(missing, 0))
		if rest := s.tests - s.listed - max(missing, 0); rest > 0 {
			p.deficits = append(p.deficits, deficit{s.name, rest})
		}
	}
	p.suites = p.suites[:len(p.suites)-1]
}

// giveRootSkips: the root counts more skipped tests than are listed: give them to the
// suites that count more tests than they list, never beyond the root's total.
func (p *junitParser) giveRootSkips() {
	if p.rootTests < 0 || p.rootSkipped <= 0 {
		return
	}
	listedSkipped := 0
	for _, c := range p.out {
		if c.Status == Skipped {
			listedSkipped++
		}
	}
	budget := min(p.rootSkipped-listedSkipped, p.rootTests-len(p.out))
	for _, d := range p.deficits {
		if budget <= 0 {
			break
		}
		n := min(d.n, budget)
		p.out = appendUnlisted(p.out, d.suite, n)
		budget -= n
	}
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
