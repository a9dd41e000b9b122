// Package version holds the build's version, set by -ldflags at release time.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/org/k8s-e2e-report/internal/version.Version=v1.2.3 -X ...Commit=abc".
var (
	Version = ""
	Commit  = ""
)

// Info is what `ci-report version` prints and what a bundle's manifest records.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
}

// Get returns the build's version, falling back to the module build info
// (a `go build` or `go install` without ldflags) and then to "dev".
func Get() Info {
	i := Info{Version: Version, Commit: Commit, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && i.Commit == "" {
				i.Commit = s.Value
			}
		}
	}
	if i.Version == "" {
		i.Version = "dev"
	}
	if i.Commit == "" {
		i.Commit = "unknown"
	}
	return i
}

func (i Info) String() string {
	return fmt.Sprintf("ci-report %s (commit %s, %s)", i.Version, i.Commit, i.GoVersion)
}
