package cli

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

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

// Every file README links to under docs/ exists (the comment's screenshot).
func TestREADMEDocsLinksExist(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\((docs/[^)\s]+)\)`).FindAllStringSubmatch(string(b), -1)
	if len(links) == 0 {
		t.Fatal("README links to nothing under docs/ (the comment's screenshot is gone)")
	}
	for _, m := range links {
		if fi, err := os.Stat("../../" + m[1]); err != nil || fi.Size() == 0 {
			t.Errorf("README links to %s: %v", m[1], err)
		}
	}
}
