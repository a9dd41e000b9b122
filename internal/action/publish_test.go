package action

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/org/k8s-e2e-report/internal/github/githubtest"
)

// fakeGH is the part of the gh CLI that workflows/release.yml uses, over a directory of
// releases ($FAKE_RELEASES/TAG/ASSET), as GitHub behaves: create fails for an existing
// release, upload fails for an existing asset without --clobber, view fails for a
// missing release. fakeGit records the tags it is asked to move.
const fakeGH = `#!/bin/bash
set -euo pipefail
[ "$1" = release ] || { echo "fake gh: $*" >&2; exit 2; }
cmd=$2 tag=$3; shift 3
dir="$FAKE_RELEASES/$tag"
files=() clobber=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clobber) clobber=1 ;;
    --verify-tag|--generate-notes) ;;
    --title|--notes) shift ;;
    -*) echo "fake gh: unknown flag $1" >&2; exit 2 ;;
    *) files+=("$1") ;;
  esac
  shift
done
case "$cmd" in
  view) [ -d "$dir" ] ;;
  edit) [ -d "$dir" ] || { echo "release not found" >&2; exit 1; } ;;
  create) [ ! -d "$dir" ] || { echo "release $tag already exists" >&2; exit 1; }
    mkdir -p "$dir"; for f in "${files[@]}"; do cp "$f" "$dir/"; done ;;
  upload) [ -d "$dir" ] || { echo "release not found" >&2; exit 1; }
    for f in "${files[@]}"; do
      if [ -e "$dir/$(basename "$f")" ] && [ $clobber = 0 ]; then echo "asset exists" >&2; exit 1; fi
      cp "$f" "$dir/"
    done ;;
  *) echo "fake gh: release $cmd" >&2; exit 2 ;;
esac
`

const fakeGit = `#!/bin/bash
echo "$*" >> "$FAKE_RELEASES/../git.log"
`

// TestIntegrationReleaseWorkflowPublishes runs workflows/release.yml's publish script
// with gh and git faked over a directory, for two releases in a row, then serves what it
// published to the action's download step: the version's release holds the archives and
// checksums and is never changed again, the moving major tag's release holds only
// release-tag.txt naming the newest version, and `uses: …@v1` downloads and verifies the
// binary of that version.
func TestIntegrationReleaseWorkflowPublishes(t *testing.T) {
	w, err := LoadWorkflow(filepath.Join(root, "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var publish *Step
	for _, j := range w.Jobs {
		for i, s := range j.Steps {
			if strings.Contains(s.Run, "gh release") {
				publish = &j.Steps[i]
			}
		}
	}
	if publish == nil {
		t.Fatal("workflows/release.yml has no step that runs gh release")
	}
	good := releaseFiles(t) // this checkout's archive for this platform, and checksums.txt
	work := t.TempDir()
	bin, releases := filepath.Join(work, "bin"), filepath.Join(work, "releases")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"gh": fakeGH, "git": fakeGit} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tag := range []string{"v1.2.3", "v1.2.4"} {
		checkout := filepath.Join(work, "checkout-"+tag)
		os.MkdirAll(filepath.Join(checkout, "dist"), 0o755)
		for name, b := range good {
			os.WriteFile(filepath.Join(checkout, "dist", name), b, 0o644)
		}
		cmd := exec.Command("bash", "-e", "-c", publish.Run)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_RELEASES="+releases, "TAG="+tag, "GH_TOKEN=fake")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("publish %s: %v\n%s", tag, err, out)
		}
	}
	published := map[string]map[string][]byte{}
	tags, _ := os.ReadDir(releases)
	for _, d := range tags {
		assets, _ := os.ReadDir(filepath.Join(releases, d.Name()))
		published[d.Name()] = map[string][]byte{}
		for _, a := range assets {
			published[d.Name()][a.Name()], _ = os.ReadFile(filepath.Join(releases, d.Name(), a.Name()))
		}
	}
	asset := "ci-report_linux_" + runtime.GOARCH + ".tar.gz"
	for _, tag := range []string{"v1.2.3", "v1.2.4"} {
		if len(published[tag]) != 2 || published[tag][asset] == nil || published[tag]["checksums.txt"] == nil {
			t.Errorf("release %s holds %d assets, want the archive and checksums.txt", tag, len(published[tag]))
		}
	}
	if len(published["v1"]) != 1 || strings.TrimSpace(string(published["v1"]["release-tag.txt"])) != "v1.2.4" {
		t.Errorf("release v1 holds %v, want only release-tag.txt naming v1.2.4", slices.Sorted(maps.Keys(published["v1"])))
	}
	if gitLog, _ := os.ReadFile(filepath.Join(work, "git.log")); !strings.Contains(string(gitLog), "tag -f v1 v1.2.4^{commit}") {
		t.Errorf("the major tag was not moved to v1.2.4: git was asked %q", gitLog)
	}

	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New()
	defer gh.Close()
	srv := releaseServer(t, "org/k8s-e2e-report", published)
	r := newRunner(t, gh, "", "ghs_installation", map[string]string{})
	r.env["GITHUB_SERVER_URL"] = srv.URL
	r.actionRef, r.actionRepo = "v1", "org/k8s-e2e-report"
	out, err := r.runUntil(a, "fetch")
	if err != nil {
		t.Fatal(err)
	}
	if out["found"] != "true" || !strings.Contains(r.stdout.String(), "using release v1.2.4 (through v1)") {
		t.Fatalf("found=%q, want the v1.2.4 release through v1:\n%s", out["found"], r.stdout.String())
	}
	if err := exec.Command(filepath.Join(r.temp, "ci-report", "bin", "ci-report"), "version").Run(); err != nil {
		t.Errorf("the downloaded binary does not run: %v", err)
	}
}
