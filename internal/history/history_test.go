package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/history/pgtest"
	"github.com/org/k8s-e2e-report/internal/model"
	"github.com/org/k8s-e2e-report/internal/results"
)

// run builds a base-branch digest: tests maps a test name to its status; finding
// titles are on pod subjects.
func run(repo, sha string, at int, tests map[string]results.Status, pods ...string) Digest {
	d := Digest{Version: DigestVersion, Repo: repo, Key: "e2e/test", Branch: "main", SHA: sha, Run: sha,
		Time: time.Date(2026, 11, 1, 0, at, 0, 0, time.UTC)}
	for n, st := range tests {
		d.Tests = append(d.Tests, Test{Suite: "e2e", Name: n, Status: string(st), Attempts: 1})
	}
	for _, p := range pods {
		d.Findings = append(d.Findings, findingOf("CrashLoop", "pod/shop/"+p, "Container api of "+p+" is crash-looping (12 restarts)"))
	}
	return d
}

// report is a report with these test outcomes and a crash-loop finding on pod.
func report(tests map[string]results.Status, pods ...string) *model.Report {
	r := &model.Report{Tests: &results.Results{}}
	for n, st := range tests {
		c := results.Case{Suite: "e2e", Name: n, Status: st, Attempts: 1}
		r.Tests.Cases = append(r.Tests.Cases, c)
		if st.Failing() {
			r.FailedTests = append(r.FailedTests, model.FailedTest{Case: c})
		}
	}
	for _, p := range pods {
		r.Findings = append(r.Findings, findings.Finding{Category: "CrashLoop", Severity: "error",
			Subject: findings.Subject{Kind: "pod", Namespace: "shop", Name: p}, Title: "Container api of " + p + " is crash-looping (3 restarts)"})
	}
	return r
}

func stores(t *testing.T) map[string]string {
	return map[string]string{
		"sqlite":   filepath.Join(t.TempDir(), "history.db"),
		"postgres": pgtest.Start(t),
	}
}

const (
	P = results.Passed
	F = results.Failed
)

func TestLabelsAgainstTheBaseBranch(t *testing.T) {
	ctx := context.Background()
	for dialect, dsn := range stores(t) {
		t.Run(dialect, func(t *testing.T) {
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Oldest first: c1 … c6. "broken" fails since c4; "flips" fails now and then;
			// "fixed-here" fails in the latest run; "new-here" never failed.
			base := []Digest{
				run("o/r", "c100000", 1, map[string]results.Status{"broken": P, "flips": F, "fixed-here": P, "new-here": P}),
				run("o/r", "c200000", 2, map[string]results.Status{"broken": P, "flips": P, "fixed-here": P, "new-here": P}),
				run("o/r", "c300000", 3, map[string]results.Status{"broken": P, "flips": F, "fixed-here": P, "new-here": P}),
				run("o/r", "c400000", 4, map[string]results.Status{"broken": F, "flips": P, "fixed-here": P, "new-here": P}, "api-5f6c7b9d48-qm4tp"),
				run("o/r", "c500000", 5, map[string]results.Status{"broken": F, "flips": F, "fixed-here": P, "new-here": P}, "api-6b8d9c7f5d-zz2kk"),
				run("o/r", "c600000", 6, map[string]results.Status{"broken": F, "flips": P, "fixed-here": F, "new-here": P}, "api-8c9d7b6f4d-pp4ww"),
			}
			for _, d := range base {
				if ok, err := s.Record(ctx, d); err != nil || !ok {
					t.Fatalf("record %s: %v %v", d.SHA, ok, err)
				}
			}
			if ok, err := s.Record(ctx, base[0]); err != nil || ok {
				t.Fatalf("recording a run twice: stored=%v err=%v, want a no-op", ok, err)
			}
			// Another job's and another branch's runs do not count.
			other := run("o/r", "d100000", 7, map[string]results.Status{"new-here": F})
			other.Branch = "feature"
			mustRecord(t, s, other)
			w, err := s.Window(ctx, Scope{"o/r", "e2e/test"}, "main", 20, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Runs) != 6 || w.Runs[0].SHA != "c600000" {
				t.Fatalf("window: %d runs, newest %q", len(w.Runs), w.Runs[0].SHA)
			}
			// The crash-looping pod has a new name in this run, as every run.
			r := report(map[string]results.Status{"broken": F, "flips": F, "fixed-here": P, "new-here": F}, "api-9f8b7d6c5b-xb2cd")
			Label(r, w)
			want := map[string]results.History{
				"broken":   {State: Failing, Since: "c400000", Runs: 6, Failures: 3},
				"flips":    {State: Flaky, Runs: 6, Failures: 3},
				"new-here": {State: New, Runs: 6},
			}
			for _, c := range r.Tests.Cases {
				if w, ok := want[c.Name]; ok && (c.History == nil || *c.History != w) {
					t.Errorf("%s: %+v, want %+v", c.Name, c.History, w)
				}
			}
			for _, ft := range r.FailedTests {
				if ft.Case.History == nil {
					t.Errorf("failed test %s has no label", ft.Case.Name)
				}
			}
			if got := r.Findings[0].History; got == nil || got.State != Failing || got.Since != "c400000" || got.Failures != 3 {
				t.Errorf("renamed pod's finding: %+v, want failing since c400000 in 3 runs", got)
			}
			// Each label's strip: its outcome in each base run, oldest first.
			for _, c := range r.Tests.Cases {
				want := map[string]string{"broken": "pppfff", "flips": "fpfpfp", "new-here": "pppppp"}[c.Name]
				if got := r.History.Recent[c.ID()]; want != "" && got != want {
					t.Errorf("%s's strip %q, want %q", c.Name, got, want)
				}
			}
			if got := r.History.Recent[r.Findings[0].ID]; got != "pppfff" {
				t.Errorf("the renamed pod's finding's strip %q, want pppfff", got)
			}
			h := r.History
			if h.New != 1 || h.Failing != 1 || h.Flaky != 1 || strings.Join(h.Fixed, ",") != "fixed-here" || h.Since != "c400000" || h.Streak != 3 || h.Base.Latest != "c600000" {
				t.Errorf("summary: %+v", h)
			}
			// The window is the last n runs: with 2, "broken" has failed in all of them.
			w2, _ := s.Window(ctx, Scope{"o/r", "e2e/test"}, "main", 2, "")
			if l := testState(w2, TestKey{Suite: "e2e", Name: "broken"}, F); l.State != Failing || l.Since != "c500000" || l.Runs != 2 {
				t.Errorf("window of 2: %+v", l)
			}
		})
	}
}

func TestFlakyOnTheSameTreeAndOnARetry(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := run("o/r", "a100000", 1, map[string]results.Status{"t": P})
	d.Tree, d.Branch = "tree1", "pr-branch"
	mustRecord(t, s, d)
	w, err := s.Window(ctx, Scope{"o/r", "e2e/test"}, "main", 20, "tree1")
	if err != nil {
		t.Fatal(err)
	}
	if l := testState(w, TestKey{Suite: "e2e", Name: "t"}, F); l.State != Flaky {
		t.Errorf("failed here, passed on the same tree: %+v, want flaky", l)
	}
	r := report(map[string]results.Status{"retried": results.Flaky})
	Label(r, Window{Branch: "main", Runs: []Run{{SHA: "a100000", Failed: map[TestKey]string{}}}})
	if l := r.Tests.Cases[0].History; l == nil || l.State != Flaky {
		t.Errorf("passed on a retry: %+v, want flaky", l)
	}
}

func TestNoHistory(t *testing.T) {
	r := report(map[string]results.Status{"t": F})
	Label(r, Window{Branch: "main"})
	if r.History.Note == "" || r.Tests.Cases[0].History != nil {
		t.Errorf("with no base runs: %+v / %+v", r.History, r.Tests.Cases[0].History)
	}
}

func TestStoreRefusesWhatIsNotADatabaseFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "h.db")
	if err := os.Symlink("/etc/passwd", link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), link); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("symlinked store: %v", err)
	}
}

func TestStoreRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO ci_report_schema (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer than this ci-report knows") {
		t.Errorf("newer schema: %v", err)
	}
}

func TestDigestRoundTripAndRefusals(t *testing.T) {
	dir := t.TempDir()
	r := report(map[string]results.Status{"a": F, "b": P}, "api-7d4b9c8f6d-x2k9z")
	d := FromReport(r, Meta{Repo: "o/r", Key: "k", Branch: "main", SHA: "abc1234", Time: time.Unix(1, 0)})
	p := filepath.Join(dir, DigestFile)
	if err := WriteDigest(p, d); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDigest(p)
	if err != nil || len(got.Tests) != 2 || len(got.Findings) != 1 || got.Findings[0].Subject != "pod/shop/api-*" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for name, body := range map[string]string{
		"newer":  `{"version": 2, "sha": "a", "branch": "b", "time": "2026-01-01T00:00:00Z"}`,
		"none":   `{"tests": []}`,
		"no sha": `{"version": 1, "branch": "b", "time": "2026-01-01T00:00:00Z"}`,
		"junk":   `<xml/>`,
	} {
		p := filepath.Join(dir, "bad.json")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := ReadDigest(p); err == nil {
			t.Errorf("%s digest accepted", name)
		}
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err == nil {
		if _, err := ReadDigest(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO digest: %v", err)
		}
	}
}

func mustRecord(t *testing.T, s *Store, d Digest) {
	t.Helper()
	if _, err := s.Record(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

func TestFailingUnderEachMode(t *testing.T) {
	r := report(map[string]results.Status{"known": F, "fresh": F, "ok": P}, "api-7d4b9c8f6d-x2k9z")
	for i := range r.Tests.Cases {
		if r.Tests.Cases[i].Name == "known" {
			r.Tests.Cases[i].History = &results.History{State: Failing}
		} else {
			r.Tests.Cases[i].History = &results.History{State: New}
		}
	}
	r.Findings[0].History = &results.History{State: Flaky}
	for mode, want := range map[string]int{FailOnNew: 1, FailOnAny: 3, FailOnNone: 0} {
		if got := Blocking(r, mode); got != want {
			t.Errorf("%s: %d, want %d", mode, got, want)
		}
	}
	// Without labels (no store) every failure is new.
	if got := Blocking(report(map[string]results.Status{"a": F}, "p-x2k9z"), FailOnNew); got != 2 {
		t.Errorf("unlabelled: %d, want 2", got)
	}
}

// A re-run's digest replaces its run's earlier attempt (the latest attempt decides the
// run's outcome), an earlier attempt arriving late is not kept, and a branch keeps its
// newest Keep runs: recording one more deletes the oldest, with what it recorded.
func TestReRunsAndRetention(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			st.Keep = 3
			sc := Scope{Repo: "o/retain", Key: "e2e/test"}
			first := run("o/retain", "aaa", 1, map[string]results.Status{"t": F})
			first.Run = RunKey("501", 1)
			retry := run("o/retain", "aaa", 2, map[string]results.Status{"t": P})
			retry.Run = RunKey("501", 2)
			for _, d := range []Digest{first, retry} {
				if ok, err := st.Record(ctx, d); err != nil || !ok {
					t.Fatalf("record %s: %v %v", d.Run, ok, err)
				}
			}
			if ok, err := st.Record(ctx, first); err != nil || ok {
				t.Errorf("the earlier attempt was recorded again after the re-run: %v %v", ok, err)
			}
			w, err := st.Window(ctx, sc, "main", 20, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Runs) != 1 || w.Runs[0].ID != "501#2" || len(w.Runs[0].Failed) != 0 {
				t.Fatalf("after a passing re-run: %+v, want its one latest attempt", w.Runs)
			}
			for i := 3; i <= 7; i++ {
				d := run("o/retain", fmt.Sprintf("s%d", i), i, map[string]results.Status{"t": F})
				if _, err := st.Record(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			w, err = st.Window(ctx, sc, "main", 20, "")
			if err != nil {
				t.Fatal(err)
			}
			var shas []string
			for _, r := range w.Runs {
				shas = append(shas, r.SHA)
			}
			if strings.Join(shas, ",") != "s7,s6,s5" {
				t.Errorf("kept %v, want the newest 3", shas)
			}
			var orphans int
			if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tests WHERE run_id NOT IN (SELECT id FROM runs)`).Scan(&orphans); err != nil || orphans != 0 {
				t.Errorf("%d tests of deleted runs left (%v)", orphans, err)
			}
		})
	}
}

// Two jobs recording into one PostgreSQL database at once (the organisation's store):
// every run is recorded once, and retention under contention keeps the newest.
func TestConcurrentRecordsOnPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	ctx := context.Background()
	var errs [2]error
	done := make(chan int)
	for j := range 2 {
		go func() {
			defer func() { done <- j }()
			st, err := Open(ctx, dsn)
			if err != nil {
				errs[j] = err
				return
			}
			defer st.Close()
			st.Keep = 15
			for i := range 10 {
				d := run("o/pg", fmt.Sprintf("j%d-%d", j, i), j*10+i, map[string]results.Status{"t": F, "u": P})
				if _, err := st.Record(ctx, d); err != nil {
					errs[j] = fmt.Errorf("record %s: %w", d.SHA, err)
					return
				}
			}
		}()
	}
	<-done
	<-done
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Window(ctx, Scope{Repo: "o/pg", Key: "e2e/test"}, "main", 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Runs) != 15 || w.Runs[0].SHA != "j1-9" {
		t.Errorf("%d runs kept, newest %v; want 15, newest j1-9", len(w.Runs), w.Runs[0].SHA)
	}
}
