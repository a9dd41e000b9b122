package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/metrics"
)

// Measurements a results file carries besides outcomes: Ginkgo's numeric report entries
// (AddReportEntry) and `go test -bench` lines. They become metrics, so a load test's
// thresholds are checked with no metrics file; a --metrics file still wins.

// ginkgoEntryValue is what a report entry may hold: a number, or {value, unit, threshold,
// direction} (a struct passed to AddReportEntry is serialised as JSON).
type ginkgoEntryValue struct {
	Value     *float64 `json:"value"`
	Unit      string   `json:"unit"`
	Threshold *float64 `json:"threshold"`
	Direction string   `json:"direction"`
}

// GinkgoMetrics reads the numeric report entries of a Ginkgo JSON report.
func GinkgoMetrics(b []byte) []metrics.Metric {
	var reports []types.Report
	if json.Unmarshal(b, &reports) != nil {
		return nil
	}
	var out []metrics.Metric
	for _, r := range reports {
		for _, s := range r.SpecReports {
			for _, e := range s.ReportEntries {
				js := strings.TrimSpace(e.Value.AsJSON)
				m := metrics.Metric{Name: e.Name, Source: "ginkgo report entry"}
				if v, err := strconv.ParseFloat(js, 64); err == nil {
					m.Value = v
				} else {
					var ev ginkgoEntryValue
					if json.Unmarshal([]byte(js), &ev) != nil || ev.Value == nil {
						continue // not a measurement
					}
					m.Value, m.Unit, m.Threshold, m.Direction = *ev.Value, ev.Unit, ev.Threshold, ev.Direction
				}
				m.Evaluate()
				out = append(out, m)
			}
		}
	}
	return out
}

// benchLine is `BenchmarkList-8   1000   1234567 ns/op   2048 B/op   512 pods/s`.
var (
	benchLine  = lazyre.New(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	benchValue = lazyre.New(`([-+]?[\d.]+(?:e[-+]?\d+)?) (\S+)`)
)

// BenchMetrics reads `go test -bench` result lines from go test's output (plain, or the
// Output fields of -json events): one metric per benchmark and unit.
func BenchMetrics(b []byte, isJSON bool) []metrics.Metric {
	var out []metrics.Metric
	add := func(line string) {
		m := benchLine().FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			return
		}
		for _, v := range benchValue().FindAllStringSubmatch(m[2], -1) {
			f, err := strconv.ParseFloat(v[1], 64)
			if err != nil {
				continue
			}
			out = append(out, metrics.Metric{Name: fmt.Sprintf("%s %s", m[1], v[2]), Value: f, Unit: v[2], Source: "go test -bench"})
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if !isJSON {
			add(sc.Text())
			continue
		}
		var ev struct{ Output string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil {
			add(ev.Output)
		}
	}
	return out
}
