package action

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
)

const releaseVersion = "v1.2.3"

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// releaseArchives builds this platform's release archive and checksums.txt with the
// release script (`make release`, one platform), once per test binary. The build comes
// before any test's timed context, so a cold build cache costs no test its deadline.
func releaseArchives(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		releaseDir, releaseErr = os.MkdirTemp("", "ci-report-release-")
		if releaseErr != nil {
			return
		}
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "release.sh"))
		// With cgo as the action's own build has it, the two share the build cache: a
		// cold cache costs one build, not two (releases are built without cgo).
		cmd.Env = append(os.Environ(), "PLATFORMS=linux/"+runtime.GOARCH, "DIST="+releaseDir, "VERSION="+releaseVersion, "CGO_ENABLED=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			releaseErr = err
			t.Logf("release.sh:\n%s", out)
		}
	})
	if releaseErr != nil {
		t.Fatalf("build the release archive: %v", releaseErr)
	}
	return releaseDir // shared by the tests of this binary; TestMain removes it
}

func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}

// useRelease makes the runner take the action from its release: a fake release server
// with this checkout's release archive, and a tag ref. Call it before a test's timed
// context: it may build the archive.
func useRelease(t *testing.T, files map[string][]byte, r *runner) {
	t.Helper()
	srv := releaseServer(t, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: files})
	r.env["GITHUB_SERVER_URL"] = srv.URL
	r.actionRef, r.actionRepo = releaseVersion, "org/k8s-e2e-report"
}

// releaseServer serves releases as GitHub serves their assets:
// /OWNER/REPO/releases/download/TAG/NAME. releases maps TAG to its assets (NAME to its
// bytes); anything else is a 404.
func releaseServer(t *testing.T, repo string, releases map[string]map[string][]byte) *httptest.Server {
	t.Helper()
	prefix := "/" + repo + "/releases/download/"
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		tag, name, _ := strings.Cut(rest, "/")
		b, found := releases[tag][name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func releaseFiles(t *testing.T) map[string][]byte {
	dir := releaseArchives(t)
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// TestIntegrationActionRelease runs the action's download step like the runner, against
// a fake release server: the release of its tag is downloaded, verified and run; no
// release (a branch ref, a fork without releases, a tag without this platform) builds
// from source; a checksum that does not match or a truncated archive fails the step and
// no binary is left to run.
func TestIntegrationActionRelease(t *testing.T) {
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	asset := "ci-report_linux_" + runtime.GOARCH + ".tar.gz"
	good := releaseFiles(t)
	if len(good[asset]) == 0 || len(good["checksums.txt"]) == 0 {
		t.Fatalf("the release has no %s or checksums.txt", asset)
	}
	if n := len(good[asset]); n > 40<<20 {
		t.Errorf("%s is %d MB (goal ≤ 40 MB)", asset, n>>20)
	}
	gh := githubtest.New()
	defer gh.Close()
	sum := sha256.Sum256(good[asset])
	bad := map[string][]byte{asset: good[asset], "checksums.txt": []byte(strings.Repeat("0", 64) + "  " + asset + "\n")}
	pointer := func(tag string) map[string][]byte { return map[string][]byte{"release-tag.txt": []byte(tag)} }
	for _, c := range []struct {
		name, ref, repo string
		releases        map[string]map[string][]byte // tag → assets
		found           string                       // the step's output; "" = the step fails
		says            string                       // in the step's output
	}{
		{"release of the tag", releaseVersion, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: good}, "true", "using release v1.2.3 (ci-report_"},
		// A moving tag's release names the release to take: the archive and its checksums
		// always come from that one release.
		{"moving major tag", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": pointer(releaseVersion + "\n"), releaseVersion: good}, "true", "using release v1.2.3 (through v1)"},
		{"moving minor tag", "v1.2", "org/k8s-e2e-report", map[string]map[string][]byte{"v1.2": pointer(releaseVersion), releaseVersion: good}, "true", "(through v1.2)"},
		{"moving tag without a pointer", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": good, releaseVersion: good}, "false", "moving tag v1 of org/k8s-e2e-report names no release"},
		{"pointer to another major", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": pointer("v2.0.0"), "v2.0.0": good}, "false", "does not name a v1.x release"},
		{"pointer to v10 from v1", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": pointer("v10.0.0"), "v10.0.0": good}, "false", "does not name a v1.x release"},
		{"hostile pointer", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": pointer("v1.2.3/../../evil\n::error::pwned"), releaseVersion: good}, "false", "does not name a v1.x release"},
		{"pointer to a bad release", "v1", "org/k8s-e2e-report", map[string]map[string][]byte{"v1": pointer(releaseVersion), releaseVersion: bad}, "", ""},
		{"branch ref", "main", "org/k8s-e2e-report", map[string]map[string][]byte{"main": good}, "false", "is not a release tag"},
		{"sha ref", "0123456789abcdef0123456789abcdef01234567", "org/k8s-e2e-report", nil, "false", "is not a release tag"},
		{"fork without releases", releaseVersion, "fork/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: good}, "false", "has no checksums.txt"},
		{"no archive for this platform", releaseVersion, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: {"checksums.txt": good["checksums.txt"]}}, "false", "has no " + asset},
		{"bad checksum", releaseVersion, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: bad}, "", ""},
		{"truncated archive", releaseVersion, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: {asset: good[asset][:len(good[asset])/2],
			"checksums.txt": []byte(hex.EncodeToString(sum[:]) + "  " + asset + "\n")}}, "", ""},
		{"no checksum line", releaseVersion, "org/k8s-e2e-report", map[string]map[string][]byte{releaseVersion: {asset: good[asset],
			"checksums.txt": []byte(strings.Repeat("0", 64) + "  ci-report_darwin_arm64.tar.gz\n")}}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := releaseServer(t, "org/k8s-e2e-report", c.releases)
			r := newRunner(t, gh, "", "ghs_installation", map[string]string{})
			r.env["GITHUB_SERVER_URL"] = srv.URL
			r.actionRef, r.actionRepo = c.ref, c.repo
			out, err := r.runUntil(a, "fetch")
			bin := filepath.Join(r.temp, "ci-report", "bin", "ci-report")
			if c.found == "" {
				if err == nil || !strings.Contains(err.Error(), "failed verification") {
					t.Fatalf("the step did not fail on an unverified archive: %v", err)
				}
				if _, err := os.Stat(bin); err == nil {
					t.Error("a binary that failed verification was left to run")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out["found"] != c.found {
				t.Fatalf("found=%q, want %q\n%s", out["found"], c.found, r.stdout.String())
			}
			if !strings.Contains(r.stdout.String(), c.says) {
				t.Errorf("the step says %q, want %q in it", r.stdout.String(), c.says)
			}
			if strings.Contains(r.stdout.String(), "::error::pwned") {
				t.Errorf("the step echoed the release's pointer as a workflow command: %q", r.stdout.String())
			}
			if c.found == "true" {
				v, err := exec.Command(bin, "version").Output()
				if err != nil || !strings.Contains(string(v), releaseVersion) {
					t.Errorf("the downloaded binary says %q (%v), want %s", v, err, releaseVersion)
				}
			}
			if c.name == "branch ref" {
				// Without a release, the next steps build it from the action's checkout.
				r.stdout.Reset()
				if _, err := r.runUntil(a, "build"); err != nil {
					t.Fatal(err)
				}
				if err := exec.Command(bin, "version").Run(); err != nil {
					t.Errorf("the binary built from source does not run: %v", err)
				}
			}
		})
	}
}
