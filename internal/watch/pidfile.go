package watch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// A watcher proves that it is the one of its bundle by holding a POSIX write lock on
// the bundle's watch/watch.pid while it runs; the kernel releases it when the process
// ends. Whoever stops the watcher asks the kernel which process holds that lock
// (F_GETLK) and signals only that one: a stale pid file, a reused pid or a pid written
// by anyone else is never signalled.

// PIDFile is a held watch/watch.pid.
type PIDFile struct{ f *os.File }

// LockPIDFile creates path, locks it for this process and writes the pid into it (for
// people; nothing trusts it). It fails if another process holds the lock.
func LockPIDFile(path string) (*PIDFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		f.Close()
		if pid, _ := LockHolder(path); pid > 0 {
			return nil, fmt.Errorf("a watcher (pid %d) already holds %s", pid, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &PIDFile{f: f}, nil
}

// Release removes the file and drops the lock.
func (p *PIDFile) Release() {
	os.Remove(p.f.Name())
	p.f.Close()
}

// LockHolder returns the pid of the process that holds the lock on path, or 0 when none
// does (no watcher runs, whatever the file says).
func LockHolder(path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return 0, errors.New(path + ": not a regular file")
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, fmt.Errorf("query the lock on %s: %w", path, err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	return int(lk.Pid), nil
}
