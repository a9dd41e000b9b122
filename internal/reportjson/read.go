package reportjson

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
)

// File is report.json's name in a report directory.
const File = bundle.ReportJSON

// Read reads the report.json that render wrote into dir, confined to dir like any
// bundle read. The file may come from someone else's run (a matrix shard, a fork's
// artifact): missing parts are filled in, never trusted to be there.
func Read(dir string) (*model.Report, error) {
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	defer br.Close()
	b, err := br.ReadFile(File, bundle.MaxJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (run `ci-report render %s` first)", filepath.Join(dir, File), err, dir)
	}
	var w Report
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, File), err)
	}
	if w.Version != Version {
		return nil, fmt.Errorf("%s: report version %d, this ci-report reads version %d (render the bundle again with this ci-report)", filepath.Join(dir, File), w.Version, Version)
	}
	r := w.model()
	r.Bundle = dir
	r.Normalise()
	return r, nil
}
