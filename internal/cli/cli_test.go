package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ci-report": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar: the CLI as a user runs it. Each script gets
// copies of the committed bundles in $WORK/bundles (demo, healthy), the result fixtures in
// $WORK/results, and a fake GitHub API at $GITHUB_API_URL (token "ghp_user" is user
// "ci-user", "ghs_actions" the Actions token, "ghs_fork" a fork's read-only token), whose
// comments `gh-comments PR` prints and `gh-comment PR LOGIN BODY` adds.
func TestScripts(t *testing.T) {
	var mu sync.Mutex // scripts run in parallel
	servers := map[string]*githubtest.Server{}
	server := func(work string) *githubtest.Server {
		mu.Lock()
		defer mu.Unlock()
		return servers[work]
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			for _, src := range []string{"../../testdata/bundles/demo", "../../testdata/bundles/healthy"} {
				if err := os.CopyFS(filepath.Join(env.WorkDir, "bundles", filepath.Base(src)), os.DirFS(src)); err != nil {
					return err
				}
			}
			if err := os.CopyFS(filepath.Join(env.WorkDir, "results"), os.DirFS("../../testdata/results")); err != nil {
				return err
			}
			gh := githubtest.New()
			gh.Tokens["ghp_user"] = "ci-user"
			gh.Tokens["ghs_actions"] = "github-actions[bot]"
			gh.Tokens["ghs_fork"] = "github-actions[bot]"
			gh.ReadOnly["ghs_fork"] = true
			gh.SetHead(7, strings.Repeat("a", 40))
			env.Defer(gh.Close)
			mu.Lock()
			servers[env.WorkDir] = gh
			mu.Unlock()
			event := filepath.Join(env.WorkDir, "event.json")
			if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7,"head":{"sha":"`+strings.Repeat("a", 40)+`"}}}`), 0o644); err != nil {
				return err
			}
			for k, v := range map[string]string{
				"GITHUB_API_URL": gh.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": event, "GITHUB_EVENT_NAME": "pull_request",
				"GITHUB_WORKFLOW": "k8s-e2e", "GITHUB_JOB": "e2e", "CI_REPORT_MATRIX": "",
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gh-comments": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: gh-comments PR")
				}
				pr, err := strconv.Atoi(args[0])
				ts.Check(err)
				for _, c := range server(ts.Getenv("WORK")).Comments(pr) {
					first, _, _ := strings.Cut(c.Body, "\n")
					fmt.Fprintf(ts.Stdout(), "%d %s %s\n", c.ID, c.User.Login, first)
				}
			},
			"gh-comment": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: gh-comment PR LOGIN BODY")
				}
				pr, err := strconv.Atoi(args[0])
				ts.Check(err)
				server(ts.Getenv("WORK")).AddComment(pr, args[1], args[2])
			},
		},
	})
}
