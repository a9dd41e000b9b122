package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The picture is of the comment as GitHub lays it out: a long comment makes a tall
// full-page PNG of the frame's width, not a cut viewport.
func TestIntegrationDocshotTakesTheWholeComment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "comment.md")
	md := "## ci-report\n\n| a | b |\n|---|---|\n" + strings.Repeat("| x | y |\n", 60)
	if err := os.WriteFile(in, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "comment.png")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 900 || h <= 1200 {
		t.Errorf("screenshot is %dx%d, want 900 wide and the whole 60-row table (over 1200 high)", w, h)
	}
}
