package render

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/url"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/model"
	deftemplates "github.com/org/k8s-e2e-report/templates"
)

type bundleGap = bundle.Gap

// HTML renders REPORT.md as a self-contained page: GFM tables, raw HTML dropped, and
// the report's screenshots embedded as data: URLs (nothing else is ever read).
func HTML(md string, r *model.Report, o Options) ([]byte, error) {
	images := map[string]model.Screenshot{}
	for _, s := range r.Screenshots {
		images[s.Path] = s
	}
	gm := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(&embedImages{images: images}, 100))),
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

// embedImages rewrites image links to the report's screenshots into data: URLs.
type embedImages struct{ images map[string]model.Screenshot }

func (e *embedImages) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		dest, err := url.PathUnescape(strings.TrimPrefix(string(img.Destination), "./"))
		if err != nil {
			return ast.WalkContinue, nil
		}
		if s, ok := e.images[dest]; ok && len(s.Data) > 0 {
			img.Destination = []byte("data:" + s.Type + ";base64," + base64.StdEncoding.EncodeToString(s.Data))
		}
		return ast.WalkContinue, nil
	})
}

func readTemplate(name string, o Options) (string, error) {
	if b, err := override(o, name); err != nil || b != nil {
		return string(b), err
	}
	b, err := fs.ReadFile(deftemplates.FS, name)
	return string(b), err
}
