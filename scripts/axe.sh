#!/usr/bin/env bash
# Fetches axe-core (the accessibility engine the page's browser test runs in Chromium)
# from npm once, pinned, and caches it; prints the path of axe.min.js.
#   bash scripts/axe.sh
set -euo pipefail
version=4.14.1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ci-report/axe/$version"
out="$cache/axe.min.js"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing npm to fetch axe-core (apt-get install npm)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "npm is needed to fetch axe-core for the page's accessibility test; install it with: sudo apt-get install -y npm" >&2
    exit 1
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null)
tar -xzf "$tmp/axe-core-$version.tgz" -C "$tmp" package/axe.min.js
mkdir -p "$cache"
mv "$tmp/package/axe.min.js" "$out.tmp" && mv "$out.tmp" "$out"
echo "$out"
