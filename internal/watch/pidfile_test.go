package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
