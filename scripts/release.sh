#!/usr/bin/env bash
# Builds ci-report's release archives: one tar.gz per platform, each holding the ci-report
# binary (built with -trimpath, the version and commit stamped), and checksums.txt with
# their sha256 sums, in the sha256sum format the action verifies. The action downloads
# dist/ci-report_<os>_<arch>.tar.gz and dist/checksums.txt from the release of its ref.
#
#   VERSION=v1.2.3 scripts/release.sh            # every platform, into dist/
#   PLATFORMS=linux/amd64 DIST=/tmp/d scripts/release.sh
#   CGO_ENABLED=1 ...                           # a local build sharing the go build cache (tests)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
dist=${DIST:-dist}
pkg=github.com/org/k8s-e2e-report/internal/version

mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archives=()
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  name="ci-report_${os}_${arch}"
  echo "building $name ($version)" >&2
  mkdir -p "$work/$name"
  CGO_ENABLED=${CGO_ENABLED:-0} GOOS=$os GOARCH=$arch go build -trimpath \
    -ldflags "-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit" \
    -o "$work/$name/ci-report" ./cmd/ci-report
  cp README.md "$work/$name/"
  # Reproducible archives: fixed owner, order and times.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' \
    -C "$work/$name" -czf "$dist/$name.tar.gz" ci-report README.md
  archives+=("$name.tar.gz")
done
(cd "$dist" && sha256sum "${archives[@]}" > checksums.txt)
ls -l "$dist" >&2
echo "$dist"
