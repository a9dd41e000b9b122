package bundle

import (
	"path"
	"time"
)

// Screenshots of a web console: one PNG per page, and what the browser saw on each.
const (
	ScreenshotsDir = "screenshots"
	PagesJSON      = "screenshots/pages.json"
)

// ScreenshotPath is the bundle path of a page's screenshot.
func ScreenshotPath(name string) string { return path.Join(ScreenshotsDir, safe(name)+".png") }

// Page is one captured console page; PagesJSON holds the list.
type Page struct {
	Name           string           `json:"name"`
	File           string           `json:"file,omitempty"` // bundle path of the PNG
	URL            string           `json:"url"`
	Via            string           `json:"via,omitempty"` // e.g. "port-forward to service ns/console:8080"
	FinalURL       string           `json:"finalUrl,omitempty"`
	Status         int              `json:"status,omitempty"` // the document's HTTP status
	LoadMs         int64            `json:"loadMs"`
	At             time.Time        `json:"at,omitzero"` // when the page was opened
	ConsoleErrors  []ConsoleMessage `json:"consoleErrors"`
	FailedRequests []FailedRequest  `json:"failedRequests"`
	Error          string           `json:"error,omitempty"` // why the page could not be captured
	// TimedOut: the page did not finish loading within the page timeout; the screenshot,
	// if any, shows it as it was then.
	TimedOut bool `json:"timedOut,omitempty"`
}

// ConsoleMessage is a browser console error or an uncaught exception.
type ConsoleMessage struct {
	Type string `json:"type"` // error or exception
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
	Line int64  `json:"line,omitempty"`
}

// FailedRequest is a request of the page that failed: an HTTP status of 400 or more, or
// no answer at all.
type FailedRequest struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"` // network error, when there was no answer
	Type   string `json:"type,omitempty"`  // Document, XHR, Fetch, Script, …
}
