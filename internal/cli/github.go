package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	gh "github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/render"
)

// PRFile is written into the bundle when a comment could not be posted (a fork PR), for
// the workflow_run poster.
const PRFile = "pr.json"

func (g *globals) action() *githubactions.Action {
	return githubactions.New(githubactions.WithWriter(g.stdout), githubactions.WithGetenv(g.getenv))
}

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
			_, err := annotate(g, dir)
			return err
		},
	}
}

func annotate(g *globals, dir string) (*model.Report, error) {
	r, err := model.Read(dir)
	if err != nil {
		return nil, err
	}
	a := g.action()
	counts := ghactions.Annotate(a, r.Findings)
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		summary, err := readBundleFile(dir, render.SummaryFile, ghactions.SummaryLimit)
		if err != nil {
			return r, err
		}
		ghactions.WriteSummary(a, string(summary))
	} else {
		g.log.Info("GITHUB_STEP_SUMMARY is not set; the job summary is in " + filepath.Join(dir, render.SummaryFile))
	}
	if g.getenv("GITHUB_OUTPUT") != "" {
		failed := r.TestCounts["failed"] + r.TestCounts["error"]
		a.SetOutput("report-dir", dir)
		a.SetOutput("status", r.Status.Level)
		a.SetOutput("failed-tests", fmt.Sprint(failed))
		a.SetOutput("findings", fmt.Sprint(len(r.Findings)))
	}
	g.log.Info("annotations", "errors", counts["error"], "warnings", counts["warning"], "notices", counts["notice"])
	return r, nil
}

type commentFlags struct {
	pr           int
	key          string
	mode         string
	strict       bool
	fromArtifact string
	headSHA      string
	token        string
}

func addCommentFlags(cmd *cobra.Command, f *commentFlags) {
	fl := cmd.Flags()
	fl.IntVar(&f.pr, "pr", 0, "pull request number (default: from the event payload)")
	fl.StringVar(&f.key, "key", "", "comment key; one comment per key (default: workflow/job/matrix values)")
	fl.StringVar(&f.mode, "mode", "upsert", "upsert (edit in place), recreate (delete and post anew) or off")
	fl.BoolVar(&f.strict, "strict", false, "fail when the comment cannot be posted (default: warn and go on)")
	fl.StringVar(&f.token, "token", "", "GitHub token (default: $GITHUB_TOKEN)")
}

func newCommentCmd(g *globals) *cobra.Command {
	f := &commentFlags{}
	cmd := &cobra.Command{
		Use:   "comment [BUNDLE]",
		Short: "Create or update this job's PR comment",
		Long: `comment posts the report's PR comment with the GitHub API ($GITHUB_API_URL, so GitHub
Enterprise works). It finds the PR in the event payload (pull_request, pull_request_target)
or --pr, and the comment by its hidden marker <!-- ci-report:KEY --> AND its author: a
comment by anyone else that carries the marker is never edited. Retries 5xx and rate
limits (honouring Retry-After); shrinks and retries a body GitHub finds too long.

Pull requests from forks get a read-only token: then the comment and pr.json are kept in
the bundle, and a workflow_run workflow posts them with --from-artifact, after checking
that the PR's head is still the commit the report is about.

It does not fail the job when the comment cannot be posted, unless --strict.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "ci-report"
			if len(args) == 1 {
				dir = args[0]
			}
			if f.fromArtifact != "" {
				return postFromArtifact(cmd.Context(), g, f)
			}
			_, err := comment(cmd.Context(), g, dir, f)
			return err
		},
	}
	addCommentFlags(cmd, f)
	cmd.Flags().StringVar(&f.fromArtifact, "from-artifact", "", "post the comment saved in this downloaded bundle (workflow_run poster for fork PRs)")
	cmd.Flags().StringVar(&f.headSHA, "head-sha", "", "with --from-artifact: the commit the report is about (default: the workflow_run event's head_sha)")
	return cmd
}

func (f *commentFlags) resolve(g *globals) (ghactions.PR, gh.Mode, string, error) {
	mode := gh.Mode(f.mode)
	switch mode {
	case gh.ModeUpsert, gh.ModeRecreate, gh.ModeOff:
	default:
		return ghactions.PR{}, "", "", usageErrorf("--mode %q: want upsert, recreate or off", f.mode)
	}
	pr := ghactions.PR{Repo: g.getenv("GITHUB_REPOSITORY"), Number: f.pr}
	if ctx, err := g.action().Context(); err == nil && ctx.Event != nil {
		if ev, ok := ghactions.PRFromEvent(ctx.Event); ok {
			if pr.Number == 0 {
				pr.Number = ev.Number
			}
			pr.HeadSHA = ev.HeadSHA
		}
	}
	pr.Key = f.key
	if pr.Key == "" {
		pr.Key = ghactions.Key(g.getenv)
	}
	pr.Key = ghactions.SanitizeKey(pr.Key)
	token := f.token
	if token == "" {
		token = g.getenv("GITHUB_TOKEN")
	}
	return pr, mode, token, nil
}

// soft turns a posting failure into a warning unless --strict.
func (f *commentFlags) soft(g *globals, err error) error {
	if err == nil || f.strict {
		return err
	}
	g.log.Warn("comment not posted (use --strict to fail on this)", "err", err)
	return nil
}

// comment posts the bundle's comment; it returns the comment URL.
func comment(ctx context.Context, g *globals, dir string, f *commentFlags) (string, error) {
	pr, mode, token, err := f.resolve(g)
	if err != nil {
		return "", err
	}
	if mode == gh.ModeOff {
		g.log.Info("comment mode is off")
		return "", nil
	}
	r, err := model.Read(dir)
	if err != nil {
		return "", err
	}
	marker := Marker(pr.Key)
	opts := render.Options{Marker: marker}
	body, err := render.Comment(r, opts)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, render.CommentFile), []byte(body), 0o644); err != nil {
		return "", err
	}
	switch {
	case pr.Number == 0:
		g.log.Info("not a pull request (no pull_request event and no --pr): comment not posted", "comment", filepath.Join(dir, render.CommentFile))
		return "", nil
	case pr.Repo == "" || !strings.Contains(pr.Repo, "/"):
		return "", f.soft(g, errors.New("GITHUB_REPOSITORY (owner/name) is not set"))
	case token == "":
		return "", f.soft(g, errors.New("no token: set GITHUB_TOKEN or --token"))
	}
	client, err := gh.New(g.getenv("GITHUB_API_URL"), token, g.log)
	if err != nil {
		return "", err
	}
	owner, name, _ := strings.Cut(pr.Repo, "/")
	res, err := client.Upsert(ctx, gh.Target{Owner: owner, Repo: name, PR: pr.Number, Marker: marker}, mode, body,
		func(budget int) (string, error) { return render.CommentWithin(r, opts, budget) })
	if errors.Is(err, gh.ErrForbidden) {
		b, _ := json.MarshalIndent(pr, "", "  ")
		if werr := os.WriteFile(filepath.Join(dir, PRFile), append(b, '\n'), 0o644); werr != nil {
			return "", werr
		}
		note := fmt.Sprintf("\n> [!NOTE]\n> ci-report could not post its PR comment: this token is read-only (a pull request from a fork). "+
			"The comment and `%s` are in the ci-report artifact; add `workflows/ci-report-comment.yml` (a `workflow_run` workflow running "+
			"`ci-report comment --from-artifact`) to post it.\n", PRFile)
		if g.getenv("GITHUB_STEP_SUMMARY") != "" {
			ghactions.WriteSummary(g.action(), note)
		}
		g.log.Warn("fork pull request: comment saved for the workflow_run poster", "pr", pr.Number, "file", filepath.Join(dir, PRFile))
		return "", f.soft(g, err)
	}
	if err != nil {
		return "", f.soft(g, err)
	}
	g.log.Info("PR comment "+res.Action, "url", res.URL)
	if g.getenv("GITHUB_OUTPUT") != "" && res.URL != "" {
		g.action().SetOutput("comment-url", res.URL)
	}
	return res.URL, nil
}

// postFromArtifact posts a fork PR's saved comment from a workflow_run workflow, only if
// the PR's head is still the commit the report is about.
func postFromArtifact(ctx context.Context, g *globals, f *commentFlags) error {
	var saved ghactions.PR
	b, err := readBundleFile(f.fromArtifact, PRFile, 64<<10)
	if err != nil {
		return fmt.Errorf("--from-artifact: %w", err)
	}
	if err := json.Unmarshal(b, &saved); err != nil || saved.Number <= 0 || saved.HeadSHA == "" {
		return fmt.Errorf("--from-artifact: %s is not a valid PR record (%v)", PRFile, err)
	}
	body, err := readBundleFile(f.fromArtifact, render.CommentFile, render.CommentBudget)
	if err != nil {
		return fmt.Errorf("--from-artifact: %w", err)
	}
	expected := f.headSHA
	if expected == "" {
		if c, err := g.action().Context(); err == nil && c.Event != nil {
			expected = ghactions.WorkflowRunHeadSHA(c.Event)
		}
	}
	if expected == "" {
		return usageErrorf("--from-artifact needs the workflow_run head SHA: run it on a workflow_run event or pass --head-sha")
	}
	if saved.HeadSHA != expected {
		return fmt.Errorf("refusing to post: the artifact is for %s but the workflow run was for %s", saved.HeadSHA, expected)
	}
	repo := g.getenv("GITHUB_REPOSITORY") // the base repository, not the artifact's word
	owner, name, ok := strings.Cut(repo, "/")
	token := f.token
	if token == "" {
		token = g.getenv("GITHUB_TOKEN")
	}
	if !ok || token == "" {
		return errors.New("GITHUB_REPOSITORY and a token (GITHUB_TOKEN or --token) are needed to post")
	}
	client, err := gh.New(g.getenv("GITHUB_API_URL"), token, g.log)
	if err != nil {
		return err
	}
	head, err := client.HeadSHA(ctx, owner, name, saved.Number)
	if err != nil {
		return fmt.Errorf("read PR #%d: %w", saved.Number, err)
	}
	if head != expected {
		return fmt.Errorf("refusing to post: PR #%d has moved to %s since the report was made for %s", saved.Number, head, expected)
	}
	marker := Marker(ghactions.SanitizeKey(saved.Key))
	if !strings.HasPrefix(string(body), marker) {
		return fmt.Errorf("--from-artifact: %s does not start with its marker %s", render.CommentFile, marker)
	}
	mode := gh.Mode(f.mode)
	res, err := client.Upsert(ctx, gh.Target{Owner: owner, Repo: name, PR: saved.Number, Marker: marker}, mode, string(body), nil)
	if err != nil {
		return err
	}
	g.log.Info("PR comment "+res.Action, "pr", saved.Number, "url", res.URL)
	return nil
}

// readBundleFile reads one file of a bundle or artifact, confined to it.
func readBundleFile(dir, name string, max int64) ([]byte, error) {
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	return br.ReadFile(name, max)
}
