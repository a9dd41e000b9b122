package query

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
)

// bigLog writes a 1 GiB log that costs a few KiB of disk: timestamped lines at its start,
// a hole of NUL bytes, and timestamped lines at its end (one with a token).
func bigLog(t *testing.T) (*Run, int64) {
	t.Helper()
	dir := t.TempDir()
	rel := bundle.LogPath("ns", "big", "app", false)
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(f, "%s starting step %d\n", t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i)
	}
	const size = 1 << 30
	if _, err := f.Seek(size-4096, 0); err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(f, "%s ending step %d\n", t0.Add(time.Hour+time.Duration(i)*time.Second).Format(time.RFC3339Nano), i)
	}
	fmt.Fprintf(f, "%s ERROR login failed token=ghp_CaNaRy0123456789abcdefghijklmnopqrstuv\n", t0.Add(time.Hour+time.Minute).Format(time.RFC3339Nano))
	info, _ := f.Stat()
	f.Close()
	br, err := bundle.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	rd, _ := redact.New(nil)
	r := &model.Report{Files: []model.File{{Path: rel, Bytes: info.Size()}}}
	return New(r, br, rd, "test"), info.Size()
}

// A 1 GiB log: the tail, a window at its end and a grep each answer within the budget
// and read a bounded part of it; the grep goes on by cursor.
func TestLogsOfAGiB(t *testing.T) {
	run, size := bigLog(t)
	q := LogQuery{Namespace: "ns", Pod: "big"}

	out, text, err := run.Logs(LogQuery{Namespace: "ns", Pod: "big", Tail: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Lines) != 5 || !strings.Contains(text, "ERROR login failed token=") || strings.Contains(text, "ghp_CaNaRy") {
		t.Errorf("tail:\n%s", text)
	}

	// No argument: a plain read of a log over the budget gives its end.
	if _, text, _ := run.Logs(q); !strings.Contains(text, "ending step 19") || len(text) > DefaultLimit {
		t.Errorf("plain read of a large log: %d bytes\n%.2000s", len(text), text)
	}

	// around: found by bisection, not by reading the GiB before it.
	around := q
	around.Around, around.Seconds = "2026-11-21T00:00:00Z", 1
	around.Around = time.Date(2026, 11, 21, 0, 0, 5, 0, time.UTC).Add(23 * time.Hour).Add(time.Hour).Format(time.RFC3339)
	out, text, err = run.Logs(around)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "ending step 5") || strings.Contains(text, "ending step 9") || out.From < size/2 {
		t.Errorf("around the end (read from byte %d of %d):\n%s", out.From, size, text)
	}

	// grep: one call reads at most MaxScan bytes and says where to go on.
	grep := q
	grep.Grep = "ending step 1[0-9]"
	out, text, err = run.Logs(grep)
	if err != nil {
		t.Fatal(err)
	}
	if out.To-out.From > MaxScan+maxLineRead || out.NextCursor == "" || !strings.Contains(text, "call again") {
		t.Errorf("grep read bytes %d–%d (cursor %q):\n%s", out.From, out.To, out.NextCursor, text)
	}
	calls := 1
	for out.NextCursor != "" && out.Matches == 0 {
		grep.Cursor = out.NextCursor
		if out, text, err = run.Logs(grep); err != nil {
			t.Fatal(err)
		}
		calls++
		if calls > int(size/MaxScan)+2 {
			t.Fatalf("grep does not reach the end by cursor (%d calls)", calls)
		}
	}
	if out.Matches != 10 || !strings.Contains(text, "ending step 19") {
		t.Errorf("grep after %d calls: %d matches\n%s", calls, out.Matches, text)
	}
}

// Redaction holds across a grep: a token is masked in the lines shown, and grepping for
// the token's value finds nothing (the answer is no oracle for a guessed secret).
func TestLogsGrepSeesScrubbedLines(t *testing.T) {
	run, _ := bigLog(t)
	out, text, err := run.Logs(LogQuery{Namespace: "ns", Pod: "big", Grep: "login failed", Tail: 0, Paging: Paging{Cursor: fmt.Sprintf("b%d.0", (int64(1)<<30)-4096)}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Matches != 1 || strings.Contains(text, "ghp_CaNaRy") {
		t.Errorf("grep login failed:\n%s", text)
	}
	out, _, err = run.Logs(LogQuery{Namespace: "ns", Pod: "big", Grep: "ghp_CaNaRy", Paging: Paging{Cursor: fmt.Sprintf("b%d.0", (int64(1)<<30)-4096)}})
	if err != nil || out.Matches != 0 {
		t.Errorf("grep for the token's value: %d matches, %v", out.Matches, err)
	}
}

// A window around a time keeps the lines without a time (a stack trace's) with the line
// above them: in the window when it is, out when it is not.
func TestLogsWindowKeepsUntimedLinesWithTheirLine(t *testing.T) {
	dir := t.TempDir()
	rel := bundle.LogPath("ns", "p", "c", false)
	p := filepath.Join(dir, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("2026-11-21T23:00:00Z early panic\n\tearly frame\n2026-11-21T23:10:00Z late panic\n\tlate frame\n2026-11-21T23:30:00Z after\n"), 0o644)
	br, err := bundle.OpenReader(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	run := New(&model.Report{Files: []model.File{{Path: rel}}}, br, nil, "test")
	out, text, err := run.Logs(LogQuery{Namespace: "ns", Pod: "p", Around: "2026-11-21T23:10:00Z", Seconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Lines) != 2 || !strings.Contains(text, "late frame") || strings.Contains(text, "early") || strings.Contains(text, "after") {
		t.Errorf("window around 23:10:\n%s", text)
	}
}
