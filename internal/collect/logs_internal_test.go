package collect

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/redact"
)

func testRun(t testing.TB) *run {
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &run{opts: Options{Redactor: red}}
}

func TestCopyLog(t *testing.T) {
	long := strings.Repeat("é", MaxLogLine) // 2 bytes a rune: the cut falls mid-rune
	in := "plain line\n" +
		"binary \x00\x01\x02 data\n" +
		"bad utf8 \xff\xfe\n" +
		long + "\n" +
		"Authorization: Bearer abcdef123456\n" +
		"no trailing newline"
	var out bytes.Buffer
	st, err := testRun(t).copyLog(&out, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 6 || st.lines != 6 {
		t.Fatalf("got %d lines (%d counted): %q", len(lines), st.lines, out.String()[:200])
	}
	if lines[0] != "plain line" || lines[5] != "no trailing newline" {
		t.Errorf("plain lines changed: %q %q", lines[0], lines[5])
	}
	if !strings.HasPrefix(lines[1], "[ci-report: ") || !strings.HasPrefix(lines[2], "[ci-report: ") || st.binary != 2 {
		t.Errorf("binary lines not replaced: %q %q (%d)", lines[1], lines[2], st.binary)
	}
	if len(lines[3]) > MaxLogLine+100 || !strings.HasSuffix(lines[3], "line cut, 131072 bytes]") || st.longLines != 1 {
		t.Errorf("long line: %d bytes, suffix %q", len(lines[3]), lines[3][len(lines[3])-40:])
	}
	if strings.Contains(lines[4], "abcdef123456") || st.redacted != 1 {
		t.Errorf("bearer token kept: %q", lines[4])
	}
	if st.in != int64(len(in)) {
		t.Errorf("in = %d, want %d", st.in, len(in))
	}
}

func FuzzCopyLog(f *testing.F) {
	f.Add([]byte("a\nb\x00\n\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		st, err := testRun(t).copyLog(&out, bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if st.in != int64(len(in)) {
			t.Errorf("read %d of %d bytes", st.in, len(in))
		}
		if !bytes.Equal(in, []byte{}) && !strings.HasSuffix(out.String(), "\n") {
			t.Error("output does not end in a newline")
		}
	})
}

// BenchmarkCopyLog measures scrubbing throughput and shows allocation stays per line,
// not per log (run: make bench).
func BenchmarkCopyLog(b *testing.B) {
	line := `2026-01-01T00:00:00Z {"level":"info","msg":"served","path":"/api/users","status":200,"duration_ms":3}` + "\n"
	in := []byte(strings.Repeat(line, 10000))
	r := testRun(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.copyLog(io.Discard, bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
