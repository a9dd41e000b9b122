package bundle

import (
	"os"
	"path/filepath"
)

// More of the bundle's files, and what render and the comment workflow write into it.
// Every name of the on-disk contract is spelled here and only here.
const (
	TracesJSON = "traces.json" // the run's traces, in the Jaeger UI API's format (see package traces)
	PRJSON     = "pr.json"     // a fork PR's comment record, for the workflow_run poster

	ReportMD    = "REPORT.md"
	ReportHTML  = "REPORT.html"
	ReportJSON  = "report.json"
	SummaryMD   = "summary.md"
	CommentMD   = "comment.md"
	ResultsJSON = "k8s-e2e-results.json"
)

// WriteFileAtomic writes path through a temporary file renamed into place (a reader
// never sees half a file), readable by others (an artifact upload).
func WriteFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
