// Package metrics reads measured values with thresholds (e.g. "setup < 30 s") and
// tells which were breached.
package metrics

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// Metric is one measurement. Direction "max" (default) means the value must stay at or
// below the threshold ("setup < 30 s"); "min" means at or above.
type Metric struct {
	Name      string   `json:"name"`
	Value     float64  `json:"value"`
	Unit      string   `json:"unit,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	Direction string   `json:"direction,omitempty"`
	Breached  bool     `json:"breached"`
	Source    string   `json:"source,omitempty"` // where it was measured: the metrics file, a Ginkgo report entry, go test -bench
	noValue   bool     // a metrics file's entry with a threshold only
}

// Merge joins what the tests measured with the metrics file: the file wins. A file entry
// of a measured metric's name gives its threshold, direction and unit (and value, if it
// has one); other file entries stay as they are, but one with no value and nothing
// measured is returned in unmeasured instead.
func Merge(file, measured []Metric) (out []Metric, unmeasured []string) {
	byName := map[string]int{}
	for _, m := range measured {
		byName[m.Name] = len(out)
		out = append(out, m)
	}
	for _, f := range file {
		i, ok := byName[f.Name]
		switch {
		case !ok && f.noValue:
			unmeasured = append(unmeasured, f.Name)
			continue
		case !ok:
			out = append(out, f)
			continue
		}
		m := &out[i]
		if !f.noValue {
			m.Value, m.Source = f.Value, f.Source
		}
		if f.Threshold != nil {
			m.Threshold, m.Direction = f.Threshold, f.Direction
		}
		if f.Unit != "" {
			m.Unit = f.Unit
		}
	}
	for i := range out {
		out[i].Evaluate()
	}
	return out, unmeasured
}

// Evaluate sets Breached.
func (m *Metric) Evaluate() {
	m.Breached = false
	if m.Threshold == nil {
		return
	}
	switch m.Direction {
	case "min", ">", ">=", "above":
		m.Breached = m.Value < *m.Threshold
	default:
		m.Breached = m.Value > *m.Threshold
	}
}

// Limit describes the threshold, e.g. "≤ 30 s".
func (m Metric) Limit() string {
	if m.Threshold == nil {
		return ""
	}
	op := "≤"
	switch m.Direction {
	case "min", ">", ">=", "above":
		op = "≥"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %g %s", op, *m.Threshold, m.Unit))
}

// Load reads a JSON list of metrics and evaluates them.
func Load(path string) ([]Metric, error) {
	b, err := bundle.ReadRegular(path, bundle.MaxJSON)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	var ms []Metric
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("--metrics %s: want a JSON list of {name, value, unit, threshold, direction}: %w", path, err)
	}
	// An entry may give a threshold only, for a value the tests measure (a Ginkgo
	// report entry, a benchmark).
	var values []struct {
		Value *float64 `json:"value"`
	}
	_ = json.Unmarshal(b, &values)
	for i := range ms {
		ms[i].Source, ms[i].noValue = path, i < len(values) && values[i].Value == nil
		if ms[i].Name == "" {
			return nil, fmt.Errorf("--metrics %s: entry %d has no name", path, i+1)
		}
		switch ms[i].Direction {
		case "", "max", "min", "<", "<=", ">", ">=", "below", "above":
		default:
			return nil, fmt.Errorf("--metrics %s: %s: direction %q, want max or min", path, ms[i].Name, ms[i].Direction)
		}
		ms[i].Evaluate()
	}
	return ms, nil
}
