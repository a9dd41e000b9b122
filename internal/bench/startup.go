package bench

import (
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// Startup is the peak RSS of `ci-report version`: what every command holds before it does
// anything (the package initialisers and the command tree). Goal: 40 MiB.
type Startup struct {
	Runs   int    `json:"runs"`
	Min    int64  `json:"minRSSBytes"`
	Median int64  `json:"medianRSSBytes"`
	Max    int64  `json:"maxRSSBytes"`
	Err    string `json:"error,omitempty"`
}

// StartupGoal is the most `ci-report version` may hold.
const StartupGoal = 40 << 20

// MeasureStartup runs `bin version` n times. Give it the binary as a user has it: built
// as a release is (CGO_ENABLED=0: a cgo binary also maps the C library, about 7 MiB more)
// and extracted from the archive by tar (the file the Go linker writes itself can measure
// several MiB more: its page cache is laid out differently).
//
// The peak RSS is GNU time's (%M), not this process's rusage of its child: Go starts a
// child with clone(CLONE_VM), so until it execs the child shares this process's memory,
// and Linux keeps that high-water mark in the child's ru_maxrss across exec: a 58 MiB
// harness read as a 58 MiB ci-report. GNU time forks its child from its own small image.
func MeasureStartup(bin string, n int) Startup {
	s := Startup{Runs: n}
	gnuTime, err := exec.LookPath("time")
	if err != nil {
		s.Err = "GNU time (/usr/bin/time) is needed to measure a child's own peak RSS: " + err.Error()
		return s
	}
	var rss []int64
	for i := 0; i < n; i++ {
		cmd := exec.Command(gnuTime, "-f", "%M", bin, "version")
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := cmd.Run()
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		kb, perr := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
		if err != nil || perr != nil {
			msg := strings.TrimSpace(strings.Join(lines[:max(len(lines)-1, 0)], " "))
			if perr != nil {
				msg = strings.TrimSpace(stderr.String())
			}
			s.Err = fmt.Sprintf("%s version: %v: %s", bin, err, msg)
			return s
		}
		rss = append(rss, kb<<10)
	}
	sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
	s.Min, s.Median, s.Max = rss[0], rss[len(rss)/2], rss[len(rss)-1]
	return s
}

// line is the startup sentence of the benchmark's report.
func (s *Startup) line() string {
	if s.Err != "" {
		return fmt.Sprintf("`ci-report version` peak RSS: not measured%s.", errNote(s.Err))
	}
	verdict := "met"
	if s.Max > StartupGoal {
		verdict = "missed"
	}
	return fmt.Sprintf("`ci-report version` peak RSS over %d runs of the installed binary: %s, median %s, at most %s (goal ≤ %s on every run: %s).",
		s.Runs, mibf(s.Min), mibf(s.Median), mibf(s.Max), mibf(StartupGoal), verdict)
}

func mibf(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
