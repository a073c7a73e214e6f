package gcinfra_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/infra/gcinfra"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

func TestEachRulePatternEqualsRegistry(t *testing.T) {
	tpl := hub(t)
	rules := rulesByName(tpl)
	fns := tpl.ofType("AWS::Lambda::Function")
	for _, def := range reg.All() {
		for i, want := range def.Spec.Patterns() {
			name := gcinfra.FunctionName(def.Spec.Name)
			if len(def.Spec.Triggers) > 1 {
				name = fmt.Sprintf("%s-%d", name, i+1)
			}
			r, ok := rules[name]
			if !ok {
				t.Errorf("rule %s: no EventBridge rule %s in the hub", def.Spec.Name, name)
				continue
			}
			if got := canon(r.Properties["EventPattern"]); got != canon(want) {
				t.Errorf("rule %s pattern\n got %s\nwant %s", name, got, canon(want))
			}
			if r.Properties["EventBusName"] != nil {
				t.Errorf("rule %s is not on the default bus", name)
			}
			targets := list(r.Properties["Targets"])
			if len(targets) != 1 {
				t.Fatalf("rule %s has %d targets", name, len(targets))
			}
			fnID := refID(targets[0].(map[string]any)["Arn"])
			if str(fns[fnID].Properties["FunctionName"]) != gcinfra.FunctionName(def.Spec.Name) {
				t.Errorf("rule %s targets %s, not the function of rule %s", name, fnID, def.Spec.Name)
			}
		}
	}
}

// statementPairs flattens a role's allow statements into action → resources.
// Literal resources are kept as strings; CDK references become "@<logical id>"
// (with any literal suffix, such as /index/*).
func rolePairs(tpl Template, roleID string) map[string][]string {
	out := map[string][]string{}
	add := func(doc any) {
		for _, s := range list(doc.(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			for _, a := range list(st["Action"]) {
				for _, r := range list(st["Resource"]) {
					out[str(a)] = append(out[str(a)], resourceName(r))
				}
			}
		}
	}
	role := tpl.Resources[roleID]
	for _, p := range list(role.Properties["Policies"]) {
		add(p.(map[string]any)["PolicyDocument"])
	}
	for _, p := range tpl.ofType("AWS::IAM::Policy") {
		for _, r := range list(p.Properties["Roles"]) {
			if refID(r) == roleID {
				add(p.Properties["PolicyDocument"])
			}
		}
	}
	for a := range out {
		sort.Strings(out[a])
		out[a] = slices.Compact(out[a])
	}
	return out
}

func resourceName(r any) string {
	if s, ok := r.(string); ok {
		return s
	}
	id := refID(r)
	suffix := ""
	if j, ok := r.(map[string]any)["Fn::Join"].([]any); ok {
		parts := list(j[1])
		suffix = str(parts[len(parts)-1])
	}
	return "@" + id + suffix
}

func roleByName(tpl Template, name string) string {
	for id, r := range tpl.ofType("AWS::IAM::Role") {
		if str(r.Properties["RoleName"]) == name {
			return id
		}
	}
	return ""
}

func TestEachRoleHasExactlyTheDeclaredPermissions(t *testing.T) {
	tpl := hub(t)
	typeOf := func(id string) string {
		return tpl.Resources[strings.TrimPrefix(strings.SplitN(id, "/", 2)[0], "@")].Type
	}
	// What every function gets of the stack's own resources, by resource type.
	stateActions := map[string]string{
		"dynamodb:GetItem": "AWS::DynamoDB::Table", "dynamodb:PutItem": "AWS::DynamoDB::Table", "dynamodb:UpdateItem": "AWS::DynamoDB::Table",
		"dynamodb:DeleteItem": "AWS::DynamoDB::Table", "dynamodb:Query": "AWS::DynamoDB::Table",
		"sns:Publish": "AWS::SNS::Topic", "ssm:GetParameter": "AWS::SSM::Parameter", "sqs:SendMessage": "AWS::SQS::Queue",
		"kms:Decrypt": "AWS::KMS::Key", "kms:GenerateDataKey": "AWS::KMS::Key",
		"kms:GenerateMac": "AWS::KMS::Key", "kms:VerifyMac": "AWS::KMS::Key",
	}
	// The sweep reconciles every rule's resources: its declared permissions
	// are the union of theirs.
	sweep := guardrail.Definition{Spec: guardrail.Spec{Name: gcinfra.FnSweep}}
	for _, def := range reg.All() {
		sweep.Spec.Permissions = append(sweep.Spec.Permissions, def.Spec.Permissions...)
	}
	fns := append(append([]guardrail.Definition{}, reg.All()...), sweep)
	for _, def := range fns {
		name := def.Spec.Name
		t.Run(name, func(t *testing.T) {
			roleID := roleByName(tpl, gcinfra.RoleName(name))
			if roleID == "" {
				t.Fatalf("no role %s", gcinfra.RoleName(name))
			}
			got := rolePairs(tpl, roleID)
			want := map[string][]string{}
			for _, g := range gcinfra.SpecGrants(def.Spec, fileCfg.Partition, fileCfg.Account, fileCfg.WorkloadRegions) {
				for _, a := range g.Actions {
					for _, r := range g.Resources {
						want[a] = append(want[a], *r)
					}
				}
			}
			want["logs:CreateLogStream"] = []string{fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/lambda/%s:*", fileCfg.Partition, fileCfg.HomeRegion, fileCfg.Account, gcinfra.FunctionName(name))}
			want["logs:PutLogEvents"] = want["logs:CreateLogStream"]
			for a, rs := range got {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("wildcard action %s", a)
				}
				var literal []string
				for _, r := range rs {
					if strings.HasPrefix(r, "@") {
						if stateActions[a] == "" || typeOf(r) != stateActions[a] {
							t.Errorf("%s on %s (%s): not a grant on the stack's own resources", a, r, typeOf(r))
						}
						continue
					}
					literal = append(literal, r)
				}
				if len(literal) == 0 && stateActions[a] != "" {
					continue
				}
				w := append([]string{}, want[a]...)
				sort.Strings(w)
				w = slices.Compact(w)
				if !slices.Equal(literal, w) {
					t.Errorf("%s: resources %v, declared %v", a, literal, w)
				}
			}
			for a := range want {
				if _, ok := got[a]; !ok {
					t.Errorf("declared action %s missing from the role", a)
				}
			}
			for a := range stateActions {
				if _, ok := got[a]; !ok {
					t.Errorf("state action %s missing from the role", a)
				}
			}
		})
	}
}

func TestNoBroadActionsAnywhere(t *testing.T) {
	for name, tpl := range synth.Templates {
		for id := range tpl.ofType("AWS::IAM::Role") {
			for a := range rolePairs(tpl, id) {
				if a == "*" || a == "iam:*" || a == "s3:*" || strings.HasSuffix(a, ":*") {
					t.Errorf("%s/%s allows %s", name, id, a)
				}
			}
		}
	}
}

func TestEverythingIsEncrypted(t *testing.T) {
	for name, tpl := range synth.Templates {
		for id, r := range tpl.Resources {
			p := r.Properties
			fail := func(why string) { t.Errorf("%s/%s (%s): %s", name, id, r.Type, why) }
			switch r.Type {
			case "AWS::DynamoDB::Table":
				sse, _ := p["SSESpecification"].(map[string]any)
				if sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" || sse["KMSMasterKeyId"] == nil {
					fail("not encrypted with the CMK")
				}
				pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any)
				if pitr["PointInTimeRecoveryEnabled"] != true {
					fail("no point-in-time recovery")
				}
				if r.Deletion != "Retain" {
					fail("not retained on delete")
				}
			case "AWS::SNS::Topic":
				if p["KmsMasterKeyId"] == nil {
					fail("topic without CMK")
				}
			case "AWS::SQS::Queue":
				if p["KmsMasterKeyId"] == nil {
					fail("queue without CMK")
				}
			case "AWS::Logs::LogGroup":
				if p["KmsKeyId"] == nil {
					fail("log group without CMK")
				}
				if p["RetentionInDays"] == nil {
					fail("log group without retention")
				}
			case "AWS::KMS::Key":
				// KMS rotates symmetric encryption keys only; the MAC key is HMAC.
				if p["EnableKeyRotation"] != true && p["KeySpec"] != "HMAC_256" {
					fail("key rotation off")
				}
			case "AWS::Lambda::Function":
				if strings.HasPrefix(str(p["FunctionName"]), gcinfra.NamePrefix) && p["KmsKeyArn"] == nil {
					fail("environment not encrypted with the CMK")
				}
			}
		}
	}
}

func TestAuditTableSchema(t *testing.T) {
	tables := hub(t).ofType("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d audit tables", len(tables))
	}
	for _, r := range tables {
		p := r.Properties
		if got := canon(p["KeySchema"]); got != canon([]any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}}) {
			t.Errorf("key schema %s", got)
		}
		if got := canon(p["TimeToLiveSpecification"]); got != canon(map[string]any{"AttributeName": "expires_at", "Enabled": true}) {
			t.Errorf("TTL %s", got)
		}
		gsi := list(p["GlobalSecondaryIndexes"])
		if len(gsi) != 1 || gsi[0].(map[string]any)["IndexName"] != "by-id" || canon(gsi[0].(map[string]any)["Projection"]) != `{"ProjectionType":"ALL"}` {
			t.Errorf("GSI %s", canon(gsi))
		}
	}
}

func TestForwardersTargetTheHubBus(t *testing.T) {
	hubBus := gcinfra.HubBusARN(fileCfg)
	for _, region := range []string{deployconfig.USEast1, "ap-northeast-3"} {
		tpl, ok := synth.Templates[gcinfra.ForwarderStackName(region)]
		if !ok {
			t.Errorf("no forwarder stack in %s", region)
			continue
		}
		rules := rulesByName(tpl)
		for _, r := range rules {
			for _, tg := range list(r.Properties["Targets"]) {
				tm := tg.(map[string]any)
				if tm["Arn"] != hubBus || tm["RoleArn"] == nil {
					t.Errorf("%s: rule %s targets %v (role %v), want the hub bus %s", region, r.Properties["Name"], tm["Arn"], tm["RoleArn"], hubBus)
				}
			}
		}
		// One rule per source, covering the patterns of the rules of the
		// scope this region sees and nothing of the other scope.
		sources := map[string]int{}
		for _, r := range rules {
			p := r.Properties["EventPattern"].(map[string]any)
			sources[fmt.Sprint(list(p["source"]))]++
			if r.Properties["Targets"].([]any)[0].(map[string]any)["DeadLetterConfig"] == nil {
				t.Errorf("%s: rule %s has no dead-letter queue", region, r.Properties["Name"])
			}
		}
		for src, n := range sources {
			if n != 1 {
				t.Errorf("%s: %d forwarding rules for source %s, want 1", region, n, src)
			}
		}
		for _, def := range reg.All() {
			wantHere := (def.Spec.Scope == guardrail.ScopeGlobal) == (region == deployconfig.USEast1)
			for _, p := range def.Spec.Patterns() {
				covered := false
				for _, r := range rules {
					if covers(r.Properties["EventPattern"].(map[string]any), p) {
						covered = true
					}
				}
				if covered != wantHere && wantHere {
					t.Errorf("%s: pattern of rule %s forwarded=%v, want %v", region, def.Spec.Name, covered, wantHere)
				}
			}
		}
	}
	if _, ok := synth.Templates[gcinfra.ForwarderStackName(fileCfg.HomeRegion)]; ok {
		t.Errorf("the home region must not forward to itself")
	}
	// The forwarder role may put events on the hub bus and nothing else.
	for _, region := range []string{deployconfig.USEast1, "ap-northeast-3"} {
		tpl := synth.Templates[gcinfra.ForwarderStackName(region)]
		id := roleByName(tpl, "gcguard-forwarder-"+region)
		if got := canon(rolePairs(tpl, id)); got != canon(map[string][]string{"events:PutEvents": {hubBus}}) {
			t.Errorf("%s forwarder role: %s", region, got)
		}
	}
}

// readEnv records every variable FromEnv reads: that is what functions read.
func readEnv() []string {
	seen := map[string]bool{}
	_, _ = config.FromEnv(func(k string) string { seen[k] = true; return "" }, nil)
	return keys(seen)
}

func TestEveryVariableAFunctionReadsIsSet(t *testing.T) {
	tpl := hub(t)
	vars := readEnv()
	if len(vars) < 15 {
		t.Fatalf("recorded only %v", vars)
	}
	n := 0
	for id, r := range tpl.ofType("AWS::Lambda::Function") {
		if !strings.HasPrefix(str(r.Properties["FunctionName"]), gcinfra.NamePrefix) {
			continue
		}
		n++
		env, _ := r.Properties["Environment"].(map[string]any)
		got, _ := env["Variables"].(map[string]any)
		for _, v := range vars {
			if _, ok := got[v]; !ok {
				t.Errorf("%s: %s is not set", id, v)
			}
		}
		own := str(got[config.EnvOwnRoleARNs])
		for _, fn := range append(reg.Names(), gcinfra.FnNotify, gcinfra.FnSweep, gcinfra.FnSelfCheck) {
			if !strings.Contains(own, gcinfra.RoleARN(fileCfg.Partition, fileCfg.Account, fn)) {
				t.Errorf("%s: %s lacks role of %s", id, config.EnvOwnRoleARNs, fn)
			}
		}
		if canon(got[config.EnvExemptionsParam]) != canon(gcinfra.ExemptionsParamName) {
			t.Errorf("%s: exemptions parameter %v", id, got[config.EnvExemptionsParam])
		}
	}
	if want := len(reg.Names()) + 3; n != want {
		t.Errorf("%d gcguard functions, want %d (rules + notify + sweep + selfcheck)", n, want)
	}
}

func TestFunctionsRuntimeAndAsyncConfig(t *testing.T) {
	tpl := hub(t)
	configs := tpl.ofType("AWS::Lambda::EventInvokeConfig")
	for id, r := range tpl.ofType("AWS::Lambda::Function") {
		p := r.Properties
		if !strings.HasPrefix(str(p["FunctionName"]), gcinfra.NamePrefix) {
			continue
		}
		if p["Runtime"] != "provided.al2023" || canon(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v %v %v", id, p["Runtime"], p["Architectures"], p["Handler"])
		}
		found := false
		for _, c := range configs {
			if refID(c.Properties["FunctionName"]) == id {
				found = true
				cp := c.Properties
				dest := cp["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
				if cp["MaximumRetryAttempts"] != float64(2) || cp["MaximumEventAgeInSeconds"] == nil || tpl.Resources[refID(dest)].Type != "AWS::SQS::Queue" {
					t.Errorf("%s: async config %s", id, canon(cp))
				}
			}
		}
		if !found {
			t.Errorf("%s: no async invoke config", id)
		}
	}
}

func TestAlarmsReachTheTopic(t *testing.T) {
	tpl := hub(t)
	alarms := tpl.ofType("AWS::CloudWatch::Alarm")
	names := map[string]bool{}
	for id, a := range alarms {
		names[str(a.Properties["AlarmName"])] = true
		acts := list(a.Properties["AlarmActions"])
		if len(acts) == 0 || tpl.Resources[refID(acts[0])].Type != "AWS::SNS::Topic" {
			t.Errorf("hub alarm %s does not publish to the topic", id)
		}
	}
	for _, fn := range reg.Names() {
		for _, what := range []string{"errors", "throttles"} {
			if !names["gcguard-"+fn+"-"+what] {
				t.Errorf("no %s alarm for %s", what, fn)
			}
		}
	}
	for _, n := range []string{"gcguard-failed-events", "gcguard-canary-missed"} {
		if !names[n] {
			t.Errorf("no alarm %s", n)
		}
	}
	// Other regions' alarms come over as state-change events.
	remote, ok := rulesByName(tpl)["gcguard-remote-alarms"]
	if !ok || tpl.Resources[refID(list(remote.Properties["Targets"])[0].(map[string]any)["Arn"])].Type != "AWS::SNS::Topic" {
		t.Errorf("no rule taking forwarded alarms to the topic")
	}
	for _, region := range fileCfg.ForwarderRegions() {
		fwd := rulesByName(synth.Templates[gcinfra.ForwarderStackName(region)])
		if _, ok := fwd["gcguard-forward-cloudwatch"]; !ok {
			t.Errorf("%s does not forward alarm state changes", region)
		}
	}
}

func TestSelfProtectionAndCanary(t *testing.T) {
	tpl := hub(t)
	rules := rulesByName(tpl)
	for _, k := range gcinfra.ProtectedKinds() {
		r, ok := rules["gcguard-selfprotect-"+k.Name]
		if !ok {
			t.Errorf("no self-protection rule for %s", k.Name)
			continue
		}
		tg := list(r.Properties["Targets"])[0].(map[string]any)
		if tpl.Resources[refID(tg["Arn"])].Type != "AWS::SNS::Topic" || tg["InputTransformer"] == nil {
			t.Errorf("self-protection %s does not notify the topic", k.Name)
		}
		if !strings.Contains(canon(r.Properties["EventPattern"]), "cloudformation.amazonaws.com") {
			t.Errorf("self-protection %s does not leave CloudFormation out", k.Name)
		}
	}
	lambda := canon(rules["gcguard-selfprotect-functions"].Properties["EventPattern"])
	if !strings.Contains(lambda, `{"prefix":"UpdateFunction"}`) {
		t.Errorf("Lambda self-protection must match versioned event names by prefix: %s", lambda)
	}
	us := rulesByName(synth.Templates[gcinfra.ForwarderStackName(deployconfig.USEast1)])
	for _, p := range []guardrail.Pattern{gcinfra.CanaryPattern(), kind("roles").Broad, kind("rules").Broad} {
		if !covers(us["gcguard-forward-iam"].Properties["EventPattern"].(map[string]any), p) && !covers(us["gcguard-forward-events"].Properties["EventPattern"].(map[string]any), p) {
			t.Errorf("us-east-1 does not forward %s", canon(p))
		}
	}
	if canon(gcinfra.CanaryPattern()) != canon(rules["gcguard-canary"].Properties["EventPattern"]) {
		t.Errorf("canary pattern differs from the hub's rule")
	}
	sched := map[string]Resource{}
	for id, s := range tpl.ofType("AWS::Scheduler::Schedule") {
		if s.Properties["Name"] == gcinfra.CanaryRoleName {
			sched[id] = s
		}
	}
	if len(sched) != 1 {
		t.Fatalf("%d canary schedules", len(sched))
	}
	for _, s := range sched {
		if s.Properties["Target"].(map[string]any)["Arn"] != "arn:aws:scheduler:::aws-sdk:iam:tagRole" {
			t.Errorf("canary target %v", s.Properties["Target"])
		}
	}
	canary := rolePairs(tpl, roleByName(tpl, gcinfra.CanaryRoleName))
	if canon(canary) != canon(map[string][]string{"iam:TagRole": {gcinfra.RoleARN("aws", fileCfg.Account, "canary")}}) {
		t.Errorf("canary role may do more than tag itself: %s", canon(canary))
	}
}

func TestS3KeyPolicyModeledOnAwsS3(t *testing.T) {
	for _, stack := range []string{gcinfra.HubStackName(), gcinfra.ForwarderStackName("ap-northeast-3")} {
		tpl := synth.Templates[stack]
		found := false
		for id, k := range tpl.ofType("AWS::KMS::Key") {
			doc := canon(k.Properties["KeyPolicy"])
			if !strings.Contains(doc, "AccountPrincipalsThroughS3") {
				continue
			}
			found = true
			region := "ap-northeast-1"
			if stack != gcinfra.HubStackName() {
				region = "ap-northeast-3"
			}
			for _, want := range []string{`"kms:CallerAccount":"123456789012"`, `"kms:ViaService":"s3.` + region + `.amazonaws.com"`, "GrantedAccountsThroughS3", "logging.s3.amazonaws.com", "GrantsOnlyForAWSServices"} {
				if !strings.Contains(doc, want) {
					t.Errorf("%s/%s key policy lacks %s", stack, id, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no S3 key", stack)
		}
	}
}

func TestMissingAssetsFailWithAClearMessage(t *testing.T) {
	cfg := *fileCfg
	_, err := gcinfra.Build(nil, gcinfra.Props{Config: &cfg, Registry: reg, DistDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make build") || !strings.Contains(err.Error(), reg.Names()[0]) {
		t.Fatalf("want an error naming the directory and make build, got %v", err)
	}
}

// The Slack notifier keeps its digest window in memory, per container, and a
// schedule flushes closed windows. Reserved concurrency is opt-in
// (notifier.reservedConcurrency): accounts with a low concurrency quota
// cannot reserve any; TestNotifierConcurrencyIsConfigurable sets it.
func TestNotifierKeepsOneWindowAndIsFlushed(t *testing.T) {
	tpl := hub(t)
	var fnID string
	for id, r := range tpl.ofType("AWS::Lambda::Function") {
		if str(r.Properties["FunctionName"]) == gcinfra.FunctionName(gcinfra.FnNotify) {
			fnID = id
			if v, ok := r.Properties["ReservedConcurrentExecutions"]; ok {
				t.Errorf("notifier reserved concurrency = %v, want none by default", v)
			}
		}
	}
	if fnID == "" {
		t.Fatal("no notifier function")
	}
	scheduled := false
	for _, r := range rulesByName(tpl) {
		if r.Properties["ScheduleExpression"] == "rate(5 minutes)" && strings.Contains(canon(r.Properties["Targets"]), fnID) {
			scheduled = true
		}
	}
	if !scheduled {
		t.Error("no schedule flushes the notifier's digests")
	}
}
