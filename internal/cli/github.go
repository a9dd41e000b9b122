package cli

import (
	"github.com/org/k8s-e2e-report/internal/reportjson"

	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/prcomment"
)

// PRFile is where a fork's comment is saved for the workflow_run poster.
const PRFile = prcomment.PRFile

func newAnnotateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "annotate [BUNDLE]",
		Short: "Emit GitHub annotations from the findings, write the job summary and step outputs",
		Long: `annotate reads a rendered bundle (report.json, summary.md) and, for GitHub Actions:
emits ::error / ::warning / ::notice annotations from the ranked findings (at most 10 of
each, the last saying how many more), appends summary.md to $GITHUB_STEP_SUMMARY (at most
1 MiB) and writes outputs to $GITHUB_OUTPUT: report-dir, status, failed-tests, findings.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "ci-report"
			if len(args) == 1 {
				dir = args[0]
			}
			r, err := reportjson.Read(dir)
			if err != nil {
				return err
			}
			return g.app().Annotate(r, dir)
		},
	}
}

type commentFlags struct {
	prcomment.Flags
	fromArtifact string
	headSHA      string
}

func addCommentFlags(cmd *cobra.Command, f *commentFlags) { f.AddFlags(cmd.Flags()) }

func newCommentCmd(g *globals) *cobra.Command {
	f := &commentFlags{}
	cmd := &cobra.Command{
		Use:   "comment [BUNDLE]",
		Short: "Create or update this job's PR comment",
		Long: `comment posts the report's PR comment with the GitHub API ($GITHUB_API_URL, so GitHub
Enterprise works). It renders the comment from the bundle's report.json (with --templates,
under the key's hidden marker <!-- ci-report:KEY -->), finds the PR in the event payload
(pull_request, pull_request_target) or --pr, and its earlier comment: the one that starts
with the marker AND is by the same author: the token's user (/user, else GraphQL's viewer,
which names a GitHub App's bot), else --comment-author, else github-actions[bot] for
GITHUB_TOKEN. A comment by anyone else, or one that only quotes the marker, is never edited; duplicates of ours are deleted, the newest kept. Retries 5xx and rate limits
(honouring Retry-After, never posting twice after a 5xx); shrinks and retries a body
GitHub finds too long.

Pull requests from forks get a read-only token: then pr.json is kept in the bundle, and a
workflow_run workflow posts the comment with --from-artifact, after checking that the PR's
head is still the commit the report is about. It re-renders the comment from the
artifact's report.json (redacted and escaped) and validates every field of pr.json: the
fork's own comment.md is never posted.

It does not fail the job when the comment cannot be posted, unless --strict.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "ci-report"
			if len(args) == 1 {
				dir = args[0]
			}
			c, err := g.app().ResolveComment(f.Flags)
			if err != nil {
				return err
			}
			if f.fromArtifact != "" {
				head := f.headSHA
				if head == "" {
					head = g.app().WorkflowRunHeadSHA()
				}
				return g.app().PostFromArtifact(cmd.Context(), c, f.fromArtifact, head)
			}
			r, err := reportjson.Read(dir)
			if err != nil {
				return err
			}
			_, err = g.app().Post(cmd.Context(), c, r, dir)
			return err
		},
	}
	addCommentFlags(cmd, f)
	cmd.Flags().StringVar(&f.Templates, "templates", "", "directory with templates overriding the embedded ones (comment.md.tmpl)")
	cmd.Flags().StringVar(&f.PageURL, "page-url", "", "URL of the report page's artifact (REPORT.html uploaded on its own), linked from the comment")
	cmd.Flags().StringVar(&f.fromArtifact, "from-artifact", "", "post the comment of this downloaded bundle (workflow_run poster for fork PRs)")
	cmd.Flags().StringVar(&f.headSHA, "head-sha", "", "with --from-artifact: the commit the report is about (default: the workflow_run event's head_sha)")
	return cmd
}
