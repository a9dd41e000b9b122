package render

import (
	"io/fs"

	deftemplates "github.com/org/k8s-e2e-report/templates"
)

func readTemplate(name string, o Options) (string, error) {
	if b, err := override(o, name); err != nil || b != nil {
		return string(b), err
	}
	b, err := fs.ReadFile(deftemplates.FS, name)
	return string(b), err
}
