package render

import (
	"fmt"
	"strings"
)

// OutputsHelp lists the outputs as the CLI's help shows them: a file and what it is for
// per line, wrapped at 70 columns.
func OutputsHelp() string {
	var b strings.Builder
	for _, o := range Outputs {
		fmt.Fprintf(&b, "  %-21s %s\n", o.File, wrap(o.For, 70, strings.Repeat(" ", 24)))
	}
	return b.String()
}

// OutputNames names the outputs a reader opens: "REPORT.md, …, and comment.md".
func OutputNames() string {
	var names []string
	for _, o := range Outputs {
		if o.File != ResultsFile {
			names = append(names, o.File)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// wrap breaks text into lines of at most width, the later ones indented.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
