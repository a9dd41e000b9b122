// Package prcomment is the PR comment workflow: which pull request, key, marker, token
// and templates apply (resolved once), posting a bundle's comment, the fallback for a
// fork's read-only token (pr.json in the bundle), and the privileged workflow_run poster
// that posts a fork's comment from its artifact without trusting a word of it.
package prcomment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/pflag"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	gh "github.com/org/k8s-e2e-report/internal/github"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/redact"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// PRFile is written into the bundle when a comment could not be posted (a fork PR), for
// the workflow_run poster.
const PRFile = bundle.PRJSON

// Flags are the user's choices, as given (cli maps its flags here).
type Flags struct {
	PR        int
	Key       string
	Mode      string
	Token     string
	Author    string // the login comments are posted as, when the token cannot read /user
	Strict    bool
	Templates string // directory overriding the embedded templates
	PageURL   string // the report page's artifact URL, linked from the comment
}

// AddFlags adds the comment's flags (comment, and run) to fl; --key and --mode, their
// older names, are still accepted.
func (f *Flags) AddFlags(fl *pflag.FlagSet) {
	fl.IntVar(&f.PR, "pr", 0, "pull request number (default: from the event payload)")
	fl.StringVar(&f.Key, "comment-key", "", "comment key; one comment per key (default: workflow/job/matrix values)")
	fl.StringVar(&f.Mode, "comment-mode", "upsert", "upsert (edit in place), recreate (delete and post anew) or off")
	fl.BoolVar(&f.Strict, "strict", false, "fail when the comment cannot be posted, and (run) when nothing could be collected (default: warn and go on)")
	// --token stays kubectl's (the API server's bearer token), as on every command.
	fl.StringVar(&f.Token, "github-token", "", "GitHub token (default: $GITHUB_TOKEN)")
	AliasFlags(fl, map[string]string{"key": "comment-key", "mode": "comment-mode"})
	fl.StringVar(&f.Author, "comment-author", gh.ActionsBot, "login the comment is posted as when the token cannot read /user: github-actions[bot] for GITHUB_TOKEN, my-app[bot] for a GitHub App's token; empty: unknown, so no existing comment is edited")
}

// AliasFlags accepts the older names of flags (--key, --mode) for their one name across
// commands and action inputs (--comment-key, --comment-mode); help shows the one name.
func AliasFlags(fl *pflag.FlagSet, old map[string]string) {
	fl.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if n, ok := old[name]; ok {
			return pflag.NormalizedName(n)
		}
		return pflag.NormalizedName(name)
	})
}

// Config is everything the comment workflow needs, resolved once from flags and the
// environment: the same key, marker and templates for render's comment.md and the
// posted comment.
type Config struct {
	Repo      string // owner/name: GITHUB_REPOSITORY, never an artifact's word
	APIURL    string
	Token     string
	Author    string
	PR        ghactions.PR
	Key       string
	Mode      gh.Mode
	Strict    bool
	Templates fs.FS
	PageURL   string // checked: an https URL on this GitHub's server
}

// Marker is the hidden marker the comment starts with.
func (c Config) Marker() string { return Marker(c.Key) }

// Marker is the hidden comment marker for a key.
func Marker(key string) string {
	return fmt.Sprintf("<!-- ci-report:%s -->", ghactions.SanitizeKey(key))
}

// ErrUsage marks an error in the user's flags (the CLI maps it to its usage exit code).
var ErrUsage = errors.New("usage")

// Resolve checks the flags and fills in the rest from the environment and the event
// payload (event may be nil).
func Resolve(f Flags, getenv func(string) string, event map[string]any) (Config, error) {
	c := Config{Repo: getenv("GITHUB_REPOSITORY"), APIURL: getenv("GITHUB_API_URL"), Token: f.Token, Author: f.Author, Strict: f.Strict}
	c.Mode = gh.Mode(f.Mode)
	if f.Mode == "" {
		c.Mode = gh.ModeUpsert
	}
	switch c.Mode {
	case gh.ModeUpsert, gh.ModeRecreate, gh.ModeOff:
	default:
		return Config{}, fmt.Errorf("%w: --comment-mode %q: want upsert, recreate or off", ErrUsage, f.Mode)
	}
	if f.Templates != "" {
		if info, err := os.Stat(f.Templates); err != nil || !info.IsDir() {
			return Config{}, fmt.Errorf("%w: --templates %s: not a directory", ErrUsage, f.Templates)
		}
		t, err := bundle.DirFS(f.Templates, 1<<20)
		if err != nil {
			return Config{}, fmt.Errorf("%w: --templates %s: %v", ErrUsage, f.Templates, err)
		}
		c.Templates = t
	}
	c.PR = ghactions.PR{Repo: c.Repo, Number: f.PR}
	if ev, ok := ghactions.PRFromEvent(event); ok {
		if c.PR.Number == 0 {
			c.PR.Number = ev.Number
		}
		c.PR.HeadSHA = ev.HeadSHA
	}
	if f.PageURL != "" {
		server := getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		u, err := url.Parse(f.PageURL)
		s, serr := url.Parse(server)
		if err != nil || serr != nil || u.Scheme != s.Scheme || (u.Scheme != "https" && u.Scheme != "http") || u.Host != s.Host || u.User != nil || strings.ContainsAny(f.PageURL, " ()<>[]\\\x60") {
			return Config{}, fmt.Errorf("%w: --page-url: want the report page's artifact URL on %s", ErrUsage, server)
		}
		c.PageURL = u.String()
	}
	c.Key = f.Key
	if c.Key == "" {
		c.Key = ghactions.Key(getenv)
	}
	c.Key = ghactions.SanitizeKey(c.Key)
	c.PR.Key = c.Key
	if c.Token == "" {
		c.Token = getenv("GITHUB_TOKEN")
	}
	return c, nil
}

// RenderOptions are the render options that make comment.md what Post would post.
func (c Config) RenderOptions(o render.Options) render.Options {
	o.Marker = c.Marker()
	o.PageURL = c.PageURL
	if c.Templates != nil {
		o.Templates = c.Templates
	}
	return o
}

// Env is what the workflow reports through, and the GitHub it posts to.
type Env struct {
	Log    *slog.Logger
	Action *githubactions.Action // step summary and outputs
	Getenv func(string) string
	// GitHub makes the client for an API URL and token; nil: GitHub's API (github.New).
	GitHub func(apiURL, token string) (Commenter, error)
}

// Commenter is what posting needs of GitHub (*github.Client is one).
type Commenter interface {
	Upsert(ctx context.Context, t gh.Target, mode gh.Mode, body string, render func(budget int) (string, error)) (gh.Result, error)
	HeadSHA(ctx context.Context, owner, repo string, pr int) (string, error)
}

// author is the Commenter for c, posting as c.Author when the token cannot say who it is.
func (env Env) author(c Config) (Commenter, error) {
	var client Commenter
	var err error
	if env.GitHub != nil {
		client, err = env.GitHub(c.APIURL, c.Token)
	} else {
		client, err = gh.New(c.APIURL, c.Token, env.Log)
	}
	if ghc, ok := client.(*gh.Client); ok && err == nil {
		ghc.Author = c.Author
	}
	return client, err
}

// soft turns a posting failure into a warning unless Strict.
func (c Config) soft(env Env, err error) error {
	if err == nil || c.Strict {
		return err
	}
	env.Log.Warn("comment not posted (use --strict to fail on this)", "err", err)
	return nil
}

// comment renders the PR comment of a report under c's marker and templates.
func (c Config) comment(r *model.Report, budget int) (string, error) {
	return render.CommentWithin(r, c.RenderOptions(render.Options{}), budget)
}

// Post posts the comment of report r, rendered into dir (with the configured templates
// and marker, also rewriting comment.md), and returns its URL. A fork's read-only token
// leaves pr.json for the workflow_run poster.
func Post(ctx context.Context, c Config, r *model.Report, dir string, env Env) (string, error) {
	if c.Mode == gh.ModeOff {
		env.Log.Info("comment mode is off")
		return "", nil
	}
	body, err := c.comment(r, render.CommentBudget)
	if err != nil {
		return "", err
	}
	if err := bundle.WriteFileAtomic(filepath.Join(dir, render.CommentFile), []byte(body)); err != nil {
		return "", err
	}
	switch {
	case c.PR.Number == 0:
		env.Log.Info("not a pull request (no pull_request event and no --pr): comment not posted", "comment", filepath.Join(dir, render.CommentFile))
		return "", nil
	case c.Repo == "" || !strings.Contains(c.Repo, "/"):
		return "", c.soft(env, errors.New("GITHUB_REPOSITORY (owner/name) is not set"))
	case c.Token == "":
		return "", c.soft(env, errors.New("no GitHub token: set GITHUB_TOKEN or --github-token (--token is the API server's, as in kubectl)"))
	}
	client, err := env.author(c)
	if err != nil {
		return "", err
	}
	owner, name, _ := strings.Cut(c.Repo, "/")
	res, err := client.Upsert(ctx, gh.Target{Owner: owner, Repo: name, PR: c.PR.Number, Marker: c.Marker()}, c.Mode, body,
		func(budget int) (string, error) { return c.comment(r, budget) })
	if errors.Is(err, gh.ErrForbidden) {
		b, _ := json.MarshalIndent(c.PR, "", "  ")
		if werr := bundle.WriteFileAtomic(filepath.Join(dir, PRFile), append(b, '\n')); werr != nil {
			return "", werr
		}
		note := fmt.Sprintf("\n> [!NOTE]\n> ci-report could not post its PR comment: this token is read-only (a pull request from a fork). "+
			"The report and `%s` are in the ci-report artifact; add `workflows/ci-report-comment.yml` (a `workflow_run` workflow running "+
			"`ci-report comment --from-artifact`) to post it.\n", PRFile)
		if env.Getenv("GITHUB_STEP_SUMMARY") != "" {
			ghactions.WriteSummary(env.Action, note)
		}
		env.Log.Warn("fork pull request: comment saved for the workflow_run poster", "pr", c.PR.Number, "file", filepath.Join(dir, PRFile))
		return "", c.soft(env, err)
	}
	if err != nil {
		return "", c.soft(env, err)
	}
	env.Log.Info("PR comment "+res.Action, "url", res.URL)
	if env.Getenv("GITHUB_OUTPUT") != "" && res.URL != "" {
		env.Action.SetOutput("comment-url", res.URL)
	}
	return res.URL, nil
}

var commitSHA = lazyre.New(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// readPR reads and validates pr.json of a fork's artifact. Nothing of it is echoed
// unchecked: an invalid field is named, not quoted.
func readPR(dir string) (ghactions.PR, error) {
	br, err := bundle.OpenReader(dir)
	if err != nil {
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %w", err)
	}
	defer br.Close()
	b, err := br.ReadFile(PRFile, 64<<10)
	if err != nil {
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %w", err)
	}
	var pr ghactions.PR
	if err := json.Unmarshal(b, &pr); err != nil {
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %s is not valid JSON", PRFile)
	}
	switch {
	case pr.Number <= 0 || pr.Number > 1_000_000_000:
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %s: number is not a pull request number", PRFile)
	case !commitSHA().MatchString(pr.HeadSHA):
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %s: headSha is not a commit SHA (40 or 64 lower-case hex digits)", PRFile)
	case pr.Key == "" || ghactions.SanitizeKey(pr.Key) != pr.Key:
		return ghactions.PR{}, fmt.Errorf("--from-artifact: %s: key is empty or has characters a comment key cannot have", PRFile)
	}
	pr.Repo = "" // the base repository comes from GITHUB_REPOSITORY
	return pr, nil
}

// FromArtifact posts a fork PR's comment from a workflow_run workflow: only if the PR's
// head is still the commit the artifact is about, and only after rendering the comment
// anew from the artifact's report.json — redacted and escaped like any render, with the
// base repository's templates — never the fork's comment.md.
func FromArtifact(ctx context.Context, c Config, dir, expectedHead string, env Env) error {
	saved, err := readPR(dir)
	if err != nil {
		return err
	}
	if expectedHead == "" {
		return fmt.Errorf("%w: --from-artifact needs the workflow_run head SHA: run it on a workflow_run event or pass --head-sha", ErrUsage)
	}
	if !commitSHA().MatchString(expectedHead) {
		return fmt.Errorf("%w: --head-sha is not a commit SHA (40 or 64 lower-case hex digits)", ErrUsage)
	}
	if saved.HeadSHA != expectedHead {
		return fmt.Errorf("refusing to post: the artifact is for commit %s but the workflow run was for %s", saved.HeadSHA, expectedHead)
	}
	if c.Mode == gh.ModeOff {
		env.Log.Info("comment mode is off")
		return nil
	}
	owner, name, ok := strings.Cut(c.Repo, "/")
	if !ok || c.Token == "" {
		return errors.New("GITHUB_REPOSITORY and a GitHub token (GITHUB_TOKEN or --github-token) are needed to post")
	}
	r, err := reportjson.Read(dir)
	if err != nil {
		return fmt.Errorf("--from-artifact: %w", err)
	}
	rd, err := redact.New(nil)
	if err != nil {
		return err
	}
	r.Redact(rd)
	c.Key = saved.Key
	body, err := c.comment(r, render.CommentBudget)
	if err != nil {
		return err
	}
	client, err := env.author(c)
	if err != nil {
		return err
	}
	head, err := client.HeadSHA(ctx, owner, name, saved.Number)
	if err != nil {
		return fmt.Errorf("read PR #%d: %w", saved.Number, err)
	}
	if head != expectedHead {
		return fmt.Errorf("refusing to post: PR #%d has moved to a newer commit since the report was made for %s", saved.Number, expectedHead)
	}
	res, err := client.Upsert(ctx, gh.Target{Owner: owner, Repo: name, PR: saved.Number, Marker: c.Marker()}, c.Mode, body,
		func(budget int) (string, error) { return c.comment(r, budget) })
	if err != nil {
		return err
	}
	env.Log.Info("PR comment "+res.Action, "pr", saved.Number, "url", res.URL)
	return nil
}
