# gcguard — make demo and make test are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
FUNCTIONS   := $(notdir $(wildcard functions/*))
DIST        := dist
LOCAL       := build/local
GOFLAGS_REL := -trimpath -buildvcs=false -tags lambda.norpc -ldflags='-s -w'
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_FLAGS  ?= -count=1 -timeout 20m
# Listed, not ./...: node_modules (the CDK CLI) ships Go template files.
PKGS        := ./shared/... ./functions/... ./cmd/...
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := 1
# What `gcguard version` prints (a clone without tags prints the commit).
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null)
CLI_LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Targets that read an account's config file never fall back to an example:
# deploying the example's account, or synthesizing it by mistake, must be
# impossible. CONFIG may be relative (to this directory) or absolute.
ACCOUNT_GOALS := synth diff bootstrap deploy destroy check patterns
ifneq ($(filter $(ACCOUNT_GOALS),$(MAKECMDGOALS)),)
ifeq ($(strip $(CONFIG)),)
$(error make $(firstword $(filter $(ACCOUNT_GOALS),$(MAKECMDGOALS))) needs the account's config file: add CONFIG=config/<account>.json (copy config/example.json and edit it))
endif
ifeq ($(wildcard $(CONFIG)),)
$(error CONFIG=$(CONFIG): no such file (relative paths are from $(CURDIR)))
endif
endif
CONFIG_PATH := $(abspath $(CONFIG))

.PHONY: help check-tools build build-lambda build-local test test-go test-deps chromium lint demo bench bench-scale fuzz clean install check

help:
	@echo "make demo    run gcguard against a local moto and show what it fixes (VERBOSE=1: every record and notice in full)"
	@echo "make test    every test: engine, rules and bootstraps on moto, CDK checks"
	@echo "make build   Lambda binaries: $(DIST)/<function>/bootstrap (linux/arm64) and $(LOCAL)/<function>/bootstrap (linux/amd64)"
	@echo "make lint    go vet and staticcheck"
	@echo "make bench   benchmarks into BENCHMARKS.md;  make bench-scale: the sweep at scale into BENCHMARKS-scale.md"
	@echo "make fuzz    fuzz each target for FUZZTIME (default 2m)"
	@echo "make install the gcguard CLI into \$$(go env GOPATH)/bin (version $(VERSION));"
	@echo "             without a clone: go install github.com/gcguard/gcguard/cmd/gcguard@<tag>"
	@echo "make check   CONFIG=config/<account>.json: validate the file and print the effective configuration"
	@echo "make synth / diff / bootstrap / deploy / destroy CONFIG=config/<account>.json: see README (deploy)"

# Say exactly what is missing instead of failing somewhere deep.
check-tools:
	@command -v $(GO) >/dev/null || { echo "missing: Go 1.26+ (https://go.dev/dl/)"; exit 1; }
	@$(GO) version | grep -Eq 'go1\.(2[6-9]|[3-9][0-9])' || { echo "need Go 1.26 or newer, have: $$($(GO) version)"; exit 1; }
	@command -v moto_server >/dev/null || python3 -c 'import moto.server' 2>/dev/null || { echo "missing: moto (stands in for AWS): pip install 'moto[server]==5.2.1'"; exit 1; }

build: build-lambda build-local

# Deployment binaries: arm64 for provided.al2023, stripped.
build-lambda:
	@for f in $(FUNCTIONS); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_REL) -o $(DIST)/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@ls -l $(DIST)/*/bootstrap | awk '{print $$5, $$9}'

# The same functions for this machine, for the demo and local runs. The
# first build compiles the AWS SDK and takes minutes: say what is happening.
build-local:
	@set -e; n=0; total=$(words $(FUNCTIONS)); for f in $(FUNCTIONS); do \
	  n=$$((n+1)); start=$$(date +%s); printf 'building %s (%d/%d)… ' $$f $$n $$total; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(GOFLAGS_REL) -o $(LOCAL)/$$f/bootstrap ./functions/$$f; \
	  echo "$$(( $$(date +%s) - start ))s"; \
	done

test: check-tools test-deps test-go $(if $(wildcard infra/infra.mk),infra-test)

# The HTML report is tested in a real headless Chromium (Debian's package)
# with Japanese fonts. In CI (CI=true) the test fails without it.
test-deps: chromium

chromium:
	@if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then \
	  fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || echo "note: fonts-noto-cjk is missing: Japanese in report screenshots shows as boxes (apt-get install -y fonts-noto-cjk)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and fonts-noto-cjk for the HTML report test ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; \
	elif [ -n "$$CI" ]; then \
	  echo "missing: chromium (and fonts-noto-cjk) for the HTML report test; as root: apt-get install -y chromium fonts-noto-cjk"; exit 1; \
	else \
	  echo "note: chromium is missing, so the HTML report test will be SKIPPED; install it (as root): apt-get install -y chromium fonts-noto-cjk"; \
	fi

test-go:
	$(GO) vet $(PKGS)
	$(GO) test $(TEST_FLAGS) $(PKGS)

lint:
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

install:
	$(if $(GOBIN),GOBIN=$(GOBIN)) $(GO) install -ldflags '$(CLI_LDFLAGS)' ./cmd/gcguard
	@echo "installed: $$($(if $(GOBIN),GOBIN=$(GOBIN)) $(GO) list -f {{.Target}} ./cmd/gcguard) ($(VERSION))"

check:
	$(GO) run -ldflags '$(CLI_LDFLAGS)' ./cmd/gcguard config check $(CONFIG_PATH)

demo: check-tools build-local
	@echo "building the gcguard CLI and starting the demo ..."
	@$(GO) run ./cmd/gcguard demo --bin-dir $(LOCAL) $(if $(VERBOSE),--verbose)

bench: check-tools build
	$(GO) run ./cmd/gcguard-bench -out BENCHMARKS.md

# The sweep over 5,000 roles, 1,000 buckets and 500 users on moto, and
# synthetic 2× and 4×: about 20 minutes, so apart from bench.
bench-scale: check-tools
	$(GO) run ./cmd/gcguard-bench -out BENCHMARKS-scale.md -scale 1,2,4 -timeout 90m

FUZZTIME ?= 2m
# Every Fuzz target of every package, one after another (go test fuzzes one
# target at a time); a package whose targets cannot be listed fails the run.
fuzz:
	@set -e; n=0; for pkg in $$($(GO) list ./shared/... ./cmd/...); do \
	  targets=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$pkg: cannot list its fuzz targets"; echo "$$targets"; exit 1; }; \
	  for t in $$(echo "$$targets" | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; n=$$((n+1)); \
	  done; done; echo "fuzzed $$n targets for $(FUZZTIME) each"

clean:
	rm -rf $(DIST) build cdk.out

-include infra/infra.mk
