package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(p, []byte(`[
	 {"name":"setup","value":41.2,"unit":"s","threshold":30},
	 {"name":"teardown","value":4,"unit":"s","threshold":10,"direction":"max"},
	 {"name":"throughput","value":80,"unit":"req/s","threshold":100,"direction":"min"},
	 {"name":"pods","value":12}]`), 0o644)
	ms, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range ms {
		got[m.Name] = m.Breached
	}
	if !got["setup"] || got["teardown"] || !got["throughput"] || got["pods"] {
		t.Errorf("breaches = %v", got)
	}
	if ms[0].Limit() != "≤ 30 s" || ms[2].Limit() != "≥ 100 req/s" {
		t.Errorf("limits %q %q", ms[0].Limit(), ms[2].Limit())
	}
	os.WriteFile(p, []byte(`{"name":"x"}`), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "JSON list") {
		t.Errorf("bad file: %v", err)
	}
}
