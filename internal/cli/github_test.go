package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/ghactions"
	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/render"
)

// renderedBundle copies the committed demo bundle and renders it.
func renderedBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := "../../testdata/bundles/demo"
	filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, _ := os.ReadFile(p)
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
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
	os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"abc123"}}}`), 0o644)
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
	if err != nil || json.Unmarshal(b, &pr) != nil || pr.Number != 7 || pr.HeadSHA != "abc123" || pr.Key != "k8s-e2e/e2e" {
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
	gh.SetHead(7, "def456")
	code, _, stderr = run("comment", "--from-artifact", dir, "--head-sha", "abc123")
	if code == 0 || !strings.Contains(stderr, "has moved") {
		t.Errorf("moved PR: exit %d\n%s", code, stderr)
	}
	code, _, stderr = run("comment", "--from-artifact", dir, "--head-sha", "def456")
	if code == 0 || !strings.Contains(stderr, "refusing to post") {
		t.Errorf("artifact for another commit: exit %d\n%s", code, stderr)
	}
	if len(gh.Comments(7)) != 0 {
		t.Fatal("posted despite the head check")
	}
	gh.SetHead(7, "abc123")
	for i := 0; i < 2; i++ {
		if code, _, stderr := run("comment", "--from-artifact", dir, "--head-sha", "abc123"); code != 0 {
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
	r, err := model.Read(dir)
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
	b, _ := json.Marshal(r)
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
	r, err := model.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Shards) != 2 || r.Status.Level != "failed" {
		t.Fatalf("shards %+v status %+v", r.Shards, r.Status)
	}
	one, _ := model.Read(a)
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
