package action

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/results"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

// runner emulates the GitHub runner for this action's steps.
type runner struct {
	t                     *testing.T
	dir, temp             string
	output, summary, envf string
	event                 string
	env                   map[string]string
	inputs                map[string]string
	matrix                string // toJSON(matrix)
	jobIndex, jobTotal    string // strategy.job-index, strategy.job-total
	actionRef, actionRepo string // github.action_ref, github.action_repository ("" for a local action)
	pageURL               string // what upload-artifact answers for the report page
	stdout                bytes.Buffer
}

func newRunner(t *testing.T, gh *githubtest.Server, kubeconfig, token string, inputs map[string]string) *runner {
	r := &runner{t: t, dir: t.TempDir(), inputs: inputs, matrix: "null", jobIndex: "0", jobTotal: "1"}
	r.temp = filepath.Join(r.dir, "runner-temp")
	os.MkdirAll(r.temp, 0o755)
	r.output, r.summary, r.envf = filepath.Join(r.dir, "output"), filepath.Join(r.dir, "summary"), filepath.Join(r.dir, "env")
	r.event = filepath.Join(r.dir, "event.json")
	for _, f := range []string{r.output, r.summary, r.envf} {
		os.WriteFile(f, nil, 0o644)
	}
	ev, _ := json.Marshal(map[string]any{"action": "synchronize", "number": 7,
		"pull_request": map[string]any{"number": 7, "head": map[string]any{"sha": "abc123"}}})
	os.WriteFile(r.event, ev, 0o644)
	abs, _ := filepath.Abs(root)
	r.env = map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "GOCACHE": os.Getenv("GOCACHE"), "GOPATH": os.Getenv("GOPATH"),
		"GOFLAGS": os.Getenv("GOFLAGS"), "GOMODCACHE": os.Getenv("GOMODCACHE"),
		"GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_TEMP": r.temp, "GITHUB_OUTPUT": r.output, "GITHUB_STEP_SUMMARY": r.summary,
		"GITHUB_ENV": r.envf, "GITHUB_EVENT_PATH": r.event, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "o/r",
		"GITHUB_API_URL": gh.URL, "GITHUB_WORKFLOW": "k8s-e2e", "GITHUB_JOB": "e2e", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTION_PATH": abs, "GITHUB_WORKSPACE": r.dir, "KUBECONFIG": kubeconfig,
		"RUNNER_OS": "Linux", "RUNNER_ARCH": map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH],
		"GITHUB_SERVER_URL":   "https://github.invalid",
		"GITHUB_WORKFLOW_REF": "o/r/.github/workflows/e2e.yml@refs/pull/7/merge", "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "feature",
		"GITHUB_SHA": "cafecafe", "GITHUB_RUN_ID": "9001",
	}
	r.env["_token"] = token
	return r
}

// run executes action.yml's steps: run: scripts with bash as the runner does, inputs
// through the step's env (and as INPUT_*), uses: steps checked and skipped.
func (r *runner) run(a *Action) map[string]string {
	out, err := r.runUntil(a, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// runUntil runs the steps up to and including the one with the id until ("": all), and
// returns the first step's failure as an error.
func (r *runner) runUntil(a *Action, until string) (map[string]string, error) {
	t := r.t
	abs := r.env["GITHUB_ACTION_PATH"]
	values := map[string]string{"github.action_path": abs, "github.token": r.env["_token"], "runner.temp": r.temp,
		"github.action_ref": r.actionRef, "github.action_repository": r.actionRepo,
		// The contexts a composite action can read (see the runner's action manifest schema).
		"toJSON(matrix)": r.matrix, "strategy.job-index": r.jobIndex, "strategy.job-total": r.jobTotal, "job.check_run_id": "4242"}
	for name, in := range a.Inputs {
		v, ok := r.inputs[name]
		if !ok {
			var err error
			if v, err = Eval(in.Default, values); err != nil {
				t.Fatalf("input %s default: %v", name, err)
			}
		}
		values["inputs."+name] = v
	}
	outputs := map[string]string{}
	for _, s := range a.Runs.Steps {
		if ok, err := Condition(s.If, values); err != nil {
			t.Fatalf("step %q: %v", s.Name, err)
		} else if !ok {
			continue
		}
		if s.Uses != "" {
			if strings.HasPrefix(s.Uses, "actions/upload-artifact") && fmt.Sprint(s.With["archive"]) == "false" {
				// The report page: one file, uploaded as it is, named after the bundle's
				// artifact (the artifact takes the file's name).
				path, _ := Eval(s.With["path"].(string), values)
				want := outputs["artifact-name"] + ".html"
				if filepath.Base(path) != want {
					t.Errorf("the report page is uploaded as %s, want %s", filepath.Base(path), want)
				}
				if b, err := os.ReadFile(path); err != nil || !bytes.Contains(b, []byte("<svg")) {
					t.Errorf("the report page %s: %v", path, err)
				}
				outputs["_page-path"] = path
				if s.ID != "" { // upload-artifact's URL is on the run's server
					r.pageURL = r.env["GITHUB_SERVER_URL"] + "/o/r/actions/runs/9001/artifacts/77"
					values["steps."+s.ID+".outputs.artifact-url"] = r.pageURL
				}
			} else if strings.HasPrefix(s.Uses, "actions/upload-artifact") && strings.HasSuffix(s.With["path"].(string), ".json") {
				// The history digest: a file of its own, under the name run chose.
				name, _ := Eval(s.With["name"].(string), prefixed("steps.run.outputs.", outputs))
				path, _ := Eval(s.With["path"].(string), values)
				if !strings.HasPrefix(name, "ci-report-history-") {
					t.Errorf("digest artifact name %q", name)
				}
				outputs["_digest-artifact"], outputs["_digest-path"] = name, path
			} else if strings.HasPrefix(s.Uses, "actions/upload-artifact") {
				name, _ := Eval(s.With["name"].(string), prefixed("steps.run.outputs.", outputs))
				path, _ := Eval(s.With["path"].(string), values)
				if name == "" {
					t.Error("artifact has no name")
				}
				if _, err := os.Stat(filepath.Join(path, "REPORT.md")); err != nil {
					t.Errorf("artifact path %s lacks REPORT.md: %v", path, err)
				}
				outputs["_artifact-path"] = path
			}
			if strings.HasPrefix(s.Uses, "actions/cache@") && s.ID == "history-cache" {
				// The history store's cache: a miss (an empty directory) unless the test
				// put a store there.
				path, _ := Eval(s.With["path"].(string), values)
				key, _ := Eval(s.With["key"].(string), values)
				outputs["_history-cache-key"] = key
				os.MkdirAll(path, 0o755)
			} else if strings.HasPrefix(s.Uses, "actions/cache@") {
				// A cache hit: this machine's Go caches stand for the restored directory.
				path, err := Eval(s.With["path"].(string), values)
				if err != nil {
					t.Fatal(err)
				}
				os.MkdirAll(path, 0o755)
				for sub, env := range map[string]string{"mod": "GOMODCACHE", "build": "GOCACHE"} {
					out, err := exec.Command("go", "env", env).Output()
					if err != nil {
						t.Fatal(err)
					}
					os.Symlink(strings.TrimSpace(string(out)), filepath.Join(path, sub))
				}
			}
			continue
		}
		env := []string{}
		for k, v := range r.env {
			if k != "_token" {
				env = append(env, k+"="+v)
			}
		}
		for name, v := range values {
			if strings.HasPrefix(name, "inputs.") {
				env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(name, "inputs."), " ", "_"))+"="+v)
			}
		}
		for k, v := range s.Env {
			ev, err := Eval(v, values)
			if err != nil {
				t.Fatalf("step %q env %s: %v", s.Name, k, err)
			}
			env = append(env, k+"="+ev)
		}
		script := filepath.Join(r.dir, "step.sh")
		os.WriteFile(script, []byte(s.Run), 0o755)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Env = env
		cmd.Dir = r.dir
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &r.stdout, &stderr
		os.WriteFile(r.output, nil, 0o644) // each step gets its own GITHUB_OUTPUT
		if err := cmd.Run(); err != nil {
			return outputs, fmt.Errorf("step %q failed: %v\nstdout:\n%s\nstderr:\n%s", s.Name, err, r.stdout.String(), stderr.String())
		}
		for k, v := range parseOutputs(t, r.output) {
			if s.ID != "" {
				values["steps."+s.ID+".outputs."+k] = v
			}
			if s.ID == "run" || (until != "" && s.ID == until) {
				outputs[k] = v
			}
		}
		if until != "" && s.ID == until {
			break
		}
	}
	return outputs, nil
}

func prefixed(p string, m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[p+k] = v
	}
	return out
}

// parseOutputs reads a GITHUB_OUTPUT file: name=value and name<<DELIM heredocs.
func parseOutputs(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

func TestIntegrationActionOnDemoCluster(t *testing.T) {
	release := releaseFiles(t) // before the deadline: a cold build takes minutes
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err := testenv.Start(ctx, testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	scenario, err := demo.Seed(ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.StartConsole(ctx, cluster, scenario); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New()
	defer gh.Close()
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	results, _ := filepath.Abs(filepath.Join(root, "testdata/results/gotestsum-junit.xml"))
	inputs := map[string]string{
		"namespaces": demo.Namespace, "crds": "apigraphs.turboengine.io", "results": results + "\n",
		"operator-selector": "app.kubernetes.io/name=operator",
		"console-service":   scenario.ConsoleService, "pages": "/=dashboard",
	}
	baseRunWithDigest(t, gh, "k8s-e2e/e2e/k8s=v1.36.0", results)
	var pageURL string // what upload-artifact answered for the report page
	for attempt := 1; attempt <= 2; attempt++ {
		r := newRunner(t, gh, cluster.Kubeconfig, "ghs_installation", inputs)
		useRelease(t, release, r)
		// A matrix leg: the action reads the matrix itself (no matrix input).
		r.matrix, r.jobIndex, r.jobTotal = `{"k8s":"v1.36.0"}`, "1", "2"
		out := r.run(a)
		pageURL = r.pageURL
		// History: the base run's digest was fetched into the cached store, the labels
		// say the failing test fails on main too, and this run's digest is uploaded.
		if !strings.HasPrefix(out["_history-cache-key"], "ci-report-history-") || !strings.HasPrefix(out["_digest-artifact"], "ci-report-history-") {
			t.Errorf("history cache key %q, digest artifact %q", out["_history-cache-key"], out["_digest-artifact"])
		}
		if _, err := os.Stat(out["_digest-path"]); err != nil {
			t.Errorf("digest not written: %v", err)
		}
		if _, err := os.Stat(filepath.Join(r.temp, "ci-report-history", "history.db")); err != nil {
			t.Errorf("history store not in the cached directory: %v", err)
		}
		if out["status"] != "failed" || out["findings"] == "0" || out["failed-tests"] != "1" {
			t.Errorf("outputs = %v", out)
		}
		if !strings.Contains(out["comment-url"], "issuecomment-") {
			t.Errorf("comment-url = %q (attempt %d)", out["comment-url"], attempt)
		}
		if !strings.HasPrefix(out["artifact-name"], "ci-report-e2e-") || !strings.HasSuffix(out["artifact-name"], "-leg1-4242-1") || out["report-dir"] == "" {
			t.Errorf("artifact-name %q report-dir %q", out["artifact-name"], out["report-dir"])
		}
		summary, _ := os.ReadFile(r.summary)
		if len(summary) == 0 || len(summary) > 1<<20 || !strings.Contains(string(summary), "What went wrong") {
			t.Errorf("job summary: %d bytes", len(summary))
		}
		// The report page went up on its own and the summary links it.
		if out["_page-path"] == "" || !strings.Contains(string(summary), "[Open the report page]("+r.pageURL+")") {
			t.Errorf("the report page: uploaded %q, linked in the summary: %v", out["_page-path"], strings.Contains(string(summary), r.pageURL))
		}
		errs, warns := 0, 0
		for _, l := range strings.Split(r.stdout.String(), "\n") {
			switch {
			case strings.HasPrefix(l, "::error "):
				errs++
			case strings.HasPrefix(l, "::warning "):
				warns++
			}
		}
		if errs == 0 || errs > 10 || warns > 10 {
			t.Errorf("annotations: %d errors, %d warnings", errs, warns)
		}
		if !strings.Contains(r.stdout.String(), "::group::ci-report collect") {
			t.Error("no ::group:: sections")
		}
		if !strings.Contains(r.stdout.String(), "file=orders_test.go,line=16") {
			t.Errorf("the failed test's annotation has no file/line:\n%s", r.stdout.String())
		}
	}
	var ours []githubtest.Comment
	for _, c := range gh.Comments(7) {
		if strings.Contains(c.Body, "<!-- ci-report:k8s-e2e/e2e/k8s=v1.36.0 -->") {
			ours = append(ours, c)
		}
	}
	if len(ours) == 1 && (pageURL == "" || !strings.Contains(ours[0].Body, "[open the report page]("+pageURL+")")) {
		t.Error("the comment does not link the report page")
	}
	if len(ours) != 1 || !strings.Contains(ours[0].Body, "CrashLoopBackOff") || !strings.Contains(ours[0].Body, "**Screenshots**") || len(ours[0].Body) > 65536 {
		t.Errorf("comments with our key: %d", len(ours))
	}
	if len(ours) == 1 && !regexp.MustCompile("\\*\\*History:\\*\\* .*already failing on `main` \\(since 0b0b0b0, 1 run\\)").MatchString(ours[0].Body) {
		t.Errorf("the comment has no history line saying the failing tests fail on main:\n%s", ours[0].Body)
	}
}

// baseRunWithDigest adds a completed push run of e2e.yml on main to the fake GitHub, whose
// digest artifact (for the job key) says the results file's failing tests failed there.
func baseRunWithDigest(t *testing.T, gh *githubtest.Server, key, resultsFile string) {
	res := results.ParseFiles([]string{resultsFile})
	d := history.Digest{Version: history.DigestVersion, Repo: "o/r", Key: key, Branch: "main", SHA: "0b0b0b0b0b", Time: time.Now().Add(-time.Hour)}
	for _, c := range res.Cases {
		d.Tests = append(d.Tests, history.Test{Suite: c.Suite, Class: c.Classname, Name: c.Name, Status: string(c.Status), Attempts: 1})
	}
	body, _ := json.Marshal(d)
	sum := sha256.Sum256([]byte(key))
	run := &githubtest.WorkflowRun{Workflow: "e2e.yml", HeadBranch: "main", HeadSHA: "0b0b0b0b0b", Event: "push", Status: "completed",
		Conclusion: "failure", RunAttempt: 1, CreatedAt: d.Time}
	run.HeadRepo.FullName = "o/r"
	run.Artifacts = []*githubtest.Artifact{{Name: "ci-report-history-" + hex.EncodeToString(sum[:6]) + "-4242-1", CreatedAt: d.Time,
		Files: map[string][]byte{history.DigestFile: body}}}
	gh.AddRun(run)
}

// mode: start before the tests, mode: finish after: the watcher runs in between, so a
// pod the tests delete keeps its log in the uploaded bundle, and nothing is left running.
func TestIntegrationActionStartAndFinish(t *testing.T) {
	release := releaseFiles(t) // before the deadline: a cold build takes minutes
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err := testenv.Start(ctx, testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	ns := "e2e"
	if err := cluster.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	node, err := cluster.CreateNode(ctx, "node-1", testenv.NodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New()
	defer gh.Close()
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, gh, cluster.Kubeconfig, "ghs_installation", map[string]string{"namespaces": ns, "mode": "start"})
	useRelease(t, release, r)
	r.run(a)
	bundleDir := filepath.Join(r.temp, "ci-report", "bundle")
	pidFile := filepath.Join(bundleDir, "watch", "watch.pid")
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("mode start left no watcher: %v\n%s", err, r.stdout.String())
	}

	// The "tests": a pod runs, logs a line, and is deleted.
	pod := testenv.Plant(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: ns},
		Spec: corev1.PodSpec{NodeName: node.Name, Containers: []corev1.Container{{Name: "smoke", Image: "example.com/smoke:1"}}}})
	if pod, err = cluster.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-10 * time.Second)
	if _, err := cluster.SetPodStatus(ctx, ns, "smoke", testenv.RunningPodStatus(pod, start)); err != nil {
		t.Fatal(err)
	}
	if err := cluster.SetContainerLogs(ctx, ns, "smoke", "smoke", testenv.Lines(start, "smoke test: token cache warmed"), nil); err != nil {
		t.Fatal(err)
	}
	streamed := filepath.Join(bundleDir, "watch", "logs", ns, "smoke", "smoke.log")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(streamed); strings.Contains(string(b), "token cache warmed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher never streamed the pod's log")
		}
	}
	zero := int64(0)
	if err := cluster.Client.CoreV1().Pods(ns).Delete(ctx, "smoke", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)

	r.inputs["mode"] = "finish"
	out := r.run(a)
	if out["report-dir"] == "" || out["_artifact-path"] != bundleDir {
		t.Errorf("outputs = %v", out)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Error("mode finish left the watcher running")
	}
	b, err := os.ReadFile(filepath.Join(bundleDir, "k8s", "logs", ns, "smoke", "smoke.log"))
	if err != nil || !strings.Contains(string(b), "token cache warmed") {
		t.Errorf("the deleted pod's log is not in the bundle: %v\n%s", err, b)
	}
	if md, _ := os.ReadFile(filepath.Join(bundleDir, "REPORT.md")); !strings.Contains(string(md), "| smoke | Running | 1/1 | 0 | deleted |") {
		t.Errorf("REPORT.md does not show the deleted pod:\n%s", md)
	}
}
