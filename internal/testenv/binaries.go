package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// EnvDir names the environment variable that points at a directory built by
// tools/build.sh (holding bin/, kwok-crds/ and kwok-stages/). When it is unset,
// testenv runs tools/build.sh itself, which is a no-op once the cache is warm.
const EnvDir = "CI_REPORT_TESTENV_DIR"

// Binaries is where the control-plane binaries and kwok's manifests are.
type Binaries struct {
	Dir string
}

func (b Binaries) bin(name string) string { return filepath.Join(b.Dir, "bin", name) }

// Kubectl is the path of the kubectl built with the cluster.
func (b Binaries) Kubectl() string { return b.bin("kubectl") }

func (b Binaries) check() error {
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"} {
		if _, err := os.Stat(b.bin(name)); err != nil {
			return fmt.Errorf("testenv binary %s missing in %s (run `make testenv`): %w", name, b.Dir, err)
		}
	}
	for _, d := range []string{"kwok-crds", "kwok-stages"} {
		if _, err := os.Stat(filepath.Join(b.Dir, d)); err != nil {
			return fmt.Errorf("testenv %s missing in %s (run `make testenv`): %w", d, b.Dir, err)
		}
	}
	return nil
}

var (
	findOnce sync.Once
	found    Binaries
	findErr  error
)

// FindBinaries returns the cached binaries, building them first if needed.
func FindBinaries() (Binaries, error) {
	findOnce.Do(func() {
		if dir := os.Getenv(EnvDir); dir != "" {
			found = Binaries{Dir: dir}
			findErr = found.check()
			return
		}
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			findErr = fmt.Errorf("cannot locate tools/build.sh; set %s", EnvDir)
			return
		}
		script := filepath.Join(filepath.Dir(file), "tools", "build.sh")
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			findErr = fmt.Errorf("build testenv binaries with %s: %w\n%s", script, err, stderr.String())
			return
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		found = Binaries{Dir: lines[len(lines)-1]}
		findErr = found.check()
	})
	return found, findErr
}
