package model

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// Image limits: one screenshot, and all of them together.
const (
	maxImage       = 8 << 20
	maxImagesTotal = 64 << 20
)

// screenshots reads the images under screenshots/, keeping only files whose bytes are a
// PNG, JPEG, GIF or WebP image (whatever their names say).
func screenshots(br *bundle.Reader, gap func(string, error)) []Screenshot {
	entries, skipped, err := br.List("screenshots")
	if err != nil {
		gap("render", fmt.Errorf("screenshots/: %v", err))
	}
	for _, name := range skipped {
		gap("render", fmt.Errorf("%s: %w", name, bundle.ErrNotRegular))
	}
	var out []Screenshot
	total := 0
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.Path))
		if ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".gif" && ext != ".webp" {
			continue
		}
		if e.Size > maxImage || total+int(e.Size) > maxImagesTotal {
			gap("render", fmt.Errorf("%s: %d bytes, too large to embed", e.Path, e.Size))
			continue
		}
		b, err := br.ReadFile(e.Path, maxImage)
		if err != nil {
			gap("render", fmt.Errorf("%s: %v", e.Path, err))
			continue
		}
		typ := http.DetectContentType(b)
		switch typ {
		case "image/png", "image/jpeg", "image/gif", "image/webp":
		default:
			gap("render", fmt.Errorf("%s: not an image (its bytes say %s)", e.Path, typ))
			continue
		}
		total += len(b)
		name := strings.TrimSuffix(path.Base(e.Path), path.Ext(e.Path))
		out = append(out, Screenshot{Path: e.Path, Title: name, Type: typ, Data: b})
	}
	return out
}

// index lists the bundle's files but the outputs rendered into it and hidden files.
func index(br *bundle.Reader, outputs map[string]bool, gap func(string, error)) []File {
	entries, cut := br.Walk(func(rel string) bool {
		return outputs[rel] || strings.HasPrefix(path.Base(rel), ".")
	})
	if cut {
		gap("render", fmt.Errorf("file index: stopped at %d files or %d directories deep", bundle.MaxWalkEntries, bundle.MaxWalkDepth))
	}
	out := make([]File, 0, len(entries))
	for _, e := range entries {
		out = append(out, File{Path: e.Path, Bytes: e.Size})
	}
	return out
}
