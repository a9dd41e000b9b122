package textsafe

import "testing"

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\twith tab\nand newline":         "plain text\twith tab\nand newline",
		"red \x1b[31mERROR\x1b[0m here":             "red ERROR here",
		"title \x1b]0;owned\x07 set":                "title  set",
		"csi \u009b2J clear":                        "csi  clear",
		"bidi \u202eevil\u202c and zero\u200bwidth": "bidi evil and zerowidth",
		"cr\r\nlf and bell\a and del\x7f":           "cr\nlf and bell and del",
		"line\u2028sep":                             "line sep",
		"bad utf8 \xff!":                            "bad utf8 \ufffd!",
		"é and 日本 stay":                             "é and 日本 stay",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkCleanPlain(b *testing.B) {
	s := "I1122 17:00:00.000000 1 handler.go:42] app GET /api/orders/123 200 4.2ms user=bench-1\n"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Clean(s)
	}
}

// One rule for a text in a plain-text table (events.txt, timeline.txt): one line, the
// breaks shown.
func TestFlatten(t *testing.T) {
	if got := Flatten("a\r\nb\tc\nd"); got != "a ⏎ b c ⏎ d" {
		t.Errorf("Flatten = %q", got)
	}
}
