// Command bench measures ci-report collect and render against the kubectl baselines on
// the local cluster and writes bench/results.json (make bench; make bench-quick for the
// small size CI runs).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/org/k8s-e2e-report/internal/bench"
	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "raw" {
		fs := flag.NewFlagSet("raw", flag.ExitOnError)
		kc, urls, out := fs.String("kubeconfig", "", ""), fs.String("urls", "", ""), fs.String("out", "", "")
		par := fs.Int("parallel", 8, "")
		fs.Parse(os.Args[2:])
		if err := bench.Raw(*kc, *urls, *out, *par); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	quick := flag.Bool("quick", false, "small size, one repetition (CI)")
	pods := flag.Int("pods", 300, "pods in the main workload")
	logMiB := flag.Float64("log-mib", 2, "MiB of log per container")
	events := flag.Int("events", 10000, "events")
	crs := flag.Int("crs", 1000, "custom resources")
	reps := flag.Int("reps", 2, "alternating repetitions of each contender")
	seedReps := flag.Int("seed-reps", 1, "repetitions of the seed-style script (about 5 minutes each at the default size)")
	scaling := flag.Bool("scaling", true, "collect at 100 / 1,000 pods and 1 / 10 MiB logs, render at 10 MiB / 100 MiB / 1 GiB")
	out := flag.String("out", "bench/results.json", "results file")
	flag.StringVar(&only, "only", "", "run only the contenders whose name contains this")
	flag.StringVar(&keepDir, "keep", "", "copy the equal-work bundle here (to profile render on it)")
	flag.BoolVar(&kubeletHTTP2, "kubelet-http2", false, "let kwok serve logs over HTTP/2 as a real kubelet does (slower: one connection, a frame per line; see README)")
	flag.Parse()
	size := bench.Size{Namespace: "bench", Pods: *pods, Events: *events, CRs: *crs, LogBytes: int64(*logMiB * (1 << 20))}
	if *quick {
		size = bench.Size{Namespace: "bench", Pods: 12, Events: 200, CRs: 20, LogBytes: 64 << 10}
		*reps = 1
	}
	if err := run(size, *reps, *seedReps, *scaling, *quick, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var (
	only, keepDir string
	kubeletHTTP2  bool
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(size bench.Size, reps, seedReps int, scaling, quick bool, out string) error {
	began := time.Now()
	ctx := context.Background()
	work, err := os.MkdirTemp("", "ci-report-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Every contender that is ci-report runs the binary users run: the release archive's,
	// extracted by tar (CGO_ENABLED=0, -trimpath, -s -w).
	cireport, err := releaseBinary(work)
	if err != nil {
		return err
	}
	startup := measureStartup(cireport, quick)
	seed, err := filepath.Abs("testdata/bench/seed-collect.sh")
	if err != nil {
		return err
	}
	c, err := testenv.Start(ctx, testenv.Options{KubeletHTTP1: !kubeletHTTP2})
	if err != nil {
		return err
	}
	defer c.Stop()
	proto, err := c.KubeletProtocol()
	if err != nil {
		return fmt.Errorf("kubelet protocol: %w", err)
	}
	e := &bench.Env{Cluster: c, CIReport: cireport, Self: self, Seed: seed, Work: work, Parallel: 8}

	t0 := time.Now()
	logf("seeding %d pods, %d events, %d custom resources, %d KiB per log", size.Pods, size.Events, size.CRs, size.LogBytes>>10)
	if err := bench.Seed(ctx, c, size); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	res := &bench.Results{Date: time.Now().UTC(), Machine: machine(), Workload: size, Reps: reps, SeedTime: time.Since(t0).Round(time.Second).String(), KubeletProtocol: proto, Startup: &startup}
	e.Calibrate(5 * time.Second)

	contenders := bench.Contenders()
	res.Collect = make([]bench.Result, len(contenders))
	keep := ""
	for rep := 0; rep < reps; rep++ {
		for k := range contenders {
			i := (k + rep) % len(contenders) // alternate the order between repetitions
			ct := contenders[i]
			res.Collect[i].Name, res.Collect[i].Note = ct.Name, ct.Note
			if ct.Name == "seed-style kubectl script" && rep >= seedReps || !strings.Contains(ct.Name, only) {
				continue
			}
			dir := filepath.Join(work, fmt.Sprintf("out-%d-%d", i, rep))
			os.MkdirAll(dir, 0o755)
			cmd, err := ct.Cmd(e, size.Namespace, dir)
			var r bench.Run
			if err != nil {
				r.Err = err.Error()
			} else {
				r = e.Measure(cmd, dir)
			}
			logf("%-32s rep %d: %s, %d MiB RSS, %d MiB written, ≈%d requests %s", ct.Name, rep+1, r.Wall.Round(100*time.Millisecond), r.MaxRSS>>20, r.Bytes>>20, r.Requests, r.Err)
			res.Collect[i].Runs = append(res.Collect[i].Runs, r)
			if ct.Name == "ci-report collect, equal work" && keep == "" && r.Err == "" {
				keep = dir // rendered below
				continue
			}
			os.RemoveAll(dir)
		}
	}

	if keep != "" && keepDir != "" {
		if err := exec.Command("cp", "-a", keep, keepDir).Run(); err != nil {
			return fmt.Errorf("keep: %w", err)
		}
	}
	if keep != "" {
		for i := 0; i < 3; i++ {
			p := renderPoint(e, keep, fmt.Sprintf("the %d-pod bundle above (%s of logs)", size.Pods, mibs(bench.DU(filepath.Join(keep, bundle.LogsDir)))))
			if i == 2 || p.Err != "" {
				res.Render = append(res.Render, p)
				break
			}
		}
	}
	if scaling {
		points := []struct {
			what string
			s    bench.Size
		}{
			{"100 pods, 2 MiB logs", bench.Size{Namespace: "bench-p100", Pods: 100, Events: 1000, CRs: 100, LogBytes: 2 << 20}},
			{"1,000 pods, 2 MiB logs", bench.Size{Namespace: "bench-p1000", Pods: 1000, Events: 10000, CRs: 1000, LogBytes: 2 << 20}},
			{"100 pods, 1 MiB logs", bench.Size{Namespace: "bench-l1", Pods: 100, Events: 1000, CRs: 100, LogBytes: 1 << 20}},
			{"100 pods, 10 MiB logs", bench.Size{Namespace: "bench-l10", Pods: 100, Events: 1000, CRs: 100, LogBytes: 10 << 20}},
		}
		if quick {
			points = points[:0]
			points = append(points, struct {
				what string
				s    bench.Size
			}{"24 pods, 128 KiB logs", bench.Size{Namespace: "bench-q", Pods: 24, Events: 100, CRs: 10, LogBytes: 128 << 10}})
		}
		for _, pt := range points {
			logf("scaling: seeding %s", pt.what)
			if err := bench.Seed(ctx, c, pt.s); err != nil {
				res.Scaling = append(res.Scaling, bench.Point{What: pt.what, Err: err.Error()})
				continue
			}
			dir := filepath.Join(work, "scale-"+pt.s.Namespace)
			cmd := exec.Command(cireport, "--kubeconfig", c.Kubeconfig, "collect", "-q", "-n", pt.s.Namespace, "-o", dir, "--crd", "apigraphs.turboengine.io")
			r := e.Measure(cmd, dir)
			res.Scaling = append(res.Scaling, bench.Point{What: pt.what, Wall: r.Wall, MaxRSS: r.MaxRSS, Bytes: r.Bytes, Err: r.Err})
			logf("scaling %s: %s, %d MiB RSS", pt.what, r.Wall.Round(100*time.Millisecond), r.MaxRSS>>20)
			os.RemoveAll(dir)
		}
		if keep != "" {
			targets := []int64{10 << 20, 100 << 20, 1 << 30}
			if quick {
				targets = []int64{1 << 20, 10 << 20}
			}
			for _, total := range targets {
				dir := filepath.Join(work, fmt.Sprintf("render-%d", total>>20))
				if err := resized(keep, dir, total); err != nil {
					res.Render = append(res.Render, bench.Point{What: mibs(total), Err: err.Error()})
					continue
				}
				res.Render = append(res.Render, renderPoint(e, dir, fmt.Sprintf("%d pods, %s of logs", size.Pods, mibs(total))))
				os.RemoveAll(dir)
			}
		}
	}
	res.IdleRate = math.Round(e.IdleRate()*10) / 10
	res.TotalTime = time.Since(began).Round(time.Second).String()
	res.Write(os.Stdout)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s", out)
	for _, r := range res.Collect {
		for _, x := range r.Runs {
			if x.Err != "" && strings.HasPrefix(r.Name, "ci-report") {
				return fmt.Errorf("%s failed: %s", r.Name, x.Err)
			}
		}
	}
	return nil
}

// releaseBinary builds this platform's release archive with scripts/release.sh and
// extracts its ci-report with tar, as the action installs it.
func releaseBinary(work string) (string, error) {
	dist, dir := filepath.Join(work, "dist"), filepath.Join(work, "installed")
	rel := exec.Command("bash", "scripts/release.sh")
	rel.Env = append(os.Environ(), "PLATFORMS=linux/"+runtime.GOARCH, "DIST="+dist, "VERSION=bench", "CGO_ENABLED=0")
	if b, err := rel.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the release archive: %v: %s", err, lastLine(b))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if b, err := exec.Command("tar", "-C", dir, "-xzf", filepath.Join(dist, "ci-report_linux_"+runtime.GOARCH+".tar.gz")).CombinedOutput(); err != nil {
		return "", fmt.Errorf("extract the release archive: %v: %s", err, lastLine(b))
	}
	return filepath.Join(dir, "ci-report"), nil
}

// measureStartup measures `ci-report version` before the cluster starts (nothing else
// running): 30 runs, 5 in the quick size.
func measureStartup(cireport string, quick bool) bench.Startup {
	n := 30
	if quick {
		n = 5
	}
	s := bench.MeasureStartup(cireport, n)
	logf("startup: ci-report version, %d runs: %d–%d MiB RSS %s", n, s.Min>>20, s.Max>>20, s.Err)
	return s
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func renderPoint(e *bench.Env, bundleDir, what string) bench.Point {
	outDir := filepath.Join(e.Work, "rendered")
	os.RemoveAll(outDir)
	cmd := exec.Command(e.CIReport, "render", bundleDir, "--report-dir", outDir, "-q")
	r := e.Measure(cmd, outDir)
	p := bench.Point{What: what, Wall: r.Wall, MaxRSS: r.MaxRSS, Err: r.Err}
	if st, err := os.Stat(filepath.Join(outDir, "report.json")); err == nil {
		p.Bytes = st.Size()
	}
	logf("render %s: %s, %d MiB RSS", what, r.Wall.Round(10*time.Millisecond), r.MaxRSS>>20)
	return p
}

// resized copies a bundle with its logs scaled so they total about total bytes (each
// log repeats its own content).
func resized(src, dst string, total int64) error {
	var logs []string
	var logBytes int64
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, ".log") {
			logs = append(logs, rel)
			logBytes += info.Size()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil || len(logs) == 0 {
		return err
	}
	per := total / int64(len(logs))
	for _, rel := range logs {
		f, err := os.Open(filepath.Join(src, rel))
		if err != nil {
			return err
		}
		chunk, _ := io.ReadAll(io.LimitReader(f, min(per, 1<<20)))
		f.Close()
		if i := strings.LastIndexByte(string(chunk), '\n'); i > 0 {
			chunk = chunk[:i+1]
		}
		w, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		for written := int64(0); written < per && len(chunk) > 0; written += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				w.Close()
				return err
			}
		}
		w.Close()
	}
	return nil
}

func mibs(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.0f GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, model, _ = strings.Cut(l, ":")
				model = strings.TrimSpace(model)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d cores (%s), %s RAM, %s", runtime.NumCPU(), model, mem, runtime.Version())
}
