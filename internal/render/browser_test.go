package render

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/org/k8s-e2e-report/internal/screenshots"
)

// chromium finds the browser; a missing browser fails the test (CI installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (apt-get install chromium) or set CHROMIUM")
	return ""
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationHTMLInChromium opens REPORT.html in headless Chromium and checks the
// tables and an embedded screenshot are there, and that the page is not blank.
func TestIntegrationHTMLInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	copyDir(t, filepath.Join(bundles, "demo"), dir)
	// A screenshot in the bundle: a blue "console" with a white bar.
	img := image.NewRGBA(image.Rect(0, 0, 320, 160))
	for y := 0; y < 160; y++ {
		for x := 0; x < 320; x++ {
			c := color.RGBA{30, 90, 200, 255}
			if y > 60 && y < 100 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	os.MkdirAll(filepath.Join(dir, "screenshots"), 0o755)
	f, _ := os.Create(filepath.Join(dir, "screenshots", "console.png"))
	png.Encode(f, img)
	f.Close()

	r, err := loadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(context.Background(), dir, r, Options{}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, HTMLFile)

	tmp := t.TempDir()
	opts := screenshots.AllocatorOptions(browser, tmp, 1280, 900)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatalf("open %s in Chromium: %v", page, err)
	}
	tables, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("table").length`))
	if err != nil {
		t.Fatal(err)
	}
	if tables < 5 {
		t.Errorf("page shows %d tables, want the report's tables", tables)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.images].length > 0 && [...document.images].every(i => i.complete && i.naturalWidth === 320)`))
	if err != nil {
		t.Fatal(err)
	}
	if !loaded {
		t.Error("the embedded screenshot did not load")
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(os.TempDir(), "ci-report-html-screenshot.jpg")
	os.WriteFile(out, shot, 0o644)
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
	im, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if colors := distinctColors(im, 64); colors < 16 {
		t.Errorf("screenshot looks blank: %d distinct colours", colors)
	}
	if im.Bounds().Dy() < 2000 {
		t.Errorf("full-page screenshot is only %d px tall", im.Bounds().Dy())
	}
}

func distinctColors(im image.Image, limit int) int {
	seen := map[uint32]bool{}
	b := im.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := im.At(x, y).RGBA()
			seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
