// Package screenshots takes screenshots of a web console's pages with a real headless
// Chromium or Chrome (chromedp), and records what the browser itself saw go wrong on
// each page: console errors, uncaught exceptions and failed network requests.
package screenshots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/org/k8s-e2e-report/internal/textsafe"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Page is one page to capture: a path under the console's URL and a name for its file.
type Page struct {
	Path string
	Name string
}

// ParsePage reads "PATH[=NAME]"; the name defaults to one made of the path.
func ParsePage(s string) (Page, error) {
	p, name, _ := strings.Cut(s, "=")
	p = strings.TrimSpace(p)
	if p == "" {
		return Page{}, fmt.Errorf("--page %q: want PATH[=NAME], e.g. /graphs=graphs", s)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if name == "" {
		name = strings.Trim(unsafeName().ReplaceAllString(p, "-"), "-")
		if name == "" {
			name = "index"
		}
	}
	name = strings.Trim(unsafeName().ReplaceAllString(name, "-"), "-.")
	if name == "" {
		return Page{}, fmt.Errorf("--page %q: the name must have letters or digits", s)
	}
	return Page{Path: p, Name: name}, nil
}

var unsafeName = lazyre.New(`[^A-Za-z0-9._-]+`)

// Options for Capture.
type Options struct {
	BaseURL      string // the console: direct, or the local end of a port-forward
	Pages        []Page
	WaitSelector string // wait until this CSS selector is visible (optional)
	NetworkIdle  bool   // wait until no request has been in flight for 500 ms
	Width        int
	Height       int
	FullPage     bool
	PageTimeout  time.Duration
	Budget       time.Duration // all pages together
	ChromePath   string        // default: found on PATH
	Log          *slog.Logger
}

func (o *Options) defaults() {
	if o.Width <= 0 {
		o.Width = 1280
	}
	if o.Height <= 0 {
		o.Height = 800
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = 30 * time.Second
	}
	if o.Budget <= 0 {
		o.Budget = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if len(o.Pages) == 0 {
		o.Pages = []Page{{Path: "/", Name: "index"}}
	}
}

// Result is what happened on one page (the bundle's format).
type Result = bundle.Page

// Message is a console error or an uncaught exception.
type Message = bundle.ConsoleMessage

// Request is a request that failed.
type Request = bundle.FailedRequest

// ErrNoBrowser means no Chromium or Chrome was found.
var ErrNoBrowser = errors.New("no Chromium or Chrome found: install one (Debian/Ubuntu: sudo apt-get install -y chromium; GitHub's Ubuntu runners have google-chrome) or pass --chrome-path")

// FindBrowser returns explicit if set, else the first of chromium, chromium-browser,
// google-chrome, google-chrome-stable and chrome on PATH.
func FindBrowser(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--chrome-path %s: %w", explicit, err)
		}
		return explicit, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Capture opens each page in one headless browser (a private temporary profile, removed
// afterwards) and calls write with each screenshot (PNG); it returns the file name write
// gives. A page that fails is a Result with its Error; only a browser that cannot start
// is an error.
func Capture(ctx context.Context, o Options, write func(name string, png []byte) (string, error)) ([]Result, error) {
	o.defaults()
	browser, err := FindBrowser(o.ChromePath)
	if err != nil {
		return nil, err
	}
	if _, err := url.Parse(o.BaseURL); err != nil || o.BaseURL == "" {
		return nil, fmt.Errorf("console URL %q: not a URL", o.BaseURL)
	}
	tmp, err := os.MkdirTemp("", "ci-report-chrome-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, AllocatorOptions(browser, tmp, o.Width, o.Height)...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", browser, err)
	}
	var out []Result
	for _, p := range o.Pages {
		res := capturePage(bctx, o, p, write)
		if res.Error != "" {
			o.Log.Warn("screenshot failed", "page", p.Path, "err", res.Error)
		} else {
			o.Log.Info("screenshot", "page", p.Path, "status", res.Status, "consoleErrors", len(res.ConsoleErrors), "failedRequests", len(res.FailedRequests))
		}
		out = append(out, res)
	}
	return out, nil
}

// AllocatorOptions start browser headless with the flags that work in CI (as root, in a
// container, offline), a private profile and temporary directory under tmp, and a window
// of width×height.
func AllocatorOptions(browser, tmp string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		// Root in a CI container has no user namespace for the sandbox.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(path.Join(tmp, "profile")),
		chromedp.Env("TMPDIR=" + tmp),
		chromedp.WindowSize(width, height),
	}
}

// pageState collects a tab's events; chromedp calls its listener from the tab's
// reading loop, so it only records, under a lock.
type pageState struct {
	mu       sync.Mutex
	requests map[network.RequestID]*Request
	failed   []Request
	inflight int
	lastNet  time.Time
}

func (s *pageState) listen(ev any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if _, again := s.requests[e.RequestID]; !again || e.RedirectResponse == nil {
			s.inflight++ // a redirect continues the same request: one finish ends both
		}
		s.requests[e.RequestID] = &Request{URL: e.Request.URL, Method: e.Request.Method, Type: string(e.Type)}
		s.lastNet = time.Now()
	case *network.EventResponseReceived:
		if r := s.requests[e.RequestID]; r != nil && e.Response != nil {
			r.Status = int(e.Response.Status)
			if r.Status >= 400 && !strings.HasSuffix(r.URL, "/favicon.ico") {
				s.failed = append(s.failed, *r)
			}
		}
	case *network.EventLoadingFinished:
		s.inflight = max(0, s.inflight-1)
		s.lastNet = time.Now()
	case *network.EventLoadingFailed:
		s.inflight = max(0, s.inflight-1)
		s.lastNet = time.Now()
		if r := s.requests[e.RequestID]; r != nil && !e.Canceled && r.Status == 0 {
			r.Error = e.ErrorText
			s.failed = append(s.failed, *r)
		}
	}
}

func (s *pageState) idle(quiet time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight == 0 && time.Since(s.lastNet) >= quiet
}

func capturePage(bctx context.Context, o Options, p Page, write func(string, []byte) (string, error)) Result {
	target := strings.TrimSuffix(o.BaseURL, "/") + p.Path
	res := Result{Name: p.Name, URL: target, ConsoleErrors: []Message{}, FailedRequests: []Request{}}
	tctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	// Open the tab on tctx, so it outlives the page timeout below: at the timeout the
	// screenshot is still taken.
	if err := chromedp.Do(tctx); err != nil {
		res.Error = err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(tctx, o.PageTimeout)
	defer cancel()

	st := &pageState{requests: map[network.RequestID]*Request{}, lastNet: time.Now()}
	if err := chromedp.Listen(ctx, st.listen); err != nil {
		res.Error = err.Error()
		return res
	}
	console := listenConsole(ctx)

	start := time.Now()
	res.At = start.UTC()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(o.Width), int64(o.Height)))
	var resp *network.Response
	if err == nil {
		resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(target))
	}
	if err == nil && o.WaitSelector != "" {
		err = chromedp.Do(ctx, chromedp.WaitVisible(o.WaitSelector))
		if err != nil {
			err = fmt.Errorf("wait for %s: %w", o.WaitSelector, err)
		}
	}
	if err == nil && o.NetworkIdle {
		for !st.idle(500*time.Millisecond) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	res.LoadMs = time.Since(start).Milliseconds()
	if resp != nil {
		res.Status = int(resp.Status)
	}
	if err == nil {
		res.FinalURL, err = chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	}
	if err == nil {
		var shot []byte
		if o.FullPage {
			shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		} else {
			shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		}
		if err == nil {
			res.File, err = write(p.Name, shot)
		}
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && bctx.Err() == nil {
		err = shootTimedOut(tctx, o, p, &res, write)
	}
	if err != nil {
		res.Error = err.Error()
	}
	// Give late console messages a moment, then stop listening.
	time.Sleep(100 * time.Millisecond)
	cancel()
	res.ConsoleErrors = append(res.ConsoleErrors, console()...)
	st.mu.Lock()
	res.FailedRequests = append(res.FailedRequests, st.failed...)
	st.mu.Unlock()
	return res
}

// listenConsole collects the page's console errors and uncaught exceptions (at most 100)
// until ctx ends; the function it returns waits for that, then gives them.
func listenConsole(ctx context.Context) func() []Message {
	var msgs []Message
	done := make(chan struct{})
	console := chromedp.Console(ctx) // subscribed now, before the page loads
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			switch {
			case m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException:
				continue
			case strings.HasSuffix(m.URL, "/favicon.ico"):
				continue // browsers ask for it whether the page has one or not
			}
			if len(msgs) < 100 {
				msgs = append(msgs, Message{Type: string(m.Type), Text: textsafe.Truncate(m.Text, 2000), URL: m.URL, Line: m.Line + 1})
			}
		}
	}()
	return func() []Message {
		<-done
		return msgs
	}
}

// shootTimedOut: the page never finished (a script that keeps retrying a failing call,
// a server that does not answer): take it as it is now, which is what a user needs to
// see, and say it timed out.
func shootTimedOut(tctx context.Context, o Options, p Page, res *Result, write func(string, []byte) (string, error)) error {
	res.TimedOut = true
	err := fmt.Errorf("page did not finish loading within %s (--page-timeout)", o.PageTimeout)
	sctx, scancel := context.WithTimeout(tctx, 10*time.Second)
	defer scancel()
	if shot, serr := chromedp.Run(sctx, chromedp.CaptureScreenshot()); serr == nil {
		if res.File, serr = write(p.Name, shot); serr == nil {
			err = fmt.Errorf("page did not finish loading within %s (--page-timeout); the screenshot shows it then", o.PageTimeout)
		}
		if u, uerr := chromedp.Run(sctx, chromedp.Evaluate[string](`location.href`)); uerr == nil {
			res.FinalURL = u
		}
	}
	return err
}
