package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/watch"
)

// Collect gathers the bundle: first it stops the bundle's background watcher, if one
// runs, so that what it recorded is merged; the collection runs under a soft memory limit.
func (s *Service) Collect(ctx context.Context, o collect.Options) (*bundle.Manifest, error) {
	s.StopRunningWatcher(o.OutputDir, time.Minute)
	restore := s.limitCollectMemory()
	defer restore()
	return collect.Run(ctx, o)
}

// collectMemoryLimit is the Go runtime's soft memory limit while collecting, unless the
// user set GOMEMLIMIT. Collect streams logs through small buffers; its live heap is the
// resource lists and events (about 45 MiB at 300 pods and 10,000 events), and the rest
// is garbage from the streams, which the default GOGC=100 lets grow to twice the live
// heap. The limit makes the collector reclaim it sooner: peak RSS 191 -> about 140 MiB
// on the benchmark's 300-pod namespace (docs/benchmarks.md). Render keeps its whole model
// live, so it runs without one.
const collectMemoryLimit = 72 << 20

// limitCollectMemory applies collectMemoryLimit and returns a function that restores
// the previous limit.
func (s *Service) limitCollectMemory() (restore func()) {
	if s.getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(collectMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}

// RunningWatcher returns the pid of the bundle's watcher: the process the kernel says
// holds the lock on its pid file (see watch.LockPIDFile). The pid the file holds is
// returned too, with alive false, when no process holds the lock.
func RunningWatcher(pidFile string) (int, bool) {
	if pid, err := watch.LockHolder(pidFile); err == nil && pid > 0 {
		return pid, true
	}
	b, err := bundle.ReadRegular(pidFile, 64)
	if err != nil {
		return 0, false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return max(pid, 0), false
}

// StopWatcher ends the background watcher and waits until it has exited (it writes its
// state last).
func (s *Service) StopWatcher(out string, wait time.Duration) error {
	pidFile := filepath.Join(out, filepath.FromSlash(bundle.WatchPID))
	pid, alive := RunningWatcher(pidFile)
	if pid == 0 {
		return fmt.Errorf("no watcher for %s: %s does not exist (was `ci-report watch --background -o %s` run?)", out, pidFile, out)
	}
	if !alive {
		os.Remove(pidFile)
		return fmt.Errorf("the watcher of %s (pid %d) is not running any more; see %s", out, pid, filepath.Join(out, filepath.FromSlash(bundle.WatchLog)))
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop the watcher (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(wait)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the watcher (pid %d) did not stop within %s", pid, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(pidFile)
	state := filepath.Join(out, filepath.FromSlash(bundle.WatchState))
	if _, err := os.Stat(state); err != nil {
		return errors.New("the watcher stopped without writing " + state + "; see " + filepath.Join(out, filepath.FromSlash(bundle.WatchLog)))
	}
	s.log().Info("watcher stopped", "pid", pid)
	return nil
}

// processAlive reports a process that exists and is not a zombie (a detached watcher's
// parent may never reap it).
func processAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// StopRunningWatcher stops the background watcher of a bundle directory, if one runs,
// so that collect merges everything it recorded.
func (s *Service) StopRunningWatcher(out string, wait time.Duration) {
	pidFile := filepath.Join(out, filepath.FromSlash(bundle.WatchPID))
	if _, alive := RunningWatcher(pidFile); !alive {
		return
	}
	s.log().Info("stopping the background watcher of the bundle first", "dir", out)
	if err := s.StopWatcher(out, wait); err != nil {
		s.log().Warn("could not stop the watcher; collect uses what it wrote so far", "err", err)
	}
}
