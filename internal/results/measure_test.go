package results

import (
	"os"
	"testing"

	"github.com/org/k8s-e2e-report/internal/metrics"
)

// Real tool output (generate-measure.sh): Ginkgo's numeric report entries and a Go
// benchmark's lines become metrics; a string entry does not.
func TestMeasurementsFromResults(t *testing.T) {
	r := ParseFiles([]string{"../../testdata/results/ginkgo-entries-report.json", "../../testdata/results/gobench.txt", "../../testdata/results/gobench.json"})
	got := map[string][]metrics.Metric{}
	for _, m := range r.Metrics {
		got[m.Name] = append(got[m.Name], m)
	}
	if m := got["list pods p99"]; len(m) != 1 || m[0].Value != 412 || m[0].Unit != "ms" || m[0].Threshold == nil || *m[0].Threshold != 250 || !m[0].Breached {
		t.Errorf("list pods p99: %+v, want 412 ms over its 250 threshold", m)
	}
	if m := got["objects listed"]; len(m) != 1 || m[0].Value != 3000 || m[0].Breached {
		t.Errorf("objects listed: %+v", m)
	}
	if _, ok := got["note"]; ok {
		t.Error("a string report entry became a metric")
	}
	// Once from the plain output, once from -json.
	if m := got["BenchmarkRender pods/s"]; len(m) != 2 || m[0].Value != 512 || m[1].Value != 512 {
		t.Errorf("BenchmarkRender pods/s: %+v", m)
	}
	if m := got["BenchmarkRender ns/op"]; len(m) != 2 || m[0].Value <= 0 || m[0].Unit != "ns/op" {
		t.Errorf("BenchmarkRender ns/op: %+v", m)
	}
}

// The real Ginkgo console output (its default reporter), read as a Job's log.
func TestGinkgoConsoleLog(t *testing.T) {
	b, err := os.ReadFile("../../testdata/results/logs/ginkgo-real.log")
	if err != nil {
		t.Fatal(err)
	}
	cases, format := ParseLog(b)
	counts := map[Status]int{}
	for _, c := range cases {
		counts[c.Status]++
	}
	if format != LogGinkgo || counts[Passed] != 2 || counts[Failed] != 1 || cases[0].Name != "API server under load watches without drops" || cases[0].Line != 34 {
		t.Errorf("%s: %v, first %+v", format, counts, cases[0])
	}
}
