# ci-report — see README.md.
GO            ?= go
BIN           ?= bin/ci-report
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT        ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS       := -X github.com/org/k8s-e2e-report/internal/version.Version=$(VERSION) -X github.com/org/k8s-e2e-report/internal/version.Commit=$(COMMIT)
TEST_TIMEOUT  ?= 20m
FUZZTIME      ?= 10s
# Every fuzz target in the repository (package:Func), found, not listed: a new one cannot be left out.
FUZZ_TARGETS  = $(shell grep -rlE --include='*_test.go' '^func Fuzz[A-Z]' internal cmd | sort | while read f; do \
                  for fn in $$(grep -oE '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do echo ./$$(dirname $$f):$$fn; done; done)

.PHONY: all build release prereqs axe test unit fuzz actionlint docs docs-screenshot testenv jaeger chromium postgres sandbox demo-cluster demo bench bench-quick vet fmt check-leaks clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ci-report

# Release archives for linux and darwin, amd64 and arm64, and their checksums.txt, in
# dist/ (the action downloads them from the release of its ref; see workflows/release.yml).
release:
	VERSION=$(VERSION) COMMIT=$(COMMIT) bash scripts/release.sh

# Builds (once, then cached by version) the real local cluster's binaries:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok.
testenv:
	@bash internal/testenv/tools/build.sh

# Builds (once, then cached by version) Jaeger's all-in-one for the trace tests.
jaeger:
	@bash internal/traces/jaegertest/build.sh

# Chromium (or Chrome) for the browser tests: installed with apt-get when missing and
# running as root; otherwise this stops and names the command to run.
chromium:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the browser tests (apt-get install chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is needed for the browser tests; install it with: sudo apt-get install -y chromium" >&2; exit 1; fi

# PostgreSQL's server binaries for the history store's tests (the tests start their own
# server in a temp dir): installed with apt-get when missing and running as root.
postgres:
	@if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing PostgreSQL for the history store's tests (apt-get install postgresql)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL is needed for the history store's tests; install it with: sudo apt-get install -y postgresql" >&2; exit 1; fi

# axe-core for the page's accessibility test (npm, pinned, cached under ~/.cache/ci-report/axe/).
axe:
	@bash scripts/axe.sh >/dev/null

# What the tests and the demo need, built side by side: they do not depend on one another
# (the cluster's binaries, Jaeger, Chromium, PostgreSQL; each cached after its first build).
prereqs:
	@$(MAKE) --no-print-directory -j4 testenv jaeger chromium postgres axe

# Every test, including the integration tests against the real local cluster.
# Fails if a cluster process is left running afterwards.
test: prereqs vet actionlint
	CI_REPORT_TESTENV_DIR=$$(bash internal/testenv/tools/build.sh) CI_REPORT_JAEGER=$$(bash internal/traces/jaegertest/build.sh) CI_REPORT_AXE=$$(bash scripts/axe.sh) $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./... ; rc=$$?; \
	  $(MAKE) --no-print-directory check-leaks || rc=1; exit $$rc

check-leaks:
	@dir=$$(bash internal/testenv/tools/build.sh); \
	if pgrep -f "$$dir/bin/" >/dev/null; then \
	  echo "leaked test cluster processes:"; pgrep -af "$$dir/bin/"; exit 1; \
	else echo "no test cluster process left running"; fi

# Each fuzz target briefly (CI runs this too); scripts/fuzz.sh says why it may run one twice.
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  GO=$(GO) bash scripts/fuzz.sh $$pkg $$fn $(FUZZTIME) || exit 1; done

unit:
	$(GO) test -count=1 -short -skip '^TestIntegration' ./...

# actionlint over the example workflows and every whole workflow in README and docs/
# (internal/action's tests also check each step's inputs against action.yml). Built
# from the module proxy, pinned.
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
actionlint:
	@d=$$(mktemp -d) && bash scripts/workflow-blocks.sh "$$d" README.md docs/*.md >/dev/null && \
	  $(GO) run $(ACTIONLINT) -color=false workflows/*.yml "$$d"/*.yml; rc=$$?; rm -rf "$$d"; exit $$rc

# README's inputs and outputs reference, generated from action.yml.
docs:
	$(GO) test ./internal/action -run TestREADMEReferenceIsGenerated -update

# README's picture of the PR comment: the demo's comment.md as GitHub shows it, in Chromium.
docs-screenshot: demo
	$(GO) run ./cmd/docshot ci-report/comment.md docs/comment.png
	$(GO) run ./cmd/docshot ci-report/REPORT.html docs/page.png

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# A local cluster for a human: prints `export KUBECONFIG=...`; Ctrl-C stops it.
sandbox: testenv
	$(GO) run ./cmd/sandbox

# The same, seeded with the demo scenario (namespace turbo-engine-e2e).
demo-cluster: testenv
	$(GO) run ./cmd/sandbox --demo

# The main job on the local demo cluster: start it, seed it, run ci-report, stop it.
demo:
	@$(MAKE) --no-print-directory -j4 testenv jaeger chromium build
	rm -rf ci-report
	CI_REPORT_JAEGER=$$(bash internal/traces/jaegertest/build.sh) $(GO) run ./cmd/sandbox --demo -- $(CURDIR)/$(BIN) run -n turbo-engine-e2e \
	  --output ci-report --results testdata/results/gotestsum-junit.xml \
	  --console-service turbo-engine-e2e/console:3000 --page /=dashboard --jaeger-service turbo-engine-e2e/jaeger:16686
	@echo; echo 'Report: ci-report/REPORT.md (also REPORT.html, comment.md, summary.md, report.json)'


# The collect/render benchmark against the kubectl baselines (README's table), then the
# Go micro-benchmarks of redaction. BENCH_FLAGS passes sizes (see go run ./cmd/bench -h).
# The collected equal-work bundle (300 pods by default) is kept in bench/bundle: the page's
# benchmarks (BenchmarkRenderPage, BenchmarkPageLoad) render it.
bench: testenv
	rm -rf bench/bundle
	CI_REPORT_TESTENV_DIR=$$(bash internal/testenv/tools/build.sh) $(GO) run ./cmd/bench -keep bench/bundle $(BENCH_FLAGS)
	CI_REPORT_BENCH_BUNDLE=$(CURDIR)/bench/bundle $(GO) test -run '^$$' -bench 'Scrub|CopyLog|RenderHugeTrace|History|RenderPage|PageLoad|AgentPath' -benchmem ./internal/redact ./internal/collect ./internal/cli ./internal/app ./internal/render ./internal/mcpserver

# The same harness at a small size, so it cannot rot (CI runs it).
bench-quick: testenv
	CI_REPORT_TESTENV_DIR=$$(bash internal/testenv/tools/build.sh) $(GO) run ./cmd/bench -quick -out bench/results-quick.json

clean:
	rm -rf bin ci-report
