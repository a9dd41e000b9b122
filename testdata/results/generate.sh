#!/usr/bin/env bash
# Regenerates the test-result fixtures by running the real tools on the tiny projects in
# src/. Needs: Go, network to the Go module proxy and npm, Debian's python3-pytest and
# python3-pytest-xdist. Run from anywhere; writes next to this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/src/." "$work/"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
bin=$work/bin; mkdir -p "$bin"; export PATH="$bin:$PATH"
GOBIN=$bin go install gotest.tools/gotestsum@v1.13.0
GOBIN=$bin go install github.com/jstemmer/go-junit-report/v2@v2.1.0
GOBIN=$bin go install github.com/onsi/ginkgo/v2/ginkgo@v2.34.0

# go test -json, gotestsum JUnit (with a rerun: a flaky test), go-junit-report.
(cd "$work/gotest"
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -json ./... > "$out/gotest.json" || true
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 gotestsum --junitfile "$out/gotestsum-junit.xml" --jsonfile "$out/gotestsum-rerun.json" --rerun-fails=2 --packages ./... >/dev/null || true
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -v ./... 2>&1 | go-junit-report > "$out/go-junit-report.xml" || true
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -v ./... > "$out/gotest-v.txt" 2>&1 || true)

# Ginkgo v2 JUnit and JSON reports.
(cd "$work/ginkgo"
 go get github.com/onsi/ginkgo/v2@v2.34.0 github.com/onsi/gomega@v1.44.0 >/dev/null 2>&1
 ginkgo --junit-report=junit.xml --json-report=report.json --output-dir="$out/ginkgo" ./... >/dev/null || true
 mv "$out/ginkgo/junit.xml" "$out/ginkgo-junit.xml"; mv "$out/ginkgo/report.json" "$out/ginkgo-report.json"; rmdir "$out/ginkgo")

# jest-junit.
(cd "$work/jest"
 npm install --silent --no-audit --no-fund jest@29 jest-junit@16 >/dev/null
 JEST_JUNIT_OUTPUT_FILE="$out/jest-junit.xml" JEST_JUNIT_ADD_FILE_ATTRIBUTE=true npx jest --ci --reporters=default --reporters=jest-junit >/dev/null 2>&1 || true)

# pytest, serial and with pytest-xdist.
(cd "$work/pytest"
 /usr/bin/python3 -m pytest -q --junitxml="$out/pytest-junit.xml" -o junit_family=xunit1 >/dev/null || true
 /usr/bin/python3 -m pytest -q -n 2 --junitxml="$out/pytest-xdist-junit.xml" >/dev/null || true)

# Keep fixtures free of this machine's paths.
sed -i "s#$work#/src#g" "$out"/*.xml "$out"/*.json "$out"/*.txt
echo "fixtures written to $out"
