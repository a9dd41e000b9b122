package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/history/pgtest"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// The CLI end to end on a real PostgreSQL: record a run of main through one process,
// label a PR's render through another, with a postgres:// store.
func TestHistoryOnPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	work := t.TempDir()
	bundle := filepath.Join(work, "bundle")
	if err := os.CopyFS(bundle, os.DirFS("../../testdata/bundles/healthy")); err != nil {
		t.Fatal(err)
	}
	junit := func(name, body string) string {
		p := filepath.Join(work, name)
		os.WriteFile(p, []byte(`<testsuites><testsuite name="e2e">`+body+`</testsuite></testsuites>`), 0o644)
		return p
	}
	base := junit("base.xml", `<testcase classname="e2e" name="t-old"><failure message="boom"/></testcase><testcase classname="e2e" name="t-new"/>`)
	pr := junit("pr.xml", `<testcase classname="e2e" name="t-old"><failure message="boom"/></testcase><testcase classname="e2e" name="t-new"><failure message="x"/></testcase>`)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(args, nil, &out, &errb); code != 0 {
			t.Fatalf("ci-report %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	run("render", bundle, "--results", base, "--report-dir", filepath.Join(work, "b"), "-q")
	if out := run("history", "record", filepath.Join(work, "b"), "--store", dsn, "--sha", "abcdef12345", "--branch", "main", "--run", "1", "--key", "e2e"); !strings.HasPrefix(out, "recorded: main@abcdef12345") {
		t.Fatalf("record: %q", out)
	}
	run("render", bundle, "--results", pr, "--report-dir", filepath.Join(work, "pr"), "--store", dsn, "--base-branch", "main", "--comment-key", "e2e", "-q")
	r, err := reportjson.Read(filepath.Join(work, "pr"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range r.Tests.Cases {
		got[c.Name] = c.History.Label()
	}
	if got["t-old"] != "failing since abcdef1 (1 of 1 runs)" || got["t-new"] != "new" || r.History == nil || r.History.Base.Runs != 1 {
		t.Errorf("labels from PostgreSQL: %v, history %+v", got, r.History)
	}
}

// --history-runs out of 1..1000 is a usage error that names the flag.
func TestHistoryRunsBounded(t *testing.T) {
	for _, n := range []string{"0", "-1", "1001"} {
		code, _, stderr := run("render", "../../testdata/bundles/demo", "--history-runs", n, "--report-dir", t.TempDir())
		if code != 2 || !strings.Contains(stderr, "--history-runs must be 1 to 1000") {
			t.Errorf("--history-runs %s: exit %d, %s", n, code, stderr)
		}
	}
}
