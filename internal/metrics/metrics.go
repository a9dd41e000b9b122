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
	for i := range ms {
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
