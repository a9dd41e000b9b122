package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/render"
)

// The classes of issue 19, each planted in a bundle built from the demo bundle, several
// variants a class; every output render writes is checked.

// demoBundle copies the committed demo bundle (not rendered) into a temp directory.
func demoBundle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	src := "../../testdata/bundles/demo"
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderOutputs renders dir (exit 0 required) and returns every output by file name.
func renderOutputs(t *testing.T, dir string, args ...string) map[string]string {
	t.Helper()
	code, _, stderr := runWithin(t, 60*time.Second, append([]string{"render", dir}, args...)...)
	if code != 0 {
		t.Fatalf("render exit %d\n%s", code, stderr)
	}
	return readOutputs(t, dir)
}

func readOutputs(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{render.ReportFile, render.SummaryFile, render.CommentFile, render.HTMLFile, render.JSONFile, render.ResultsFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}

// noSecret fails for every output that holds one of the secrets, also JSON-escaped.
func noSecret(t *testing.T, outputs map[string]string, secrets ...string) {
	t.Helper()
	for name, doc := range outputs {
		for _, s := range secrets {
			esc, _ := json.Marshal(s)
			if strings.Contains(doc, s) || strings.Contains(doc, strings.Trim(string(esc), `"`)) {
				t.Errorf("%s leaks %q", name, s)
			}
		}
	}
}

// junitFailures writes a JUnit file whose failing tests carry the given outputs.
func junitFailures(t *testing.T, path string, outputs ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><testsuites><testsuite name="hostile" timestamp="2026-11-21T23:31:00Z">`)
	for i, o := range outputs {
		var esc strings.Builder
		for _, r := range o {
			switch r {
			case '<':
				esc.WriteString("&lt;")
			case '&':
				esc.WriteString("&amp;")
			default:
				esc.WriteRune(r)
			}
		}
		fmt.Fprintf(&b, `<testcase classname="e2e" name="TestHostile%d" time="1"><failure message="failed">%s</failure></testcase>`, i, esc.String())
	}
	b.WriteString(`</testsuite></testsuites>`)
	writeFile(t, path, b.String())
}

const (
	rsaBody1  = "MIIEowIBAAKCAQEAx7k2Lq9vRmZpN3wT5yU8iO0pA2sD4fG6hJ8kL1zX3cV5bN7m"
	rsaBody2  = "Q9w8E7r6T5y4U3i2O1p0A9s8D7f6G5h4J3k2L1zXcVbNmQwErTyUiOpAsDfGhJkL"
	sshBody   = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
	ecBody    = "MHcCAQEEIBk8T3mN5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hJ5kL7mNoAoGCCqGSM49"
	multiPass = "Sup3r-S3cret-Passw0rd-For-Hostile"
)

// TestHostileMultilineSecrets: a private key spans lines. Wherever such a text enters the
// model (a failed test's output, a log tail, a log window around a failure), it must be
// redacted whole, before findings cut it into evidence lines.
func TestHostileMultilineSecrets(t *testing.T) {
	dir := demoBundle(t)
	rsa := "-----BEGIN RSA PRIVATE KEY-----\n" + rsaBody1 + "\n" + rsaBody2 + "\n-----END RSA PRIVATE KEY-----"
	ssh := "-----BEGIN OPENSSH PRIVATE KEY-----\n" + sshBody + "\n-----END OPENSSH PRIVATE KEY-----"
	ec := "    -----BEGIN EC PRIVATE KEY-----\n    " + ecBody + "\n    -----END EC PRIVATE KEY-----"
	junitFailures(t, filepath.Join(dir, "results", "02-hostile.xml"),
		"main_test.go:12: loading the signing key failed: invalid key\n"+rsa+"\nerror: x509: malformed private key",
		"e2e_test.go:40: unexpected ssh key in the secret:\n"+ssh+"\nFAIL",
		"config dump (error):\n"+ec+"\n  password:\n    "+multiPass+"\n",
	)
	// A key printed to the builder's log (crash-looping, so its tail is shown whole),
	// and one that starts before the tail's first line.
	logs := filepath.Join(dir, "k8s/logs/turbo-engine-e2e/builder-5b755b5754-8zzqt")
	for _, f := range []string{"builder.log", "builder.previous.log"} {
		b, err := os.ReadFile(filepath.Join(logs, f))
		if err != nil {
			t.Fatal(err)
		}
		var add strings.Builder
		for _, l := range strings.Split("ERROR bad key material:\n"+rsa, "\n") {
			add.WriteString("2026-11-21T23:31:30.000000000Z " + l + "\n")
		}
		writeFile(t, filepath.Join(logs, f), string(b)+add.String())
	}
	out := renderOutputs(t, dir, "--log-lines", "2")
	noSecret(t, out, rsaBody1, rsaBody2, sshBody, ecBody)
	out = renderOutputs(t, dir)
	noSecret(t, out, rsaBody1, rsaBody2, sshBody, ecBody)
	if !strings.Contains(out[render.ReportFile], "TestHostile0") {
		t.Error("REPORT.md does not list the planted failure")
	}
}
