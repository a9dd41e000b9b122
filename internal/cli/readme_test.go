package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/ghactions"
)

// README's command list is what `ci-report --help` offers: every command listed, none
// that does not exist, and README's status line names no command as missing.
func TestREADMEListsTheCommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, block, ok := strings.Cut(readme, "\nCommands:\n")
	if !ok {
		t.Fatal("README has no Commands: block")
	}
	block, _, _ = strings.Cut(block, "```")
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z]+)\b`).FindAllStringSubmatch(block, -1) {
		listed = append(listed, m[1])
	}
	var real []string
	for _, c := range newRootCmd(&globals{getenv: os.Getenv}).Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			real = append(real, c.Name())
		}
	}
	slices.Sort(listed)
	slices.Sort(real)
	if !slices.Equal(listed, real) {
		t.Errorf("README lists %v; ci-report --help offers %v", listed, real)
	}
	status, _, _ := strings.Cut(readme, "## The GitHub Action")
	if regexp.MustCompile(`(?i)do(es)? not exist yet|not yet implemented|coming soon`).MatchString(status) {
		t.Error("README's status says a command does not exist yet")
	}
}

// What README says of a flag is what the flag does: investigate's --timeout default,
// annotate's per-level cap (errors, warnings and notices), --strict's two causes.
func TestREADMEFlagFacts(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	root := newRootCmd(&globals{getenv: os.Getenv})
	find := func(name string) *cobra.Command {
		c, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	def := strings.TrimSuffix(strings.TrimSuffix(find("investigate").Flags().Lookup("timeout").DefValue, "0s"), "0m")
	if !strings.Contains(readme, "| `--timeout` | `"+def+"` | live: time limit for reading the cluster |") {
		t.Errorf("README's investigate --timeout row does not give its default %s", def)
	}
	annotate := regexp.MustCompile(`(?m)^  annotate \[BUNDLE\].*$`).FindString(readme)
	if !strings.Contains(annotate, "::notice") || !strings.Contains(annotate, fmt.Sprintf("≤ %d each", ghactions.MaxPerLevel)) {
		t.Errorf("README's annotate line %q does not say it emits up to %d annotations of each level, notices too", annotate, ghactions.MaxPerLevel)
	}
	for _, cmd := range []string{"run", "comment"} {
		if usage := find(cmd).Flags().Lookup("strict").Usage; cmd == "run" && !strings.Contains(usage, "nothing could be collected") {
			t.Errorf("%s --strict: %q does not say it fails when nothing could be collected", cmd, usage)
		}
	}
}

// Every file README, CONTRIBUTING.md and docs/ link to exists (the comment's screenshot, the
// recipes, the benchmark page), relative to the linking file, and every #anchor names a heading.
func TestDocsLinksExist(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append([]string{"../../README.md", "../../CONTRIBUTING.md"}, docs...)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	total := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			total++
			file, anchor, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), file)
				if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
					t.Errorf("%s links to %s: %v", filepath.Base(doc), target, err)
					continue
				}
			}
			if anchor != "" && !slices.Contains(headingAnchors(t, path), anchor) {
				t.Errorf("%s links to %s: no heading makes the anchor #%s", filepath.Base(doc), target, anchor)
			}
		}
	}
	if total < 5 {
		t.Fatalf("only %d local links found: the link pattern is broken", total)
	}
}

// headingAnchors are GitHub's anchors of a Markdown file's headings: lower case, spaces to
// dashes, punctuation but dashes and underscores dropped.
func headingAnchors(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		h := strings.TrimLeft(line, "#")
		if h == line || !strings.HasPrefix(h, " ") {
			continue
		}
		var a strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(h)) {
			switch {
			case r == ' ':
				a.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				a.WriteRune(r)
			}
		}
		out = append(out, a.String())
	}
	return out
}
