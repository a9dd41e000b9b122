#!/usr/bin/env bash
# Builds Jaeger's all-in-one (query, collector, OTLP receivers, memory storage) once from
# the Go module proxy and caches it by version. Prints the binary's path. Re-running with
# a complete cache is a no-op.
set -euo pipefail

version=${JAEGER_VERSION:-v1.75.0}
cache_root=${CI_REPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ci-report}
dir="$cache_root/jaeger/$version"
bin="$dir/bin/jaeger-all-in-one"

if [ ! -x "$bin" ]; then
  mkdir -p "$dir/bin"
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  echo "building Jaeger all-in-one $version into $dir (a cold build takes about 3 minutes)" >&2
  src=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "github.com/jaegertracing/jaeger@$version" | awk -F'"' '$2=="Dir" {print $4}')
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$tmp/jaeger-all-in-one" ./cmd/all-in-one)
  mv "$tmp/jaeger-all-in-one" "$bin"
fi
echo "$bin"
