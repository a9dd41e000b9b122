package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/collect"
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
	history      historyFlags
	failOn       string // run only
}

func newRenderCmd(g *globals) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [BUNDLE]",
		Short: "Render a bundle into " + outputsShort(),
		Long: `render reads a bundle directory (default ci-report/) offline — it never talks to a cluster —
together with test results and metrics, detects what went wrong, and writes:

` + outputsHelp() + `
With no results file, tests are read from the logs of the bundle's Jobs' pods (pytest,
Ginkgo's default reporter, go test -v), as the tool's summary line counts them.
Test results: JUnit XML (gotestsum, go-junit-report, Ginkgo, jest-junit, pytest, Surefire),
go test -json or -v output and Ginkgo JSON reports; files under the bundle's results/ are read too.`,
		Example: `  ci-report render
  ci-report render ci-report --results 'test-results/*.xml' --metrics metrics.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.history.check(); err != nil {
				return err
			}
			dir := "ci-report"
			if len(args) == 1 {
				dir = args[0]
			}
			_, report, err := runRender(cmd.Context(), g, dir, f)
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
	addHistoryFlags(cmd, &f.history)
}

// renderOptions turns render's flags into the service's options for the bundle in dir.
func renderOptions(g *globals, dir string, f *renderFlags) (app.RenderOptions, error) {
	budget, err := collect.ParseBytes("report-budget", f.reportBudget)
	if err != nil {
		return app.RenderOptions{}, usageOr(err)
	}
	jsonBudget, err := collect.ParseBytes("json-budget", f.jsonBudget)
	if err != nil {
		return app.RenderOptions{}, usageOr(err)
	}
	if err := collect.HTTPURLFlag("jaeger-ui-url", f.jaegerUI, "an http(s) URL"); err != nil {
		return app.RenderOptions{}, usageOr(err)
	}
	rd, err := redact.New(f.redact)
	if err != nil {
		return app.RenderOptions{}, usageErrorf("%v", err)
	}
	files, missing := results.Expand(f.results)
	return app.RenderOptions{
		Source:  app.Source{Dir: dir},
		Out:     f.output,
		Load:    model.Options{Results: files, Missing: missing, Metrics: f.metrics, TailLines: f.logLines, Redactor: rd},
		Render:  render.Options{ReportBudget: int(budget), JSONBudget: int(jsonBudget), LogLines: f.logLines, JaegerUIURL: f.jaegerUI},
		History: f.history.options(),
	}, nil
}

// runRender renders the bundle in dir and returns the path of REPORT.md.
func runRender(ctx context.Context, g *globals, dir string, f *renderFlags) (*model.Report, string, error) {
	o, err := renderOptions(g, dir, f)
	if err != nil {
		return nil, "", err
	}
	// The same resolution as the comment command's, so comment.md is what it would post.
	if o.Comment, err = g.app().ResolveComment(prcomment.Flags{Key: f.commentKey, Templates: f.templates}); err != nil {
		return nil, "", usageOr(err)
	}
	return g.app().Render(ctx, o)
}

// outputsHelp lists render's outputs as the help shows them, from render.Outputs.
func outputsHelp() string {
	var b strings.Builder
	for _, o := range render.Outputs {
		fmt.Fprintf(&b, "  %-21s %s\n", o.File, wrap(o.For, 70, strings.Repeat(" ", 24)))
	}
	return b.String()
}

// outputsShort names the outputs a reader opens: "REPORT.md, …, and comment.md".
func outputsShort() string {
	var names []string
	for _, o := range render.Outputs {
		if o.File != render.ResultsFile {
			names = append(names, o.File)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// wrap breaks text into lines of at most width, the later ones indented.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\n" + indent)
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
