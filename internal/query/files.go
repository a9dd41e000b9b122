package query

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// MaxFile is the most of a bundle file a resource read returns; the logs tool pages
// through a longer log.
const MaxFile = 1 << 20

// File is a bundle file read as a resource: scrubbed text, or an image's bytes.
type File struct {
	Path     string
	MIMEType string
	Text     string
	Blob     []byte
}

// ReadFile reads a file of the bundle for a client: only a file the bundle's index
// lists, confined, at most MaxFile bytes; text scrubbed (objects by their key names,
// other text line by line), images as they are.
func (r *Run) ReadFile(rel string) (*File, error) {
	if r.Bundle == nil {
		return nil, argErrorf("this run has no bundle files")
	}
	p, err := bundle.RelPath(rel)
	if err != nil || p == "." {
		return nil, argErrorf("%s is not a path inside the bundle", quote(rel, 200))
	}
	listed := false
	for _, f := range r.Report.Files {
		if f.Path == p {
			listed = true
			break
		}
	}
	if !listed {
		return nil, argErrorf("%s is not a file of the bundle (summary and get_finding link its files)", quote(rel, 200))
	}
	info, err := r.Bundle.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, argErrorf("%s: %v", p, bundle.ErrNotRegular)
	}
	if info.Size() > MaxFile && strings.HasSuffix(p, ".log") {
		return nil, argErrorf("%s is %d bytes; read it with the logs tool (grep, around, tail, cursor)", p, info.Size())
	}
	b, err := r.Bundle.ReadFile(p, max(info.Size(), 0)+1)
	if err != nil {
		return nil, err
	}
	cut := len(b) > MaxFile
	if cut {
		b = b[:MaxFile]
	}
	f := &File{Path: p, MIMEType: http.DetectContentType(b)}
	if strings.HasPrefix(f.MIMEType, "image/") {
		if cut {
			return nil, argErrorf("%s is over %d bytes", p, MaxFile)
		}
		f.Blob = b
		return f, nil
	}
	if !utf8.Valid(b) && !cut {
		return nil, argErrorf("%s is neither text nor an image", p)
	}
	text := string(b)
	switch ext := path.Ext(p); {
	case !cut && (ext == ".json" || ext == ".yaml" || ext == ".yml"):
		f.MIMEType = "application/json"
		if ext != ".json" {
			f.MIMEType = "application/yaml"
		}
		text, err = r.scrubDoc(b, ext != ".json")
		if err != nil {
			text = r.scrubLines(string(b)) // not what it says it is: scrubbed as text
			f.MIMEType = "text/plain"
		}
	default:
		f.MIMEType = "text/plain"
		text = r.scrubLines(text)
	}
	if cut {
		text += fmt.Sprintf("\n(cut at %d bytes)\n", MaxFile)
	}
	f.Text = textsafe.Clean(text)
	return f, nil
}

func (r *Run) scrubLines(s string) string {
	if r.Redactor == nil {
		return s
	}
	return strings.Join(r.Redactor.NewLines().Block(strings.Split(s, "\n")), "\n")
}

// scrubDoc scrubs a JSON or YAML document as objects are: every map by its key names
// (a Secret's data, a CR's spec.password), every string whole.
func (r *Run) scrubDoc(b []byte, isYAML bool) (string, error) {
	if isYAML {
		var err error
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return "", err
		}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	if r.Redactor != nil {
		r.scrubValue(v, 0)
	}
	var out []byte
	var err error
	if isYAML {
		out, err = yaml.Marshal(v)
	} else {
		out, err = json.MarshalIndent(v, "", "  ")
	}
	return string(out), err
}

func (r *Run) scrubValue(v any, depth int) {
	if depth > 100 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		r.Redactor.Object(t)
	case []any:
		for i, e := range t {
			if s, ok := e.(string); ok {
				t[i], _ = r.Redactor.String(s)
				continue
			}
			r.scrubValue(e, depth+1)
		}
	}
}
