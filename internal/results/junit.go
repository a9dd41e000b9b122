package results

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	junit "github.com/joshdk/go-junit"
)

// ParseJUnit reads JUnit XML: a <testsuites> root or a lone <testsuite>, nested suites,
// <failure> vs <error>, <skipped>, system-out/err, properties, timestamps and the
// file/line attributes some tools add.
func ParseJUnit(b []byte) ([]Case, error) {
	suites, err := junit.Ingest(b)
	if err != nil {
		return nil, fmt.Errorf("malformed JUnit XML: %w", err)
	}
	// go-junit drops a suite's attributes when it has <properties>; read the
	// timestamps ourselves, in document order (the order go-junit walks suites in).
	stamps, err := suiteTimestamps(b)
	if err != nil {
		return nil, fmt.Errorf("malformed JUnit XML: %w", err)
	}
	var out []Case
	next := 0
	var walk func(s junit.Suite, parent string)
	walk = func(s junit.Suite, parent string) {
		name := s.Name
		if name == "" {
			name = parent
		}
		var start time.Time
		if next < len(stamps) {
			start = parseJUnitTime(stamps[next])
			next++
		}
		offset := time.Duration(0)
		for _, t := range s.Tests {
			c := Case{Suite: name, Classname: t.Classname, Name: t.Name, Duration: t.Duration, Attempts: 1}
			if ts := parseJUnitTime(t.Properties["timestamp"]); !ts.IsZero() {
				c.Start = ts
			} else if !start.IsZero() {
				// Cases of a suite ran one after another (close enough for time slices).
				c.Start = start.Add(offset)
			}
			offset += t.Duration
			switch t.Status {
			case junit.StatusPassed:
				c.Status = Passed
			case junit.StatusSkipped:
				c.Status = Skipped
				c.Message = t.Message
			case junit.StatusFailed:
				c.Status = Failed
			case junit.StatusError:
				c.Status = Error
			default:
				c.Status = Passed
			}
			if t.Error != nil {
				if e, ok := t.Error.(junit.Error); ok {
					c.Message = firstLine(e.Message)
					c.Details = capText(e.Body)
					if c.Message == "" || c.Message == "Failed" {
						c.Message = firstMeaningful(e.Body, c.Message)
					}
				} else {
					c.Message = firstLine(t.Error.Error())
				}
			}
			if c.Status.Failing() && c.Details == "" {
				c.Details = capText(strings.TrimSpace(t.SystemOut + "\n" + t.SystemErr))
			}
			c.File = t.Properties["file"]
			if l, err := strconv.Atoi(t.Properties["line"]); err == nil {
				c.Line = l
			}
			if c.File == "" || c.Line == 0 {
				if f, l := fileLine(c.Details); f != "" && c.File == "" {
					c.File, c.Line = f, l
				}
			}
			out = append(out, c)
		}
		for _, child := range s.Suites {
			walk(child, name)
		}
	}
	for _, s := range suites {
		walk(s, "")
	}
	return out, nil
}

func suiteTimestamps(b []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testsuite" {
			ts := ""
			for _, a := range se.Attr {
				if a.Name.Local == "timestamp" {
					ts = a.Value
				}
			}
			out = append(out, ts)
		}
	}
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

func fileLine(text string) (string, int) {
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
