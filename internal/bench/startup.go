package bench

import (
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"syscall"
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
func MeasureStartup(bin string, n int) Startup {
	s := Startup{Runs: n}
	var rss []int64
	for i := 0; i < n; i++ {
		cmd := exec.Command(bin, "version")
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			s.Err = fmt.Sprintf("%s version: %v: %s", bin, err, strings.TrimSpace(stderr.String()))
			return s
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = append(rss, ru.Maxrss*1024)
		}
	}
	if len(rss) == 0 {
		s.Err = "no resource usage reported"
		return s
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
