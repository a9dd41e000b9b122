package results

import (
	"strconv"
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// goFail matches a go test failure line: "    file_test.go:16: message".
var goFail = lazyre.New(`^\s+([\w./-]+\.go):(\d+): (.+)$`)

// fileLocation matches "path/file.ext:123" in a stack trace or message.
var fileLocation = lazyre.New(`([\w./-]+\.(?:go|js|ts|jsx|tsx|py|java|kt|rb)):(\d+)`)

// firstMeaningful picks the line of a failure body that says what failed, skipping the
// "=== RUN" / "--- FAIL" frame go test prints.
func firstMeaningful(body, fallback string) string {
	if p, _ := goPanic(body); p != "" {
		return p // a panic ended the test: that is why it failed, not its last t.Log line
	}
	var candidate string
	for _, l := range strings.Split(body, "\n") {
		if m := goFail().FindStringSubmatch(l); m != nil {
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

var testFrame = lazyre.New(`(\S+_test\.go):(\d+)`)

func fileLine(text string) (string, int) {
	if p, stack := goPanic(text); p != "" {
		// The panicking line: the first frame in a test file below the panic.
		if m := testFrame().FindStringSubmatch(stack); m != nil {
			n, _ := strconv.Atoi(m[2])
			return m[1], n
		}
	}
	file, line := "", 0
	for _, l := range strings.Split(text, "\n") {
		if m := goFail().FindStringSubmatch(l); m != nil {
			file, line = m[1], 0
			line, _ = strconv.Atoi(m[2]) // the last one, as in firstMeaningful
		}
	}
	if file != "" {
		return file, line
	}
	if m := fileLocation().FindStringSubmatch(text); m != nil {
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
