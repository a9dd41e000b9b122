package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

func TestMainExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
		err  string
	}{
		{[]string{"version"}, ExitOK, ""},
		{[]string{"--no-such-flag"}, ExitUsage, "unknown flag"},
		{[]string{"frobnicate"}, ExitUsage, "unknown command"},
		{[]string{"version", "--json=maybe"}, ExitUsage, "invalid argument"},
	} {
		var out, errOut bytes.Buffer
		got := Main(tc.args, nil, &out, &errOut)
		if got != tc.want {
			t.Errorf("Main(%q) = %d, want %d (stderr %q)", tc.args, got, tc.want, errOut.String())
		}
		if tc.err != "" && !strings.Contains(errOut.String(), tc.err) {
			t.Errorf("Main(%q) stderr = %q, want it to mention %q", tc.args, errOut.String(), tc.err)
		}
	}
}

// TestEveryRegexpCompiles compiles the regular expressions of every package the CLI links
// (they compile at first use, so one that is never exercised would otherwise panic in a
// user's run).
func TestEveryRegexpCompiles(t *testing.T) {
	if err := lazyre.Check(); err != nil {
		t.Fatal(err)
	}
}
