package findings

import "fmt"

// metricFindings: a measured value outside its threshold.
func metricFindings(s *Scope) (out []Finding) {
	for _, m := range s.Metrics {
		if !m.Breached {
			continue
		}
		f := newFinding(metricBreach, Error, Subject{Kind: "Metric", Name: m.Name},
			fmt.Sprintf("Metric %s = %g %s breaches %s", m.Name, m.Value, m.Unit, m.Limit()), "A measured value is outside its threshold.")
		out = append(out, f)
	}
	return out
}

var metricDetector = detector{"metrics", []Category{metricBreach}, metricFindings}

var metricBreach = Category{"MetricBreach", 30}
