#!/usr/bin/env bash
# Regenerates the test-result fixtures by running the real tools on the tiny projects in
# src/, and next to each fixture <name>.counts.json: the totals the tool itself reported
# (tool_counts.py reads them from the tool's own output). Needs: Go, network to the Go
# module proxy and npm, Node 20, Debian's python3-pytest and python3-pytest-xdist. Run from
# anywhere; writes next to this script.
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
counts=$here/tool_counts.py
(cd "$work/gotest"
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -json ./... > "$out/gotest.json" || true
 python3 "$counts" go-json "$out/gotest.json" "$out/gotest.counts.json"
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 # gotestsum does not rerun after a panic, so the flaky rerun and the panic are two runs.
 gotestsum --junitfile "$out/gotestsum-junit.xml" --jsonfile "$out/gotestsum-rerun.json" --rerun-fails=2 --packages . >/dev/null || true
 python3 "$counts" go-json "$out/gotestsum-rerun.json" "$out/gotestsum-junit.counts.json"
 cp "$out/gotestsum-junit.counts.json" "$out/gotestsum-rerun.counts.json"
 gotestsum --junitfile "$out/gotestsum-panic-junit.xml" --jsonfile "$work/gotestsum-panic.json" --packages ./panics >/dev/null || true
 python3 "$counts" go-json "$work/gotestsum-panic.json" "$out/gotestsum-panic-junit.counts.json"
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -v ./... > "$work/go-v.txt" 2>&1 || true
 go-junit-report < "$work/go-v.txt" > "$out/go-junit-report.xml" || true
 python3 "$counts" go-text "$work/go-v.txt" "$out/go-junit-report.counts.json"
 rm -f "${TMPDIR:-/tmp}/ci-report-fixture-flaky"
 go test -v ./... > "$out/gotest-v.txt" 2>&1 || true
 python3 "$counts" go-text "$out/gotest-v.txt" "$out/gotest-v.counts.json")

# Ginkgo v2 JUnit and JSON reports, serial and with two parallel processes (-p: the
# BeforeSuite runs, and is reported, once per process).
(cd "$work/ginkgo"
 go get github.com/onsi/ginkgo/v2@v2.34.0 github.com/onsi/gomega@v1.44.0 >/dev/null 2>&1
 ginkgo --no-color --junit-report=junit.xml --json-report=report.json --output-dir="$out/ginkgo" ./... > "$work/ginkgo.txt" 2>&1 || true
 mv "$out/ginkgo/junit.xml" "$out/ginkgo-junit.xml"; mv "$out/ginkgo/report.json" "$out/ginkgo-report.json"; rmdir "$out/ginkgo"
 python3 "$counts" ginkgo "$work/ginkgo.txt" "$out/ginkgo-junit.counts.json"
 cp "$out/ginkgo-junit.counts.json" "$out/ginkgo-report.counts.json"
 ginkgo --no-color -p --procs=2 --junit-report=junit.xml --json-report=report.json --output-dir="$out/ginkgo" ./... > "$work/ginkgo-p.txt" 2>&1 || true
 mv "$out/ginkgo/junit.xml" "$out/ginkgo-parallel-junit.xml"; mv "$out/ginkgo/report.json" "$out/ginkgo-parallel-report.json"; rmdir "$out/ginkgo"
 python3 "$counts" ginkgo "$work/ginkgo-p.txt" "$out/ginkgo-parallel-junit.counts.json"
 cp "$out/ginkgo-parallel-junit.counts.json" "$out/ginkgo-parallel-report.counts.json")

# jest-junit.
(cd "$work/jest"
 npm install --silent --no-audit --no-fund jest@29 jest-junit@16 >/dev/null
 JEST_JUNIT_OUTPUT_FILE="$out/jest-junit.xml" JEST_JUNIT_ADD_FILE_ATTRIBUTE=true npx jest --ci --reporters=default --reporters=jest-junit --json --outputFile="$work/jest.json" >/dev/null 2>&1 || true
 python3 "$counts" jest "$work/jest.json" "$out/jest-junit.counts.json")

# mocha-junit-reporter, without includePending: the skipped test has no <testcase>, only
# the counts say it exists.
(cd "$work/mocha"
 npm install --silent --no-audit --no-fund mocha@11 mocha-junit-reporter@2.2.1 >/dev/null
 npx mocha --reporter mocha-junit-reporter --reporter-options mochaFile="$out/mocha-junit.xml" >/dev/null 2>&1 || true
 npx mocha --reporter json > "$work/mocha.json" 2>/dev/null || true
 python3 "$counts" mocha "$work/mocha.json" "$out/mocha-junit.counts.json")

# vitest's JUnit reporter.
(cd "$work/vitest"
 npm install --silent --no-audit --no-fund vitest@3 >/dev/null
 npx vitest run --reporter=junit --outputFile="$out/vitest-junit.xml" >/dev/null 2>&1 || true
 npx vitest run --reporter=json --outputFile="$work/vitest.json" >/dev/null 2>&1 || true
 python3 "$counts" jest "$work/vitest.json" "$out/vitest-junit.counts.json")

# pytest, serial and with pytest-xdist.
# pytest: xunit1 (line= is 0-based), the default xunit2, and pytest-xdist.
(cd "$work/pytest"
 /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$out/pytest-junit.xml" -o junit_family=xunit1 > "$work/pytest1.txt" 2>&1 || true
 python3 "$counts" pytest "$work/pytest1.txt" "$out/pytest-junit.counts.json"
 /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$out/pytest-xunit2-junit.xml" > "$work/pytest2.txt" 2>&1 || true
 python3 "$counts" pytest "$work/pytest2.txt" "$out/pytest-xunit2-junit.counts.json"
 /usr/bin/python3 -m pytest -q -p no:cacheprovider -n 2 --junitxml="$out/pytest-xdist-junit.xml" > "$work/pytestx.txt" 2>&1 || true
 python3 "$counts" pytest "$work/pytestx.txt" "$out/pytest-xdist-junit.counts.json")

# Keep fixtures free of this machine's paths.
sed -i "s#$work#/src#g" "$out"/*.xml "$out"/*.json "$out"/*.txt
echo "fixtures written to $out"
