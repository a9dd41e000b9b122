package findings

import (
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// consoleFindings turns what the browser saw on the console's pages into findings: a page
// that could not load or answered an error, JavaScript errors and uncaught exceptions,
// and the console's own API calls that failed with a server error.
func consoleFindings(s *Scope) (out []Finding) {
	for _, p := range s.Pages {
		subj := Subject{Kind: "ConsolePage", Name: p.Name}
		refs := []string{bundle.PagesJSON}
		if p.File != "" {
			refs = append(refs, p.File)
		}
		switch {
		case p.Error != "":
			title := fmt.Sprintf("Console page %s could not be captured", p.Name)
			if p.TimedOut {
				title = fmt.Sprintf("Console page %s did not finish loading", p.Name)
			}
			f := newFinding(consoleError, Warning, subj, title, oneLine(p.Error))
			f.Evidence, f.Refs = []string{p.URL}, refs
			out = append(out, f)
		case p.Status >= 400:
			f := newFinding(consoleError, Error, subj, fmt.Sprintf("Console page %s answered HTTP %d", p.Name, p.Status), fmt.Sprintf("%s answered HTTP %d", p.URL, p.Status))
			f.Refs = refs
			out = append(out, f)
		}
		if len(p.ConsoleErrors) > 0 {
			// What the page itself said beats the browser's "Failed to load resource",
			// and an uncaught exception (what broke the page) beats both.
			first, score := p.ConsoleErrors[0], -1
			for _, m := range p.ConsoleErrors {
				sc := 1
				switch {
				case m.Type == "exception":
					sc = 3
				case !strings.HasPrefix(m.Text, "Failed to load resource"):
					sc = 2
				}
				if sc > score {
					first, score = m, sc
				}
			}
			f := newFinding(consoleError, Error, subj, fmt.Sprintf("Browser errors on console page %s", p.Name),
				fmt.Sprintf("%s (%d console error(s) on %s)", oneLine(first.Text), len(p.ConsoleErrors), p.URL))
			f.Count, f.Refs = len(p.ConsoleErrors), refs
			for _, m := range p.ConsoleErrors[:min(len(p.ConsoleErrors), evidenceLines)] {
				line := m.Type + ": " + m.Text
				if m.URL != "" {
					line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line)
				}
				f.Evidence = append(f.Evidence, line)
			}
			out = append(out, f)
		}
		// The console's own API: requests to the page's origin (a third-party script or
		// analytics call that fails says nothing about the system under test).
		origin := pageOrigin(p.URL)
		var failed []bundle.FailedRequest
		for _, r := range p.FailedRequests {
			if !strings.HasPrefix(r.URL, origin) {
				continue
			}
			if r.Status >= 500 || (r.Status == 0 && r.Error != "") {
				failed = append(failed, r)
			}
		}
		if len(failed) > 0 {
			r := failed[0]
			what := fmt.Sprintf("HTTP %d", r.Status)
			if r.Status == 0 {
				what = r.Error
			}
			f := newFinding(consoleError, Error, subj, fmt.Sprintf("Console page %s: %d request(s) failed", p.Name, len(failed)),
				fmt.Sprintf("%s %s: %s", r.Method, r.URL, what))
			f.Count, f.Refs = len(failed), refs
			for _, r := range failed[:min(len(failed), evidenceLines)] {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s %s → %d %s", r.Method, r.URL, r.Status, r.Error))
			}
			out = append(out, f)
		}
	}
	return out
}

// pageOrigin is the scheme and host of a page URL ("http://host:port/"), or the service
// prefix collect writes for a port-forwarded console ("service ns/name:port/").
func pageOrigin(u string) string {
	rest := u
	prefix := ""
	if i := strings.Index(u, "://"); i >= 0 {
		prefix, rest = u[:i+3], u[i+3:]
	} else if strings.HasPrefix(u, "service ") {
		prefix, rest = "service ", strings.TrimPrefix(u, "service ")
		if i := strings.Index(rest, "/"); i >= 0 { // the namespace's slash
			prefix, rest = prefix+rest[:i+1], rest[i+1:]
		}
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		rest = rest[:i]
	}
	return prefix + rest + "/"
}

var consoleDetector = detector{"console pages", []Category{consoleError}, consoleFindings}

var consoleError = Category{"ConsoleError", 35}
