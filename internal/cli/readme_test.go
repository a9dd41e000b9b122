package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
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
	status, _, _ := strings.Cut(readme, "## Quick start")
	if regexp.MustCompile(`(?i)do(es)? not exist yet|not yet implemented|coming soon`).MatchString(status) {
		t.Error("README's status says a command does not exist yet")
	}
}
