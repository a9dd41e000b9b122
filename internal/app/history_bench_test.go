package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
	"github.com/org/k8s-e2e-report/internal/history"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/prcomment"
	"github.com/org/k8s-e2e-report/internal/render"
)

// historyAPI is a fake GitHub with n completed runs of e2e.yml on main, each with a
// digest of 300 tests (a few failing) and 10 findings, and a bundle artifact beside it.
func historyAPI(b testing.TB, n int, key string) (*githubtest.Server, func(string) string) {
	return historyAPIWith(b, n, 300, key)
}

// historyAPIWith is historyAPI with tests tests a digest.
func historyAPIWith(b testing.TB, n, tests int, key string) (*githubtest.Server, func(string) string) {
	gh := githubtest.New()
	gh.Tokens["ghs_bench"] = "github-actions[bot]"
	for i := 0; i < n; i++ {
		d := history.Digest{Version: history.DigestVersion, Repo: "o/r", Key: key, Branch: "main", SHA: fmt.Sprintf("%040x", i), Time: time.Unix(int64(i)*600, 0)}
		for j := 0; j < tests; j++ {
			st := "passed"
			if j%50 == i%50 {
				st = "failed"
			}
			d.Tests = append(d.Tests, history.Test{Suite: "e2e", Name: fmt.Sprintf("TestCase%03d", j), Status: st, DurationMs: 1200, Attempts: 1})
		}
		for j := 0; j < 10; j++ {
			d.Findings = append(d.Findings, history.Finding{Fingerprint: fmt.Sprintf("%016x", j), Category: "CrashLoopBackOff", Subject: "pod/ns/api-*", Message: "Pod api-* is crash-looping"})
		}
		body, _ := json.Marshal(d)
		run := &githubtest.WorkflowRun{Workflow: "e2e.yml", HeadBranch: "main", HeadSHA: d.SHA, Event: "push", Status: "completed", Conclusion: "success", RunAttempt: 1, CreatedAt: d.Time}
		run.HeadRepo.FullName = "o/r"
		run.Artifacts = []*githubtest.Artifact{{Name: "ci-report-e2e-1", CreatedAt: d.Time},
			{Name: HistoryPrefix(key) + "1-1", CreatedAt: d.Time, Files: map[string][]byte{history.DigestFile: body}}}
		gh.AddRun(run)
	}
	env := map[string]string{"GITHUB_API_URL": gh.URL, "GITHUB_TOKEN": "ghs_bench", "GITHUB_REPOSITORY": "o/r",
		"GITHUB_WORKFLOW_REF": "o/r/.github/workflows/e2e.yml@refs/pull/1/merge"}
	return gh, func(k string) string { return env[k] }
}

func benchService(getenv func(string) string) *Service {
	return &Service{Stdout: io.Discard, Getenv: getenv, Log: slog.New(slog.DiscardHandler)}
}

// BenchmarkHistoryImport: the base branch's last 100 runs from the Actions API into a
// store, cold (an empty store: 100 digests fetched) and warm (all known: one listing).
// Goals: cold ≤ 5 s, warm ≤ 1 s.
func BenchmarkHistoryImport(b *testing.B) {
	const key = "k8s-e2e/e2e"
	gh, getenv := historyAPI(b, 100, key)
	defer gh.Close()
	g := benchService(getenv)
	ctx := context.Background()
	scope := history.Scope{Repo: "o/r", Key: key}
	b.Run("cold-100-runs", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			st, err := history.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("h%d.db", i)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := g.importBase(ctx, st, scope, "main", 100); err != nil {
				b.Fatal(err)
			}
			st.Close()
		}
	})
	b.Run("warm-100-runs", func(b *testing.B) {
		st, err := history.Open(ctx, filepath.Join(b.TempDir(), "h.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if _, err := g.importBase(ctx, st, scope, "main", 100); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := g.importBase(ctx, st, scope, "main", 100); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHistoryImportLarge: 100 base runs of 2,000 tests each into an empty store,
// and again warm, with the process's peak RSS (VmHWM) as a metric. Goals (issue 30): cold
// ≤ 10 s, warm ≤ 1 s, peak RSS ≤ 150 MiB. Run alone for a true peak:
// go test -run '^$' -bench HistoryImportLarge ./internal/app
func BenchmarkHistoryImportLarge(b *testing.B) {
	const key = "k8s-e2e/e2e"
	gh, getenv := historyAPIWith(b, 100, 2000, key)
	defer gh.Close()
	g := benchService(getenv)
	ctx := context.Background()
	scope := history.Scope{Repo: "o/r", Key: key}
	for i := 0; b.Loop(); i++ {
		st, err := history.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("h%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		res, err := g.importBase(ctx, st, scope, "main", 100)
		if err != nil || res.recorded != 100 {
			b.Fatalf("recorded %d: %v", res.recorded, err)
		}
		start := time.Now()
		if _, err := g.importBase(ctx, st, scope, "main", 100); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds()*1000, "warm-ms")
		st.Close()
	}
	b.ReportMetric(peakRSSMiB(), "peak-MiB")
}

// BenchmarkHistoryImportHugeDigests: 20 base runs whose digests are 15 MiB each (170,000
// tests), as issue 30 measured; "import-MiB" is how much the import raised the process's
// peak RSS above what building the fake API's digests had reached.
func BenchmarkHistoryImportHugeDigests(b *testing.B) {
	const key = "k8s-e2e/e2e"
	gh, getenv := historyAPIWith(b, 20, 170000, key)
	defer gh.Close()
	before := peakRSSMiB()
	for i := 0; b.Loop(); i++ {
		st, err := history.Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("h%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		if res, err := benchService(getenv).importBase(context.Background(), st, history.Scope{Repo: "o/r", Key: key}, "main", 20); err != nil || res.recorded != 20 {
			b.Fatalf("recorded %d: %v", res.recorded, err)
		}
		st.Close()
	}
	b.ReportMetric(peakRSSMiB()-before, "import-MiB")
}

// peakRSSMiB is the process's peak resident set (VmHWM), in MiB; 0 where /proc has none.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkRenderHistory: render of the demo bundle without and with a store holding
// the base branch's 100 runs (labels from the last 20). Goal: ≤ 100 ms more.
func BenchmarkRenderHistory(b *testing.B) {
	const key = "k8s-e2e/e2e"
	gh, getenv := historyAPI(b, 100, key)
	defer gh.Close()
	store := filepath.Join(b.TempDir(), "h.db")
	st, err := history.Open(context.Background(), store)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := benchService(getenv).importBase(context.Background(), st, history.Scope{Repo: "o/r", Key: key}, "main", 100); err != nil {
		b.Fatal(err)
	}
	st.Close()
	dir := filepath.Join(b.TempDir(), "bundle")
	if err := os.CopyFS(dir, os.DirFS("../../testdata/bundles/demo")); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"GITHUB_REPOSITORY": "o/r", "CI_REPORT_COMMENT_KEY": key, "GITHUB_BASE_REF": "main"}
	g := benchService(func(k string) string { return env[k] })
	c, err := g.ResolveComment(prcomment.Flags{Key: key})
	if err != nil {
		b.Fatal(err)
	}
	for _, with := range []bool{false, true} {
		name := "without-store"
		o := RenderOptions{Source: Source{Dir: dir}, Out: filepath.Join(b.TempDir(), "out"), Load: model.Options{TailLines: 200},
			Render: render.Options{ReportBudget: 240 << 10, JSONBudget: 32 << 20, LogLines: 200}, Comment: c}
		if with {
			name, o.History = "with-store", HistoryOptions{Store: store, Runs: 20}
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				r, _, err := g.Render(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				if with && (r.History == nil || r.History.Base.Runs != 20) {
					b.Fatalf("history: %+v", r.History)
				}
			}
		})
	}
}
