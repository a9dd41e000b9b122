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

// The metrics file wins: a threshold-only entry applies to what the tests measured; one
// that nothing measured is reported unmeasured, not evaluated against 0.
func TestMergeFileWins(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/metrics.json"
	os.WriteFile(p, []byte(`[{"name": "pods/s", "threshold": 50, "direction": "min"},
		{"name": "p99", "value": 100, "threshold": 250, "unit": "ms"},
		{"name": "ghost", "threshold": 1}]`), 0o644)
	file, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	five := 500.0
	measured := []Metric{{Name: "pods/s", Value: 38.5, Source: "ginkgo"}, {Name: "p99", Value: 412, Threshold: &five}}
	out, unmeasured := Merge(file, measured)
	byName := map[string]Metric{}
	for _, m := range out {
		byName[m.Name] = m
	}
	if m := byName["pods/s"]; m.Value != 38.5 || !m.Breached || m.Limit() != "≥ 50" {
		t.Errorf("pods/s: %+v (limit %q), want 38.5 breaching ≥ 50", m, m.Limit())
	}
	if m := byName["p99"]; m.Value != 100 || m.Breached || *m.Threshold != 250 {
		t.Errorf("p99: %+v, want the file's value and threshold", m)
	}
	if _, ok := byName["ghost"]; ok || len(unmeasured) != 1 || unmeasured[0] != "ghost" {
		t.Errorf("ghost: in output %v, unmeasured %v", ok, unmeasured)
	}
}
