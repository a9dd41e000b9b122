package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/events"
)

// TestHostilePIDFileHolder: only the process holding the lock is the watcher. A pid
// file naming another live process (a stale file, a reused pid, a planted one) names no
// watcher; a real holder is found by the kernel, whatever the file says.
func TestHostilePIDFileHolder(t *testing.T) {
	if os.Getenv("CI_REPORT_PIDFILE_HELPER") != "" {
		p, err := LockPIDFile(os.Getenv("CI_REPORT_PIDFILE_HELPER"))
		if err != nil {
			os.Exit(3)
		}
		defer p.Release()
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "watch.pid")

	// A live process that is not a watcher, named by a planted pid file.
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Process.Kill()
	os.WriteFile(path, []byte(itoa(other.Process.Pid)+"\n"), 0o644)
	if pid, err := LockHolder(path); err != nil || pid != 0 {
		t.Errorf("planted pid file: holder %d, %v; want none", pid, err)
	}

	// A real holder (another process), while the file names someone else.
	helper := exec.Command(os.Args[0], "-test.run=^TestHostilePIDFileHolder$")
	helper.Env = append(os.Environ(), "CI_REPORT_PIDFILE_HELPER="+path)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pid, _ := LockHolder(path)
		if pid == helper.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("holder %d, want the helper %d", pid, helper.Process.Pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.WriteFile(path, []byte(itoa(other.Process.Pid)+"\n"), 0o644) // the file lies; the lock does not
	if pid, _ := LockHolder(path); pid != helper.Process.Pid {
		t.Errorf("holder %d after the file was rewritten, want %d", pid, helper.Process.Pid)
	}
	if _, err := LockPIDFile(path); err == nil {
		t.Error("a second watcher took the lock")
	}
	helper.Process.Kill()
	helper.Wait()
	if pid, _ := LockHolder(path); pid != 0 {
		t.Errorf("holder %d after the watcher died, want none", pid)
	}
	// A symlink in its place is never followed.
	os.Remove(path)
	os.Symlink(filepath.Join(dir, "elsewhere"), path)
	if _, err := LockPIDFile(path); err == nil {
		t.Error("LockPIDFile followed a symlink")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestHostileWatchFiles: a watcher resuming in a directory whose watch/ files are not
// what it wrote (a FIFO, a symlink out) neither hangs nor follows them: it says which
// file is wrong.
func TestHostileWatchFiles(t *testing.T) {
	for _, name := range []string{bundle.WatchTimeline, bundle.WatchEvents} {
		for _, kind := range []string{"fifo", "symlink"} {
			t.Run(kind+" "+name, func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, filepath.FromSlash(name))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if kind == "fifo" {
					if err := syscall.Mkfifo(p, 0o644); err != nil {
						t.Fatal(err)
					}
				} else {
					outside := filepath.Join(t.TempDir(), "outside")
					os.WriteFile(outside, []byte(`[{"uid":"OUTSIDE"}]`), 0o644)
					os.Symlink(outside, p)
				}
				w := &watcher{o: Options{Dir: dir}, seen: map[string]bool{}, events: map[string]events.Event{}}
				done := make(chan error, 1)
				go func() { done <- w.loadPrevious() }()
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), filepath.Base(name)) {
						t.Errorf("loadPrevious = %v, want an error naming %s", err, name)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("loadPrevious hangs on a FIFO")
				}
				if _, ok := w.events["OUTSIDE"]; ok {
					t.Error("a symlink out of the directory was followed")
				}
				start := time.Now()
				if ts, _, _ := lastTimestamp(p); !ts.IsZero() || time.Since(start) > time.Second {
					t.Errorf("lastTimestamp on a %s: %v after %s", kind, ts, time.Since(start))
				}
			})
		}
	}
}
