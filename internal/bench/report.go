package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Result is one contender's runs.
type Result struct {
	Name string `json:"name"`
	Note string `json:"note"`
	Runs []Run  `json:"runs"`
}

// Median wall time of the successful runs.
func (r Result) Median() time.Duration {
	var ws []time.Duration
	for _, x := range r.Runs {
		if x.Err == "" {
			ws = append(ws, x.Wall)
		}
	}
	if len(ws) == 0 {
		return 0
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i] < ws[j] })
	if len(ws)%2 == 1 {
		return ws[len(ws)/2]
	}
	return (ws[len(ws)/2-1] + ws[len(ws)/2]) / 2
}

func (r Result) spread() (time.Duration, time.Duration) {
	var lo, hi time.Duration
	for _, x := range r.Runs {
		if x.Err != "" {
			continue
		}
		if lo == 0 || x.Wall < lo {
			lo = x.Wall
		}
		if x.Wall > hi {
			hi = x.Wall
		}
	}
	return lo, hi
}

func (r Result) maxOf(f func(Run) int64) int64 {
	var m int64
	for _, x := range r.Runs {
		m = max(m, f(x))
	}
	return m
}

// Point is one scaling or render measurement.
type Point struct {
	What   string        `json:"what"`
	Wall   time.Duration `json:"wallNs"`
	MaxRSS int64         `json:"maxRSSBytes"`
	Bytes  int64         `json:"bytes"`
	Err    string        `json:"error,omitempty"`
}

// Results is bench/results.json.
type Results struct {
	Date     time.Time `json:"date"`
	Machine  string    `json:"machine"`
	Workload Size      `json:"workload"`
	Reps     int       `json:"repetitions"`
	// KubeletProtocol is how kwok served the logs to the API server: "http/1.1" (the
	// default here) or "h2" (-kubelet-http2, like a real kubelet).
	KubeletProtocol string   `json:"kubeletProtocol"`
	SeedTime        string   `json:"seedTime"`
	IdleRate        float64  `json:"idleRequestsPerSecond"`
	Collect         []Result `json:"collect"`
	Scaling         []Point  `json:"scaling"`
	Render          []Point  `json:"render"`
	Startup         *Startup `json:"startup,omitempty"`
	TotalTime       string   `json:"totalTime"`
}

func mib(b int64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%d KiB", b>>10)
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// Write prints the tables as Markdown.
func (res *Results) Write(w io.Writer) {
	fmt.Fprintf(w, "Workload: %d pods × 2 containers (a third restarted: %d container logs), %s per log, %d events, %d custom resources; %d alternating repetitions; logs served by kwok over %s; %s; %s.\n\n",
		res.Workload.Pods, res.Workload.Containers(), mib(res.Workload.LogBytes), res.Workload.Events, res.Workload.CRs, res.Reps, protocolName(res.KubeletProtocol), res.Machine, res.Date.Format("2006-01-02"))
	fmt.Fprintln(w, "| contender | wall (median) | spread | peak RSS | written | API requests |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range res.Collect {
		lo, hi := r.spread()
		errs := 0
		for _, x := range r.Runs {
			if x.Err != "" {
				errs++
			}
		}
		note := ""
		if errs > 0 {
			note = fmt.Sprintf(" (%d failed: %s)", errs, firstErr(r))
		}
		fmt.Fprintf(w, "| %s%s | %s | %s–%s | %s | %s | ≈%d |\n", r.Name, note, secs(r.Median()), secs(lo), secs(hi),
			mib(r.maxOf(func(x Run) int64 { return x.MaxRSS })), mib(r.maxOf(func(x Run) int64 { return x.Bytes })), r.maxOf(func(x Run) int64 { return x.Requests }))
	}
	by := map[string]Result{}
	for _, r := range res.Collect {
		by[r.Name] = r
	}
	eq, raw, seed, dump := by["ci-report collect, equal work"], by["raw limit"], by["seed-style kubectl script"], by["kubectl cluster-info dump"]
	ratio := func(a, b Result) string {
		if a.Median() == 0 || b.Median() == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", a.Median().Seconds()/b.Median().Seconds())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Ratios (medians): collect at equal work ÷ raw limit = %s (goal ≤ 1.2×); seed-style script ÷ collect = %s (goal ≥ 3.5×); cluster-info dump ÷ collect = %s (goal ≥ 1.8×; the dump fetches less); seed-style ÷ raw limit = %s (the most collect can reach).\n",
		ratio(eq, raw), ratio(seed, eq), ratio(dump, eq), ratio(seed, raw))
	if len(res.Scaling) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| scaling: ci-report collect, defaults | wall | peak RSS | written |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, p := range res.Scaling {
			fmt.Fprintf(w, "| %s%s | %s | %s | %s |\n", p.What, errNote(p.Err), secs(p.Wall), mib(p.MaxRSS), mib(p.Bytes))
		}
	}
	if len(res.Render) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| ci-report render | wall | peak RSS | report.json |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, p := range res.Render {
			fmt.Fprintf(w, "| %s%s | %.2f s | %s | %s |\n", p.What, errNote(p.Err), p.Wall.Seconds(), mib(p.MaxRSS), mib(p.Bytes))
		}
	}
	if res.Startup != nil {
		fmt.Fprintf(w, "\n%s\n", res.Startup.line())
	}
	fmt.Fprintf(w, "\nSeeding took %s; the whole benchmark %s. Requests are apiserver_request_total deltas minus the idle rate (%.1f/s), so approximate.\n", res.SeedTime, res.TotalTime, res.IdleRate)
}

func protocolName(p string) string {
	switch p {
	case "h2":
		return "HTTP/2"
	case "http/1.1":
		return "HTTP/1.1"
	case "":
		return "an unrecorded protocol"
	}
	return p
}

func firstErr(r Result) string {
	for _, x := range r.Runs {
		if x.Err != "" {
			return strings.ReplaceAll(x.Err, "|", "/")
		}
	}
	return ""
}

func errNote(e string) string {
	if e == "" {
		return ""
	}
	if len(e) > 80 {
		e = e[:80]
	}
	return " (failed: " + strings.ReplaceAll(e, "|", "/") + ")"
}
