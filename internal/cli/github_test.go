package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/render"
	"github.com/org/k8s-e2e-report/internal/reportjson"
)

// renderedBundle copies the committed demo bundle and renders it.
func renderedBundle(t *testing.T) string {
	t.Helper()
	dir := demoBundle(t)
	r, err := model.Load(context.Background(), dir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := render.WriteAll(context.Background(), dir, r, render.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func actionsEnv(t *testing.T, gh *githubtest.Server, token string) (summary string) {
	t.Helper()
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}}`), 0o644)
	summary = filepath.Join(dir, "summary.md")
	os.WriteFile(summary, nil, 0o644)
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": gh.URL,
		"GITHUB_EVENT_PATH": event, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_WORKFLOW": "k8s-e2e", "GITHUB_JOB": "e2e",
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": filepath.Join(dir, "output"), "CI_REPORT_MATRIX": "",
	} {
		t.Setenv(k, v)
	}
	return summary
}

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestForkFallbackAndWorkflowRunPoster(t *testing.T) {
	gh := githubtest.New()
	defer gh.Close()
	gh.ReadOnly["ghs_fork"] = true
	dir := renderedBundle(t)
	summary := actionsEnv(t, gh, "ghs_fork")

	code, _, stderr := run("comment", dir)
	if code != 0 {
		t.Fatalf("fork comment: exit %d, want 0 (not --strict)\n%s", code, stderr)
	}
	var pr ghactions.PR
	b, err := os.ReadFile(filepath.Join(dir, PRFile))
	if err != nil || json.Unmarshal(b, &pr) != nil || pr.Number != 7 || pr.HeadSHA != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" || pr.Key != "k8s-e2e/e2e" {
		t.Fatalf("pr.json = %s (%v)", b, err)
	}
	if s, _ := os.ReadFile(summary); !strings.Contains(string(s), "ci-report-comment.yml") {
		t.Errorf("summary does not say how to post: %s", s)
	}
	if code, _, _ := run("comment", dir, "--strict"); code == 0 {
		t.Error("--strict: exit 0 on a fork")
	}
	if len(gh.Comments(7)) != 0 {
		t.Fatal("a comment was posted with a read-only token")
	}

	// The workflow_run poster, with a write token.
	t.Setenv("GITHUB_TOKEN", "ghs_base")
	gh.SetHead(7, "dddddddddddddddddddddddddddddddddddddddd")
	code, _, stderr = run("comment", "--from-artifact", dir, "--head-sha", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	if code == 0 || !strings.Contains(stderr, "has moved") {
		t.Errorf("moved PR: exit %d\n%s", code, stderr)
	}
	code, _, stderr = run("comment", "--from-artifact", dir, "--head-sha", "dddddddddddddddddddddddddddddddddddddddd")
	if code == 0 || !strings.Contains(stderr, "refusing to post") {
		t.Errorf("artifact for another commit: exit %d\n%s", code, stderr)
	}
	if len(gh.Comments(7)) != 0 {
		t.Fatal("posted despite the head check")
	}
	gh.SetHead(7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	for i := 0; i < 2; i++ {
		if code, _, stderr := run("comment", "--from-artifact", dir, "--head-sha", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); code != 0 {
			t.Fatalf("poster: exit %d\n%s", code, stderr)
		}
	}
	cs := gh.Comments(7)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "<!-- ci-report:k8s-e2e/e2e -->") || cs[0].User.Login != "github-actions[bot]" {
		t.Errorf("comments = %+v", cs)
	}
}

func TestAnnotateLimits(t *testing.T) {
	gh := githubtest.New()
	defer gh.Close()
	dir := renderedBundle(t)
	actionsEnv(t, gh, "ghs_x")
	r, err := reportjson.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Findings = nil
	for i := 0; i < 25; i++ {
		r.Findings = append(r.Findings, findings.Finding{Severity: findings.Error, Title: fmt.Sprintf("error %d: 100%% broken\nline two", i), Explanation: "a:b,c"})
	}
	for i := 0; i < 15; i++ {
		r.Findings = append(r.Findings, findings.Finding{Severity: findings.Warning, Title: fmt.Sprintf("warning %d", i)})
	}
	r.Findings = append(r.Findings, r.Findings[0]) // a duplicate
	b, _ := reportjson.Encode(r, 0)
	os.WriteFile(filepath.Join(dir, render.JSONFile), b, 0o644)
	code, stdout, stderr := run("annotate", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var errs, warns []string
	for _, l := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs = append(errs, l)
		case strings.HasPrefix(l, "::warning "):
			warns = append(warns, l)
		}
	}
	if len(errs) != 10 || len(warns) != 10 {
		t.Fatalf("%d errors, %d warnings; want 10 and 10", len(errs), len(warns))
	}
	if !strings.Contains(errs[9], "16 more findings") || !strings.Contains(warns[9], "6 more findings") {
		t.Errorf("last annotations: %q / %q", errs[9], warns[9])
	}
	// Escaped as the runner expects (%, :), and the title kept to one line.
	if !strings.Contains(errs[0], "title=error 0%3A 100%25 broken line two") || !strings.Contains(errs[0], "::a:b,c") {
		t.Errorf("escaping: %q", errs[0])
	}
	out, _ := os.ReadFile(os.Getenv("GITHUB_OUTPUT"))
	for _, k := range []string{"report-dir", "status", "failed-tests", "findings"} {
		if !strings.Contains(string(out), k+"<<") {
			t.Errorf("GITHUB_OUTPUT lacks %s:\n%s", k, out)
		}
	}
}

func TestMergeShards(t *testing.T) {
	a, b := renderedBundle(t), renderedBundle(t)
	out := filepath.Join(t.TempDir(), "merged")
	code, stdout, stderr := run("merge", a, b, "--name", "k8s=v1.35", "--name", "k8s=v1.36", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.TrimSpace(stdout) != filepath.Join(out, render.ReportFile) {
		t.Errorf("stdout = %q", stdout)
	}
	r, err := reportjson.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Shards) != 2 || r.Status.Level != "failed" {
		t.Fatalf("shards %+v status %+v", r.Shards, r.Status)
	}
	one, _ := reportjson.Read(a)
	if len(r.Findings) != len(one.Findings) {
		t.Errorf("merged %d findings, want the %d root causes once each", len(r.Findings), len(one.Findings))
	}
	if f := r.Findings[0]; len(f.Shards) != 2 || f.Category != "CrashLoopBackOff" {
		t.Errorf("first merged finding = %+v", f)
	}
	comment, _ := os.ReadFile(filepath.Join(out, render.CommentFile))
	if !strings.Contains(string(comment), "| k8s=v1.35 |") || len(comment) > render.CommentBudget {
		t.Errorf("merged comment lacks the shard table or is too long (%d bytes)", len(comment))
	}
}

// The workflow_run poster runs with a write token on a fork's artifact: it must post
// only what it renders itself from report.json, escaped, and print no workflow command
// whatever pr.json says.
func TestPosterGivenAHostileArtifact(t *testing.T) {
	gh := githubtest.New()
	defer gh.Close()
	dir := renderedBundle(t)
	actionsEnv(t, gh, "ghs_base")
	head := strings.Repeat("a", 40)
	gh.SetHead(7, head)
	evil := "\n\n@org/security-team ![x](https://evil.example/i.png) [c](https://evil.example) <img src=x>\n::error::INJECTED\n::add-mask::x\n"
	// The fork rewrites every field it can.
	r, err := reportjson.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Status.Detail, r.Status.Level = evil, evil
	for i := range r.Findings {
		r.Findings[i].Title, r.Findings[i].Explanation = evil, evil
		r.Findings[i].Evidence = []string{evil + "```\n" + evil}
	}
	r.Shards = []model.Shard{{Name: evil, Status: model.Status{Level: "failed", Detail: evil}}}
	b, _ := reportjson.Encode(r, 0)
	os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "comment.md"), []byte("<!-- ci-report:k8s-e2e/e2e -->\n@org/security-team FORK-COMMENT-MD ![x](https://evil.example/i.png)"), 0o644)

	for _, bad := range []string{
		`{"number":7,"headSha":"` + head + `\n::error::INJECTED\n::add-mask::x","key":"k8s-e2e/e2e"}`,
		`{"number":7,"headSha":"::error::INJECTED","key":"k8s-e2e/e2e"}`,
		`{"number":-1,"headSha":"` + head + `","key":"k8s-e2e/e2e"}`,
		`{"number":7,"headSha":"` + head + `","key":"x -->\n::error::INJECTED"}`,
	} {
		os.WriteFile(filepath.Join(dir, PRFile), []byte(bad), 0o644)
		code, stdout, stderr := run("comment", "--from-artifact", dir, "--head-sha", head)
		if code == 0 {
			t.Errorf("pr.json %s: exit 0", bad)
		}
		for _, out := range []string{stdout, stderr} {
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.Contains(line, "INJECTED") {
					t.Errorf("pr.json %s: printed %q", bad, line)
				}
			}
		}
	}
	if len(gh.Comments(7)) != 0 {
		t.Fatal("posted with an invalid pr.json")
	}
	os.WriteFile(filepath.Join(dir, PRFile), []byte(`{"number":7,"headSha":"`+head+`","key":"k8s-e2e/e2e"}`), 0o644)
	if code, _, stderr := run("comment", "--from-artifact", dir, "--head-sha", head, "--mode", "bogus"); code != 2 {
		t.Errorf("--mode bogus with --from-artifact: exit %d, want 2\n%s", code, stderr)
	}
	code, stdout, stderr := run("comment", "--from-artifact", dir, "--head-sha", head)
	if code != 0 {
		t.Fatalf("poster: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, "INJECTED") {
		t.Error("the poster echoed artifact text")
	}
	cs := gh.Comments(7)
	if len(cs) != 1 {
		t.Fatalf("%d comments", len(cs))
	}
	body := cs[0].Body
	if strings.Contains(body, "FORK-COMMENT-MD") {
		t.Error("the fork's comment.md was posted")
	}
	if !strings.HasPrefix(body, "<!-- ci-report:k8s-e2e/e2e -->") || strings.Count(body, "<!-- ci-report:") != 1 {
		t.Errorf("markers in the posted body: %d", strings.Count(body, "<!-- ci-report:"))
	}
	checkMarkdownInert(t, "posted comment", body) // images, links, raw HTML, headings
	for _, re := range []string{`@[A-Za-z0-9]`, `(?i)https?://`} {
		if m := regexp.MustCompile(re).FindString(body); m != "" {
			t.Errorf("posted body has %q (%s)", m, re)
		}
	}
}

// A custom comment.md.tmpl reaches the posted comment, and render's --comment-key makes
// comment.md carry the same marker as the comment command's --key.
func TestCommentTemplatesAndKeyResolvedOnce(t *testing.T) {
	gh := githubtest.New()
	defer gh.Close()
	dir := renderedBundle(t)
	actionsEnv(t, gh, "ghs_x")
	tmpl := t.TempDir()
	os.WriteFile(filepath.Join(tmpl, "comment.md.tmpl"), []byte(`{{ define "status" }}CUSTOM-TEMPLATE {{ status .R.Status }}{{ end }}`), 0o644)
	if code, _, stderr := run("render", dir, "--templates", tmpl, "--comment-key", "nightly"); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "comment.md"))
	if !strings.HasPrefix(string(md), "<!-- ci-report:nightly -->") || !strings.Contains(string(md), "CUSTOM-TEMPLATE") {
		t.Errorf("comment.md = %.200q", md)
	}
	if code, _, stderr := run("comment", dir, "--templates", tmpl, "--key", "nightly"); code != 0 {
		t.Fatalf("comment: exit %d\n%s", code, stderr)
	}
	cs := gh.Comments(7)
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "<!-- ci-report:nightly -->") || !strings.Contains(cs[0].Body, "CUSTOM-TEMPLATE") {
		t.Errorf("posted: %+v", cs)
	}
	posted, _ := os.ReadFile(filepath.Join(dir, "comment.md"))
	if len(cs) == 1 && string(posted) != cs[0].Body {
		t.Error("comment.md differs from the posted comment")
	}
}
