package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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

// StartWatcher starts `ci-report ARGS` (a watch writing to out) detached from this
// process, and waits until it has listed everything (its watch/ready file), so the tests
// start after it watches. It returns the watcher's pid.
func (s *Service) StartWatcher(ctx context.Context, args []string, out string, wait time.Duration) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	dir := filepath.Join(out, bundle.WatchDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	pidFile := filepath.Join(out, filepath.FromSlash(bundle.WatchPID))
	if pid, ok := RunningWatcher(pidFile); ok {
		return 0, fmt.Errorf("a watcher (pid %d) already writes to %s: stop it with `ci-report watch --stop -o %s`", pid, dir, out)
	}
	ready := filepath.Join(out, filepath.FromSlash(bundle.WatchReady))
	os.Remove(ready)
	logf, err := os.OpenFile(filepath.Join(out, filepath.FromSlash(bundle.WatchLog)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	child := exec.Command(self, args...)
	child.Stdout, child.Stderr = logf, logf
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return 0, fmt.Errorf("start the watcher: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.After(wait)
	for {
		select {
		case err := <-exited:
			return 0, fmt.Errorf("the watcher exited before it was ready (%v); see %s", err, filepath.Join(dir, "watch.log"))
		case <-deadline:
			child.Process.Signal(syscall.SIGTERM)
			return 0, fmt.Errorf("the watcher was not ready after %s; see %s", wait, filepath.Join(dir, "watch.log"))
		case <-ctx.Done():
			child.Process.Signal(syscall.SIGTERM)
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
			if _, err := os.Stat(ready); err == nil {
				s.log().Info("watching in the background", "pid", child.Process.Pid, "log", filepath.Join(dir, "watch.log"))
				return child.Process.Pid, nil
			}
		}
	}
}

// Watch records the cluster into o.Dir/watch until ctx ends, holding the bundle's watcher
// lock (one watcher per bundle directory).
func (s *Service) Watch(ctx context.Context, o watch.Options) error {
	if err := os.MkdirAll(filepath.Join(o.Dir, bundle.WatchDir), 0o755); err != nil {
		return err
	}
	pid, err := watch.LockPIDFile(filepath.Join(o.Dir, filepath.FromSlash(bundle.WatchPID)))
	if err != nil {
		return fmt.Errorf("%w: stop it with `ci-report watch --stop -o %s`", err, o.Dir)
	}
	defer pid.Release()
	return watch.Run(ctx, o, nil)
}
