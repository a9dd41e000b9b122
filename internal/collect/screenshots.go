package collect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/screenshots"
)

// Console is where the web console is and what to capture of it.
type Console struct {
	URL     string      // reachable directly
	Service *ServiceRef // or in the cluster, through a port-forward ci-report opens and closes
	Capture screenshots.Options
}

// collectScreenshots captures the console's pages into screenshots/ and writes
// screenshots/pages.json. Every failure is a gap; the rest of the bundle is untouched.
func (r *run) collectScreenshots(ctx context.Context) {
	c := r.opts.Console
	if c == nil || (c.URL == "" && c.Service == nil) {
		return
	}
	rec := r.newRecord("screenshots")
	defer rec.done()
	base, closeFn, err := r.reach(ctx, c.URL, c.Service, "--console-service")
	if err != nil {
		rec.fail(err)
		return
	}
	defer closeFn()
	via := ""
	if c.Service != nil {
		via = "port-forward to service " + c.Service.String()
	}
	opts := c.Capture
	opts.BaseURL, opts.Log = base, r.log
	pages, err := screenshots.Capture(ctx, opts, func(name string, png []byte) (string, error) {
		rel := bundle.ScreenshotPath(name)
		n, err := r.dir.WriteFile(rel, png)
		if err != nil {
			return "", err
		}
		rec.add(1, n, rel)
		return rel, nil
	})
	if err != nil {
		if errors.Is(err, screenshots.ErrNoBrowser) {
			rec.fail(fmt.Errorf("screenshots: %w", err))
		} else {
			rec.fail(fmt.Errorf("screenshots of %s: %w", base, err))
		}
		return
	}
	// Page texts are untrusted and may carry secrets, like any log.
	scrub := func(s string) string { out, _ := r.opts.Redactor.String(s); return out }
	for i := range pages {
		p := &pages[i]
		p.Via = via
		if via != "" {
			// The local end of the forward means nothing in a report: show the service.
			svc := "service " + c.Service.String()
			p.URL = strings.Replace(p.URL, base, svc, 1)
			p.FinalURL = strings.Replace(p.FinalURL, base, svc, 1)
			for j := range p.FailedRequests {
				p.FailedRequests[j].URL = strings.Replace(p.FailedRequests[j].URL, base, svc, 1)
			}
			for j := range p.ConsoleErrors {
				p.ConsoleErrors[j].URL = strings.Replace(p.ConsoleErrors[j].URL, base, svc, 1)
			}
		}
		if p.Error != "" {
			rec.errorf("page %s: %s", p.URL, p.Error)
		}
		p.URL, p.FinalURL = scrub(p.URL), scrub(p.FinalURL)
		for j := range p.ConsoleErrors {
			p.ConsoleErrors[j].Text, p.ConsoleErrors[j].URL = scrub(p.ConsoleErrors[j].Text), scrub(p.ConsoleErrors[j].URL)
		}
		for j := range p.FailedRequests {
			p.FailedRequests[j].URL = scrub(p.FailedRequests[j].URL)
		}
	}
	n, err := r.dir.WriteJSON(bundle.PagesJSON, pages)
	if err != nil {
		rec.errorf("write %s: %v", bundle.PagesJSON, err)
		return
	}
	rec.add(0, n, bundle.PagesJSON)
}
