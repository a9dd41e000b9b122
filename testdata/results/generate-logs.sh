#!/usr/bin/env bash
# Real console output of pytest as a test Job's log holds it (render reads tests from a
# Job's log when no results file was given), at its usual verbosities, with -rA and with
# pytest-xdist, each beside the totals pytest itself printed (<name>.counts.json, by
# tool_counts.py). TestLogTotalsMatchTheTools compares ours with them.
# Needs Debian's python3-pytest and python3-pytest-xdist. Run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/logs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/src/pytest" "$work/pytest"
cd "$work/pytest"

run() {
  name=$1
  shift
  /usr/bin/python3 -m pytest -p no:cacheprovider "$@" > "$out/$name.log" 2>&1 || true
  sed -i "s#$work#/src#g" "$out/$name.log"
  python3 "$here/tool_counts.py" pytest "$out/$name.log" "$out/$name.counts.json"
}
run pytest-real-quiet -q
run pytest-real-default
run pytest-real-verbose -v
run pytest-real-rA -rA
run pytest-real-xdist -n 2
run pytest-real-xdist-verbose -n 2 -v
echo "logs written to $out"
