package investigate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// WriteJSON writes the investigation as indented JSON (schema.json).
func WriteJSON(w io.Writer, inv *Investigation) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// one makes an untrusted text one safe line: no escapes or control characters, no line
// breaks (a log line cannot forge a row or a section of the output).
// Each item is capped as REPORT.md caps a text.
func one(s string) string { return textsafe.OneLine(s, maxItem) }

// maxItem is the most bytes of one text an investigation carries (REPORT.md's cap).
const maxItem = 4096

func cell(s string) string {
	s = one(s)
	if s == "" {
		return "-"
	}
	return s
}

// WriteText writes the investigation in its stable text form: a header, then the
// sections FINDINGS, PODS, LOG ERRORS, OPERATOR, CUSTOM RESOURCES and GAPS, each a
// heading line in capitals followed by its rows (or "none"). README documents it.
func WriteText(w io.Writer, inv *Investigation) error {
	b := &strings.Builder{}
	src := "bundle " + one(inv.Source.Bundle)
	if inv.Source.Mode == "live" {
		src = "live cluster"
	}
	fmt.Fprintf(b, "ci-report investigate: %s · context %s · namespaces %s · at %s · logs %s\n", src, cell(inv.Source.Context),
		cell(strings.Join(inv.Source.Namespaces, ",")), inv.Source.At.UTC().Format("2006-01-02T15:04:05Z"), inv.Source.LogWindow)
	if inv.Focus != "" {
		fmt.Fprintf(b, "focus: %s\n", one(inv.Focus))
	}
	fmt.Fprintf(b, "STATUS %s: %s\n", inv.Status.Level, one(inv.Status.Detail))

	writeFindings(b, inv.Findings)
	writePods(b, inv.Pods)
	section(b, fmt.Sprintf("LOG ERRORS (%d distinct, %s)", len(inv.LogErrors), inv.Source.LogWindow), len(inv.LogErrors))
	for _, l := range inv.LogErrors {
		prev := ""
		if l.Previous {
			prev = " (previous)"
		}
		fmt.Fprintf(b, "%s/%s%s x%d %s %s: %s\n", one(l.Pod), one(l.Container), prev, l.Count, l.Level, cell(l.Last), one(l.Line))
	}

	section(b, fmt.Sprintf("OPERATOR (%d objects)", len(inv.Operator)), len(inv.Operator))
	for _, o := range inv.Operator {
		fmt.Fprintf(b, "%s %s: last reconcile %s %s, %d errors in %d actions", cell(o.Controller), one(o.Object), cell(o.Last), o.LastResult, o.Errors, o.Actions)
		if o.LastError != "" {
			fmt.Fprintf(b, "; last error: %s", one(o.LastError))
		}
		b.WriteString("\n")
	}

	writeResources(b, inv.CustomResources)
	section(b, fmt.Sprintf("GAPS (%d)", len(inv.Gaps)), len(inv.Gaps))
	for _, g := range inv.Gaps {
		fmt.Fprintf(b, "- %s\n", one(g))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// section starts a section: a blank line, its heading, and "none" when it is empty.
func section(b *strings.Builder, heading string, n int) {
	fmt.Fprintf(b, "\n%s\n", heading)
	if n == 0 {
		b.WriteString("none\n")
	}
}

func writeFindings(b *strings.Builder, fs []Finding) {
	section(b, fmt.Sprintf("FINDINGS (%d, ranked: causes first)", len(fs)), len(fs))
	for _, f := range fs {
		fmt.Fprintf(b, "%2d. %-8s %s %s\n", f.Rank, f.Severity, f.ID, one(f.Subject))
		count := ""
		if f.Count > 1 {
			count = fmt.Sprintf(" (x%d)", f.Count)
		}
		label := ""
		if l := f.History.Label(); l != "" {
			label = " [" + one(l) + "]"
		}
		fmt.Fprintf(b, "    %s%s%s\n", one(f.Title), count, label)
		if f.Explanation != "" {
			fmt.Fprintf(b, "    %s\n", one(f.Explanation))
		}
		for _, e := range f.Evidence {
			fmt.Fprintf(b, "    | %s\n", one(e))
		}
		if len(f.CausedBy) > 0 {
			fmt.Fprintf(b, "    caused by: %s\n", f.refs(f.CausedBy))
		}
		if len(f.Causes) > 0 {
			fmt.Fprintf(b, "    causes: %s\n", f.refs(f.Causes))
		}
		if f.Open != "" {
			fmt.Fprintf(b, "    open: %s\n", one(f.Open))
		}
	}

}

func writePods(b *strings.Builder, pods []Pod) {
	section(b, fmt.Sprintf("PODS (%d)", len(pods)), len(pods))
	if len(pods) > 0 {
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAMESPACE\tNAME\tPHASE\tREADY\tRESTARTS\tREASON\tLAST TERMINATION")
		for _, p := range pods {
			last := "-"
			if t := p.LastTermination; t != nil {
				last = fmt.Sprintf("%s %s exit %d", one(t.Container), cell(t.Reason), t.ExitCode)
				if !t.At.IsZero() {
					last += " at " + t.At.UTC().Format("15:04:05Z")
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", cell(p.Namespace), cell(p.Name), cell(p.Phase), cell(p.Ready), p.Restarts, cell(p.Reason), last)
		}
		tw.Flush()
	}

}

func writeResources(b *strings.Builder, rs []Resource) {
	section(b, fmt.Sprintf("CUSTOM RESOURCES (%d)", len(rs)), len(rs))
	for _, r := range rs {
		name := r.Name
		if r.Namespace != "" {
			name = r.Namespace + "/" + r.Name
		}
		stale := ""
		if r.Stale {
			stale = " (status stale)"
		}
		fmt.Fprintf(b, "%s/%s%s\n", one(r.Kind), one(name), stale)
		for _, c := range r.Conditions {
			where := ""
			if c.Where != "" {
				where = one(c.Where) + ": "
			}
			fmt.Fprintf(b, "  %s%s=%s %s", where, one(c.Type), one(c.Status), cell(c.Reason))
			if c.Message != "" {
				fmt.Fprintf(b, ": %s", one(c.Message))
			}
			b.WriteString("\n")
		}
	}

}

// refs names linked findings by their rank and ID ("#1 CrashLoopBackOff-942ff6a9").
func (f Finding) refs(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = one(id)
		if n := f.ranks[id]; n > 0 {
			parts[i] = fmt.Sprintf("#%d %s", n, parts[i])
		}
	}
	return strings.Join(parts, ", ")
}
