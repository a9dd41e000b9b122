package render

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/org/k8s-e2e-report/internal/bundle"
	deftemplates "github.com/org/k8s-e2e-report/templates"
)

type bundleGap = bundle.Gap

// maxEmbed is the largest image embedded into REPORT.html.
const maxEmbed = 8 << 20

// HTML renders REPORT.md as a self-contained page: GFM tables, raw HTML dropped, and
// images from the bundle embedded as data: URLs.
func HTML(md, bundleDir string, o Options) ([]byte, error) {
	gm := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(&embedImages{dir: bundleDir}, 100))),
	)
	var body bytes.Buffer
	if err := gm.Convert([]byte(md), &body); err != nil {
		return nil, err
	}
	b, err := readTemplate("report.html.tmpl", o)
	if err != nil {
		return nil, err
	}
	page, err := template.New("html").Parse(b)
	if err != nil {
		return nil, err
	}
	title := "ci-report"
	if i := strings.Index(md, "\n"); i > 0 && strings.HasPrefix(md, "# ") {
		title = strings.TrimPrefix(md[:i], "# ")
	}
	var out bytes.Buffer
	err = page.Execute(&out, map[string]any{"Title": title, "Body": template.HTML(body.String())})
	return out.Bytes(), err
}

// embedImages rewrites relative image links that point into the bundle to data: URLs.
type embedImages struct{ dir string }

func (e *embedImages) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	root, _ := filepath.Abs(e.dir)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		dest := string(img.Destination)
		if strings.Contains(dest, ":") || strings.HasPrefix(dest, "/") {
			return ast.WalkContinue, nil
		}
		p, _ := filepath.Abs(filepath.Join(e.dir, filepath.FromSlash(dest)))
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			return ast.WalkContinue, nil
		}
		info, err := os.Stat(p)
		if err != nil || info.Size() > maxEmbed {
			return ast.WalkContinue, nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return ast.WalkContinue, nil
		}
		typ := mime.TypeByExtension(filepath.Ext(p))
		if !strings.HasPrefix(typ, "image/") {
			return ast.WalkContinue, nil
		}
		img.Destination = []byte("data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(b))
		return ast.WalkContinue, nil
	})
}

func readTemplate(name string, o Options) (string, error) {
	if o.Templates != nil {
		if b, err := fs.ReadFile(o.Templates, name); err == nil {
			return string(b), nil
		}
	}
	b, err := fs.ReadFile(deftemplates.FS, name)
	return string(b), err
}
