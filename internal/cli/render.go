package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/app"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

func newRenderCmd(g *globals) *cobra.Command {
	f := &app.RenderFlags{}
	cmd := &cobra.Command{
		Use:   "render [BUNDLE]",
		Short: "Render a bundle into " + render.OutputNames(),
		Long: `render reads a bundle directory (default ci-report/) offline — it never talks to a cluster —
together with test results and metrics, detects what went wrong, and writes:

` + render.OutputsHelp() + `
With no results file, tests are read from the logs of the bundle's Jobs' pods (pytest,
Ginkgo's default reporter, go test -v), as the tool's summary line counts them.
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
			_, report, err := runRender(cmd.Context(), g, dir, f)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, report)
			return err
		},
	}
	f.AddFlags(cmd.Flags())
	return cmd
}

// runRender renders the bundle in dir and returns the path of REPORT.md.
func runRender(ctx context.Context, g *globals, dir string, f *app.RenderFlags) (*model.Report, string, error) {
	o, err := f.Options(dir)
	if err != nil {
		return nil, "", err
	}
	// The same resolution as the comment command's, so comment.md is what it would post.
	if o.Comment, err = g.app().ResolveComment(prcomment.Flags{Key: f.CommentKey, Templates: f.Templates}); err != nil {
		return nil, "", err
	}
	return g.app().Render(ctx, o)
}
