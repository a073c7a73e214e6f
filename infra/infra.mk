# gcguard infrastructure targets; the top-level Makefile includes this file.
#   make synth                      templates into cdk.out/ (offline: no AWS calls)
#   make diff    CONFIG=config/<account>.json
#   make bootstrap CONFIG=…         CDK bootstrap: home region, other workload regions, and us-east-1
#                                   unless iamEventSource is cloudwatch-logs
#   make deploy  CONFIG=…           every stack (forwarders first, then the hub), then the signed
#                                   exemptions (gcguard exempt sync)
#   make regions CONFIG=…           the regions bootstrap and deploy touch
#   make destroy CONFIG=…           the audit table, keys and log groups stay
#   make infra-test                 the CDK checks (cdk-nag, cfn-lint, cfn-guard, assertions)

# CONFIG (required) and CONFIG_PATH, its absolute path, come from the Makefile.
NPM           ?= npm
CDK           := node_modules/.bin/cdk
CDK_ENV       := CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=1 \
                 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 JSII_DEPRECATED=quiet
# synth needs no AWS: keep the SDK from probing instance metadata for credentials.
SYNTH_ENV     := $(CDK_ENV) AWS_EC2_METADATA_DISABLED=true
CDK_ARGS      := --no-notices -c config=$(CONFIG_PATH)
DEPLOY_FLAGS  ?= --require-approval broadening
INFRA_TEST_FLAGS ?= -count=1 -timeout 15m
# Account and regions from the config file (node is there for the CDK CLI).
CONFIG_READ    = node -p 'const c=require(require("path").resolve("$(CONFIG)")); $(1)'
ACCOUNT        = $(shell $(call CONFIG_READ,c.account))
# us-east-1 only when IAM events come from EventBridge there: the
# cloudwatch-logs source exists for accounts that may not use us-east-1.
BOOT_REGIONS   = $(shell $(call CONFIG_READ,[...new Set([c.homeRegion||"ap-northeast-1",...(c.workloadRegions||["ap-northeast-1","ap-northeast-3"]),...((c.iamEventSource||"eventbridge")==="eventbridge"?["us-east-1"]:[])])].join(" ")))

.PHONY: npm-install synth diff bootstrap deploy destroy infra-test patterns regions

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
npm-install: node_modules/.package-lock.json

synth: build npm-install
	$(SYNTH_ENV) $(CDK) synth --quiet $(CDK_ARGS)

diff: build npm-install
	$(CDK_ENV) $(CDK) diff --all $(CDK_ARGS)

bootstrap: npm-install
	$(CDK_ENV) $(CDK) bootstrap --no-notices $(foreach r,$(BOOT_REGIONS),aws://$(ACCOUNT)/$(r))

# CloudFormation writes only an empty exemptions parameter; the signed
# entries of the config file follow (a redeploy never overwrites them).
deploy: build npm-install
	$(CDK_ENV) $(CDK) deploy --all $(DEPLOY_FLAGS) $(CDK_ARGS)
	$(GO) run ./cmd/gcguard exempt sync --config $(CONFIG)

regions:
	@echo $(BOOT_REGIONS)

destroy: npm-install
	$(CDK_ENV) $(CDK) destroy --all $(CDK_ARGS)

infra-test: npm-install
	cd infra && $(CDK_ENV) $(GO) vet ./... && $(CDK_ENV) $(GO) test $(INFRA_TEST_FLAGS) ./...

# The EventBridge rules and patterns per region for CONFIG (no AWS, no jsii).
.PHONY: patterns
patterns:
	@GCGUARD_ROOT=.. $(GO) run -C infra . -patterns $(CONFIG_PATH)
