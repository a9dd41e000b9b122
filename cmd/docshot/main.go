// Command docshot takes README's pictures: a PR comment (comment.md) as GitHub shows it,
// whole, or the top of a page (REPORT.html) as a browser opens it. `make docs-screenshot`
// makes docs/comment.png and docs/page.png from the demo.
//
//	go run ./cmd/docshot ci-report/comment.md docs/comment.png
//	go run ./cmd/docshot ci-report/REPORT.html docs/page.png
package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/org/k8s-e2e-report/internal/screenshots"
)

// page is GitHub's comment frame, near enough for a picture: its fonts, widths, tables,
// code blocks and details.
const page = `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#fff;font:14px/1.5 -apple-system,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,"Noto Color Emoji";color:#1f2328}
.box{width:860px;margin:16px;border:1px solid #d1d9e0;border-radius:6px}
.head{background:#f6f8fa;border-bottom:1px solid #d1d9e0;padding:8px 16px;color:#59636e}
.head b{color:#1f2328}
.body{padding:16px}
h1,h2,h3{margin:16px 0 8px;font-weight:600;line-height:1.25}h2{font-size:1.5em;border-bottom:1px solid #d1d9e0;padding-bottom:.3em}h3{font-size:1.25em}
table{border-collapse:collapse;margin:0 0 16px}td,th{border:1px solid #d1d9e0;padding:6px 13px}tr:nth-child(2n){background:#f6f8fa}
code{font:85% ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;border-radius:6px;padding:.2em .4em}
pre{background:#f6f8fa;border-radius:6px;padding:16px;overflow:auto}pre code{background:none;padding:0}
a{color:#0969da;text-decoration:none}details{margin:0 0 16px}summary{cursor:pointer}
p,ul,ol{margin:0 0 16px}
</style></head><body><div class="box"><div class="head"><b>github-actions</b> bot commented</div><div class="body">{{body}}</div></div></body></html>`

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: docshot COMMENT.md OUT.png")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "docshot:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	md, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	if strings.HasSuffix(in, ".html") {
		return shoot(string(md), 1280, 1500, false, out)
	}
	var body bytes.Buffer
	// GitHub renders comments as GFM and lets <details> through; the comment's own text is
	// already made safe by its renderer.
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert(md, &body); err != nil {
		return err
	}
	return shoot(strings.Replace(page, "{{body}}", body.String(), 1), 900, 600, true, out)
}

// shoot serves doc on loopback and writes Chromium's screenshot of it: the whole page,
// or the first width×height of it.
func shoot(doc string, width, height int, full bool, out string) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, doc)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var shot []byte
	res, err := screenshots.Capture(ctx, screenshots.Options{
		BaseURL: srv.URL, Width: width, Height: height, FullPage: full,
		Log: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}, func(_ string, png []byte) (string, error) {
		shot = png
		return out, nil
	})
	if err != nil {
		return err
	}
	if len(res) == 1 && res[0].Error != "" {
		return fmt.Errorf("screenshot: %s", res[0].Error)
	}
	if len(shot) == 0 {
		return fmt.Errorf("no screenshot taken")
	}
	return os.WriteFile(out, shot, 0o644)
}
