package render

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Untrusted text (logs, events, CR fields, test output) goes through these helpers
// before it reaches Markdown: it cannot leave a code block, break a table, inject HTML,
// or (in a PR comment) mention anyone or link an issue.

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]`)

// clean removes ANSI escapes and control characters (keeping tabs and newlines) and
// repairs invalid UTF-8.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	s = ansi.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r == '\u2028' || r == '\u2029' || r == '\ufeff':
			return ' '
		}
		return r
	}, s)
}

// fence returns s as a fenced code block whose fence is longer than any run of
// backticks inside it.
func fence(s, lang string) string {
	s = strings.TrimRight(clean(s), "\n")
	f := strings.Repeat("`", max(3, longestBacktickRun(s)+1))
	if strings.ContainsAny(lang, "` \n") {
		lang = ""
	}
	return f + lang + "\n" + s + "\n" + f
}

func longestBacktickRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// inlineCode returns s as a code span that cannot be closed early.
func inlineCode(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if s == "" {
		return ""
	}
	f := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return f + " " + s + " " + f
	}
	return f + s + f
}

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `&lt;`, `>`, `&gt;`,
	`&`, `&amp;`, `|`, `\|`, `~`, `\~`, `#`, `\#`, `!`, `\!`, `$`, `\$`,
)

var (
	mention  = regexp.MustCompile(`@([A-Za-z0-9])`)
	issueRef = regexp.MustCompile(`(^|[^&\w])#(\d)`)
	listMark = regexp.MustCompile(`^(\s*)([-+]|\d+[.)])(\s)`)
)

// text makes s safe as inline Markdown text on one line.
func mdText(s string, comment bool) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	s = mdSpecial.Replace(s)
	s = listMark.ReplaceAllString(s, `$1\$2$3`)
	if comment {
		s = neutralise(s)
	}
	return s
}

// neutralise stops @mentions and #123 issue references from notifying or linking, by
// putting a zero-width joiner after the @ or #.
func neutralise(s string) string {
	s = mention.ReplaceAllString(s, "@\u2060$1")
	s = issueRef.ReplaceAllString(s, "$1#\u2060$2")
	return s
}

// cell makes s safe inside a table cell: one line, pipes escaped.
func cell(s string, comment bool) string {
	out := mdText(s, comment)
	if out == "" {
		return " "
	}
	return out
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " […]"
}
