#!/usr/bin/env bash
# Regenerates the committed bundles from a fresh local demo cluster:
#   demo/     the demo scenario (plus JUnit results aligned to its times, under results/)
#   healthy/  one healthy service of it
# Golden files are then refreshed with: go test ./internal/render -update
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
go build -o bin/ci-report ./cmd/ci-report
rm -rf testdata/bundles/demo testdata/bundles/healthy
go run ./cmd/sandbox --demo -- bash -c '
  bin/ci-report collect -q -n turbo-engine-e2e -o testdata/bundles/demo &&
  bin/ci-report collect -q -n turbo-engine-e2e -l app.kubernetes.io/name=registry -o testdata/bundles/healthy'
python3 testdata/bundles/demo-results.py testdata/bundles/demo
