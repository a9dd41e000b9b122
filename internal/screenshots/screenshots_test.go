package screenshots

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// console serves a small web console: a page with a known layout, one that throws, one
// whose API call answers 500, and a slow one.
func console(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`<!doctype html><html><body style="margin:0;background:#fff">
<div id="app" style="width:400px;height:200px;background:#c00">graphs</div></body></html>`))
	})
	mux.HandleFunc("/throws", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><html><body><p>hi</p><script>
console.error("graph store unavailable: connection refused");
throw new Error("cannot render APIGraph orders");
</script></body></html>`))
	})
	mux.HandleFunc("/api-fails", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><html><body><p id="x">loading</p><script>
fetch("/api/graphs").then(r => { document.getElementById("x").textContent = "got " + r.status; });
</script></body></html>`))
	})
	mux.HandleFunc("/api/graphs", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"upstream timeout"}`, http.StatusInternalServerError)
	})
	// Throws while loading, and its API call fails; the page retries it forever (so the
	// network is never quiet), as a console does while its backend is down.
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><html><body style="margin:0;background:#fff"><div id="b" style="width:400px;height:200px;background:#c00">broken</div><script>
function load() { fetch("/api/graphs").then(r => { if (!r.ok) throw new Error("graphs: HTTP " + r.status); }).catch(e => { console.error(e.message); setTimeout(load, 100); }); }
load();
throw new Error("cannot render the dashboard");
</script></body></html>`))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Second)
		w.Write([]byte("late"))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestIntegrationCaptureInChromium(t *testing.T) {
	if _, err := FindBrowser(""); err != nil {
		t.Fatal(err) // make test installs Chromium; a missing browser is a failure here
	}
	srv := console(t)
	shots := map[string][]byte{}
	var pages []Page
	for _, s := range []string{"/=home", "/throws", "/api-fails", "/slow=slow", "/broken=broken", "/redirect=redirected"} {
		p, err := ParsePage(s)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	res, err := Capture(context.Background(), Options{BaseURL: srv.URL, Pages: pages, Width: 800, Height: 600, NetworkIdle: true, PageTimeout: 2 * time.Second},
		func(name string, b []byte) (string, error) {
			shots[name] = b
			return "screenshots/" + name + ".png", nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 6 {
		t.Fatalf("%d results", len(res))
	}
	home, throws, apiFails, slow, broken, redirected := res[0], res[1], res[2], res[3], res[4], res[5]

	// The known layout: an 800×600 PNG, white with a red 400×200 box at the top left.
	if home.Error != "" || home.Status != 200 || home.File != "screenshots/home.png" || !strings.HasPrefix(home.FinalURL, srv.URL) {
		t.Fatalf("home = %+v", home)
	}
	img, err := png.Decode(bytes.NewReader(shots["home"]))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 600 {
		t.Errorf("screenshot is %dx%d, want 800x600", b.Dx(), b.Dy())
	}
	if !reddish(img, 100, 100) || reddish(img, 600, 400) {
		t.Error("the screenshot does not show the page's layout (red box at the top left, white elsewhere)")
	}

	if len(throws.ConsoleErrors) < 2 || !containsText(throws.ConsoleErrors, "cannot render APIGraph orders") || !containsText(throws.ConsoleErrors, "graph store unavailable") {
		t.Errorf("throws: console errors %+v", throws.ConsoleErrors)
	}
	found := false
	for _, r := range apiFails.FailedRequests {
		found = found || (strings.HasSuffix(r.URL, "/api/graphs") && r.Status == 500)
	}
	if !found {
		t.Errorf("api-fails: failed requests %+v", apiFails.FailedRequests)
	}
	if slow.Error == "" || !strings.Contains(slow.Error, "--page-timeout") || !slow.TimedOut || slow.File == "" {
		t.Errorf("slow page: %+v, want a timeout naming --page-timeout, and the screenshot taken then", slow)
	}
	// The page a user most needs to see: it times out, and its screenshot, console errors
	// and failed requests are all kept.
	if !broken.TimedOut || broken.File == "" || len(shots["broken"]) == 0 {
		t.Errorf("broken page: %+v, want the screenshot taken at the timeout", broken)
	} else if img, err := png.Decode(bytes.NewReader(shots["broken"])); err != nil || !reddish(img, 100, 100) {
		t.Errorf("broken page: the screenshot does not show the page (%v)", err)
	}
	if !containsText(broken.ConsoleErrors, "cannot render the dashboard") || len(broken.FailedRequests) == 0 {
		t.Errorf("broken page: console errors %+v, failed requests %+v", broken.ConsoleErrors, broken.FailedRequests)
	}
	// A redirect is one request: the page becomes idle and loads.
	if redirected.Error != "" || redirected.TimedOut || redirected.File == "" {
		t.Errorf("redirected page: %+v", redirected)
	}
}

func TestNoBrowserIsAClearError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Capture(context.Background(), Options{BaseURL: "http://127.0.0.1:1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y chromium") {
		t.Errorf("err = %v, want one naming how to install a browser", err)
	}
}

func TestParsePage(t *testing.T) {
	for in, want := range map[string]Page{
		"/":                 {"/", "index"},
		"/graphs":           {"/graphs", "graphs"},
		"graphs/orders=o":   {"/graphs/orders", "o"},
		"/x?y=1":            {"/x?y", "1"},
		"/a=../../etc/pass": {"/a", "etc-pass"},
	} {
		got, err := ParsePage(in)
		if err != nil || got != want {
			t.Errorf("ParsePage(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := ParsePage("=x"); err == nil {
		t.Error("an empty path was accepted")
	}
}

func reddish(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r>>8 > 150 && g>>8 < 80 && b>>8 < 80
}

func containsText(ms []Message, s string) bool {
	for _, m := range ms {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}
