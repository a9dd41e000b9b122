package cli

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/results"
)

type renderFlags struct {
	output       string
	results      []string
	metrics      string
	templates    string
	reportBudget string
	jsonBudget   string
	logLines     int
	redact       []string
	commentKey   string
	jaegerUI     string
}

func newRenderCmd(g *globals) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [BUNDLE]",
		Short: "Render a bundle into REPORT.md, REPORT.html, report.json, summary.md and comment.md",
		Long: `render reads a bundle directory (default ci-report/) offline — it never talks to a cluster —
together with test results and metrics, detects what went wrong, and writes:

  REPORT.md             for coding agents: status, ranked findings, failed tests with what
                        happened in their time window, timeline, pods, tests, operator actions,
                        custom resources, traces, screenshots, log tails, errors, gaps, file index
  REPORT.html           the same, self-contained (images embedded)
  report.json           the same model, machine-readable
  summary.md            for the GitHub job summary (at most 1 MiB)
  comment.md            for the PR comment (at most 65,536 characters, marker included)
  k8s-e2e-results.json  the test results, normalised

Test results: JUnit XML (gotestsum, go-junit-report, Ginkgo, jest-junit, pytest, Surefire),
go test -json or -v output and Ginkgo JSON reports; files under the bundle's results/ are read too.`,
		Example: `  ci-report render
  ci-report render ci-report --results 'test-results/*.xml' --metrics metrics.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "ci-report"
			if len(args) == 1 {
				dir = args[0]
			}
			report, err := runRender(cmd.Context(), g, dir, f)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, report)
			return err
		},
	}
	addRenderFlags(cmd, f)
	return cmd
}

func addRenderFlags(cmd *cobra.Command, f *renderFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.output, "report-dir", "", "where to write the outputs (default: the bundle directory)")
	fl.StringArrayVar(&f.results, "results", nil, "test results file, directory or glob (repeatable)")
	fl.StringArrayVar(&f.redact, "redact", nil, "extra regular expression to redact from every text of the reports (repeatable)")
	fl.StringVar(&f.commentKey, "comment-key", "", "key of comment.md's hidden marker <!-- ci-report:KEY --> (default: workflow/job/matrix values)")
	addRenderOutputFlags(cmd, f)
}

// addRenderOutputFlags are the render flags that run shares.
func addRenderOutputFlags(cmd *cobra.Command, f *renderFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.metrics, "metrics", "", "JSON list of {name, value, unit, threshold, direction} to check")
	fl.StringVar(&f.templates, "templates", "", "directory with templates overriding the embedded ones (report.md.tmpl, comment.md.tmpl, report.html.tmpl)")
	fl.StringVar(&f.reportBudget, "report-budget", "240Ki", "size limit of REPORT.md; lower-priority sections shrink to fit")
	fl.StringVar(&f.jsonBudget, "json-budget", "32Mi", "size limit of report.json; healthy log tails and passing tests' output go first, each cut listed under \"cuts\"")
	fl.IntVar(&f.logLines, "log-lines", 200, "log lines shown per container")
	fl.StringVar(&f.jaegerUI, "jaeger-ui-url", "", "Jaeger UI base URL; trace IDs in the reports link to it (e.g. https://jaeger.example.com)")
}

// runRender renders the bundle in dir and returns the path of REPORT.md.
func runRender(ctx context.Context, g *globals, dir string, f *renderFlags) (string, error) {
	budget, err := parseBytes("report-budget", f.reportBudget)
	if err != nil {
		return "", err
	}
	jsonBudget, err := parseBytes("json-budget", f.jsonBudget)
	if err != nil {
		return "", err
	}
	files, missing := results.Expand(f.results)
	// The same resolution as the comment command's, so comment.md is what it would post.
	cc, err := resolveComment(g, prcomment.Flags{Key: f.commentKey, Templates: f.templates})
	if err != nil {
		return "", err
	}
	if f.jaegerUI != "" {
		if u, err := url.Parse(f.jaegerUI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", usageErrorf("--jaeger-ui-url %q: want an http(s) URL", f.jaegerUI)
		}
	}
	opts := cc.RenderOptions(render.Options{ReportBudget: int(budget), JSONBudget: int(jsonBudget), LogLines: f.logLines, JaegerUIURL: f.jaegerUI})
	rd, err := redact.New(f.redact)
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	r, err := model.Load(ctx, dir, model.Options{Results: files, Missing: missing, Metrics: f.metrics, TailLines: f.logLines, Redactor: rd})
	if err != nil {
		return "", err
	}
	out := f.output
	if out == "" {
		out = dir
	}
	if err := render.WriteAll(ctx, out, r, opts); err != nil {
		return "", err
	}
	g.log.Info("report written", "dir", out, "findings", len(r.Findings), "tests", len(r.Tests.Cases), "gaps", len(r.Gaps), "status", r.Status.Level)
	return filepath.Join(out, render.ReportFile), nil
}
