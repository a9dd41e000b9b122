package render

import (
	"net/url"
	"strings"

	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/textsafe"
	"github.com/org/k8s-e2e-report/internal/traces"
)

// Untrusted text (logs, events, CR fields, test output) goes through these helpers
// before it reaches Markdown: it cannot leave a code block, break a table, inject HTML,
// or (in a PR comment) mention anyone or link an issue.

// clean strips escapes, control and invisible characters (see textsafe).
func clean(s string) string { return textsafe.Clean(s) }

// fence returns s as a fenced code block whose fence is longer than any run of
// backticks inside it.
func fence(s, lang string, comment bool) string {
	s = strings.TrimRight(clean(s), "\n")
	s = neutralise(s, comment)
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

// inlineCode returns s as a code span that cannot be closed early. Text with a pipe
// becomes escaped text instead: a GFM table splits its row at a pipe even inside a code
// span, and the escape that prevents it (\|) shows as such outside a table, so no code
// span is safe in both places. Escaped text is.
func inlineCode(s string, comment bool) string {
	if strings.Contains(s, "|") {
		return mdText(s, comment)
	}
	s = neutralise(strings.Join(strings.Fields(clean(s)), " "), comment)
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
	mention  = lazyre.New(`@([A-Za-z0-9])`)
	issueRef = lazyre.New(`(^|[^&])#(\d)`)
	ghRef    = lazyre.New(`(?i)\b(GH)-(\d)`)
	autolink = lazyre.New(`(?i)(\b[a-z][a-z0-9+.-]*:)(//)|\b(www)(\.)`)
	marker   = lazyre.New(`(?i)<!--(\s*ci-report)`)
	email    = lazyre.New(`(\S)@([A-Za-z0-9])`) // any local part goldmark takes (RFC 5322 characters too)
	listMark = lazyre.New(`^(\s*)([-+]|\d+[.)])(\s)`)
)

// text makes s safe as inline Markdown text on one line.
func mdText(s string, comment bool) string {
	s = strings.Join(strings.Fields(clean(truncate(s, maxText))), " ")
	s = mdSpecial.Replace(s)
	s = listMark().ReplaceAllString(s, `$1\$2$3`)
	if !comment {
		s = unlink(s) // the comment's neutralise does this too
	}
	return neutralise(s, comment)
}

// unlink keeps URLs and e-mail addresses in text from being autolinked (GFM links
// user@host as mailto:).
func unlink(s string) string {
	if strings.IndexByte(s, '@') >= 0 {
		s = email().ReplaceAllString(s, "$1@"+wj+"$2")
	}
	if !strings.Contains(s, "://") && !containsFoldASCII(s, "www.") {
		return s // nothing autolink can match (most text): skip the regexp
	}
	return autolink().ReplaceAllString(s, "$1$3"+wj+"$2$4")
}

// containsFoldASCII reports whether s contains the lower-case ASCII sub, ignoring ASCII case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// wj is the word joiner: invisible, and it breaks what GitHub would otherwise link.
const wj = "\u2060"

// neutralise keeps untrusted text from posing as our comment marker, and in a PR
// comment also from notifying or linking: @mentions, #123, owner/repo#123 and GH-123
// references, and autolinked URLs (which GitHub turns into cross-references) all get
// a word joiner. It runs on cleaned text (clean strips word joiners), never before.
func neutralise(s string, comment bool) string {
	if strings.Contains(s, "<!--") {
		s = marker().ReplaceAllString(s, "<!-"+wj+"-$1")
	}
	if !comment {
		return s
	}
	s = mention().ReplaceAllString(s, "@"+wj+"$1")
	s = issueRef().ReplaceAllString(s, "$1#"+wj+"$2")
	s = ghRef().ReplaceAllString(s, "$1-"+wj+"$2")
	return unlink(s)
}

// Caps on one untrusted item, so one huge test name or message cannot push every
// other item out of a budget.
const (
	maxText = 4096
	maxCell = 512
)

// cell makes s safe inside a table cell: one line, pipes escaped, at most maxCell bytes
// of source text.
func cell(s string, comment bool) string {
	out := mdText(truncate(s, maxCell), comment)
	if out == "" {
		return " "
	}
	return out
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string { return textsafe.Truncate(s, n) }

// link is a relative link to a bundle file: the text escaped, the destination
// percent-encoded segment by segment and anchored with "./", so no scheme
// (javascript:, data:) and no absolute or parent path can come through.
func link(p string, comment bool) string {
	dest, ok := relPath(p)
	if !ok {
		return inlineCode(p, comment)
	}
	return "[" + mdText(p, comment) + "](" + dest + ")"
}

// imageLink is an image link to a bundle file, under the same rules as link.
func imageLink(title, p string, comment bool) string {
	dest, ok := relPath(p)
	if !ok {
		return inlineCode(p, comment)
	}
	return "![" + mdText(title, comment) + "](" + dest + ")"
}

func relPath(p string) (string, bool) {
	p = clean(p)
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsAny(p, "\n") {
		return "", false
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
		segs[i] = destEscaper.Replace(url.PathEscape(seg))
	}
	return "./" + strings.Join(segs, "/"), true
}

// destEscaper escapes what url.PathEscape keeps and Markdown link destinations must not
// see raw.
var destEscaper = strings.NewReplacer("@", "%40", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "'", "%27", "\"", "%22", "[", "%5B", "]", "%5D", "|", "%7C")

// traceLink shows a trace ID, linked to the Jaeger UI when its URL is known (a URL the
// user gave, never one from the bundle; the ID must be hex).
func traceLink(ui, id string, comment bool) string {
	if ui == "" || !traces.ValidID(id) {
		return inlineCode(id, comment)
	}
	return "[" + id + "](" + strings.TrimSuffix(ui, "/") + "/trace/" + id + ")"
}
