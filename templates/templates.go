// Package templates holds the Markdown and HTML templates of REPORT.md, the job summary,
// the PR comment and REPORT.html, embedded in the binary. `ci-report render --templates DIR`
// overrides any of them by file name.
package templates

import "embed"

// FS holds the default templates.
//
//go:embed *.tmpl page.css page.js
var FS embed.FS
