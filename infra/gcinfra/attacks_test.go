package gcinfra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/infra/gcinfra"
)

// Each test here performs one attack on gcguard (docs/deploy.md, "Threat
// model") against the synthesized templates and fails if it would work.

const (
	acct       = "123456789012"
	intruder   = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_PowerUser_0123"
	otherFnARN = "arn:aws:lambda:ap-northeast-1:123456789012:function:innocent-report"
)

// --- every mode ---

type mode struct {
	Source                 string
	Canary, Slack, Chatbot bool
	Regions                []string
}

func (m mode) String() string {
	return fmt.Sprintf("%s/canary=%v/slack=%v/chatbot=%v/regions=%s", m.Source, m.Canary, m.Slack, m.Chatbot, strings.Join(m.Regions, "+"))
}

func (m mode) config() deployconfig.File {
	cfg := *fileCfg
	cfg.IAMEventSource = m.Source
	cfg.CloudTrailLogs = ""
	if m.Source == deployconfig.SourceLogs {
		cfg.CloudTrailLogs = "aws-cloudtrail-logs-gcas"
	}
	cfg.Canary.Disabled = !m.Canary
	cfg.Notices.SlackSecretARN = ""
	if m.Slack {
		cfg.Notices.SlackSecretARN = fileCfg.Notices.SlackSecretARN
	}
	cfg.Notices.Chatbot = nil
	if m.Chatbot {
		cfg.Notices.Chatbot = fileCfg.Notices.Chatbot
	}
	cfg.WorkloadRegions = m.Regions
	return cfg
}

func allModes() []mode {
	var out []mode
	for _, src := range []string{deployconfig.SourceEventBridge, deployconfig.SourceLogs} {
		for _, canary := range []bool{true, false} {
			for _, slack := range []bool{true, false} {
				for _, chatbot := range []bool{true, false} {
					for _, regions := range [][]string{{"ap-northeast-1"}, {"ap-northeast-1", "ap-northeast-3"}} {
						out = append(out, mode{src, canary, slack, chatbot, regions})
					}
				}
			}
		}
	}
	return out
}

var (
	modesOnce sync.Once
	modeTpls  map[string]map[string]Template
	modeErr   error
)

// synthAll synthesizes every mode once per test binary, without cdk-nag
// (TestMain's synthesis checks that; here only the wiring matters).
func synthAll(t *testing.T) map[string]map[string]Template {
	t.Helper()
	modesOnce.Do(func() {
		modeTpls = map[string]map[string]Template{}
		tmp, err := os.MkdirTemp("", "gcguard-modes-")
		if err != nil {
			modeErr = err
			return
		}
		defer os.RemoveAll(tmp)
		dist := filepath.Join(tmp, "dist")
		if modeErr = placeholderDist(dist, append(reg.Names(), gcinfra.FnNotify, gcinfra.FnSweep, gcinfra.FnLogSource, gcinfra.FnSelfCheck)...); modeErr != nil {
			return
		}
		for i, m := range allModes() {
			cfg := m.config()
			if err := cfg.Validate(reg.Names()); err != nil {
				modeErr = fmt.Errorf("%s: %w", m, err)
				return
			}
			out := filepath.Join(tmp, fmt.Sprint(i))
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
			if _, err := gcinfra.BuildStacks(app, gcinfra.Props{Config: &cfg, Registry: reg, DistDir: dist,
				Present: map[string]bool{gcinfra.FnSweep: true, gcinfra.FnSelfCheck: true}}); err != nil {
				modeErr = fmt.Errorf("%s: %w", m, err)
				return
			}
			app.Synth(nil)
			tpls := map[string]Template{}
			files, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
			for _, f := range files {
				raw, _ := os.ReadFile(f)
				var tpl Template
				if err := json.Unmarshal(raw, &tpl); err != nil {
					modeErr = err
					return
				}
				tpls[strings.TrimSuffix(filepath.Base(f), ".template.json")] = tpl
			}
			modeTpls[m.String()] = tpls
		}
	})
	if modeErr != nil {
		t.Fatal(modeErr)
	}
	return modeTpls
}

func functionEnvs(tpl Template) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range tpl.ofType("AWS::Lambda::Function") {
		name := str(r.Properties["FunctionName"])
		if !strings.HasPrefix(name, gcinfra.NamePrefix) {
			continue // CDK's own helpers
		}
		env, _ := r.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		out[name] = vars
	}
	return out
}

// Attack 3: claim a loop-guard role. With the canary off, gcguard-canary
// was on the own-role list but never created: anyone could create it and
// act unseen. Every ARN on the list must be a role the deployment creates.
func TestOwnRolesAreRolesTheDeploymentCreates(t *testing.T) {
	for name, tpls := range synthAll(t) {
		created := map[string]bool{}
		for _, tpl := range tpls {
			for _, r := range tpl.ofType("AWS::IAM::Role") {
				created["arn:aws:iam::"+acct+":role/"+str(r.Properties["RoleName"])] = true
			}
		}
		for fn, env := range functionEnvs(tpls[gcinfra.HubStackName()]) {
			own := str(env["GCGUARD_OWN_ROLE_ARNS"])
			if own == "" {
				t.Errorf("%s: %s has no own-role list", name, fn)
			}
			for _, arn := range strings.Split(own, ",") {
				if !created[arn] {
					t.Errorf("%s: %s lists %s as its own role, but no template creates it", name, fn, arn)
				}
			}
		}
	}
}

// fixtureEvents are every event fixture gcguard receives from EventBridge.
func fixtureEvents(t *testing.T) map[string][]byte {
	files, _ := filepath.Glob("../../events/*/*.json")
	out := map[string][]byte{}
	for _, f := range files {
		if strings.Contains(f, "/malformed/") || strings.Contains(f, "/scheduled/") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(f, "../../")] = raw
	}
	if len(out) < 30 {
		t.Fatalf("only %d fixtures", len(out))
	}
	return out
}

func withRegion(raw []byte, region string) []byte {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["region"] = region
	if d, ok := m["detail"].(map[string]any); ok {
		d["awsRegion"] = region
	}
	b, _ := json.Marshal(m)
	return b
}

// Attack 4: every UpdateAssumeRolePolicy arrived twice (two us-east-1
// forwarding rules matched it): two notices, two audit records. For every
// fixture, every mode and every region the event can start in: at most one
// forwarding rule matches, exactly one when the hub wants the event, and
// no hub target receives it from two rules. Each fixture is also replayed
// as if recorded in every other region.
func TestEveryEventHasOneDeliveryPath(t *testing.T) {
	events := fixtureEvents(t)
	for name, tpls := range synthAll(t) {
		hubRules := rulesByName(tpls[gcinfra.HubStackName()])
		for file, raw := range events {
			var ev struct{ Source, Region string }
			_ = json.Unmarshal(raw, &ev)
			origins := []string{deployconfig.USEast1, "ap-northeast-1", "ap-northeast-3"}
			if ev.Source == "aws.iam" {
				origins = []string{deployconfig.USEast1} // IAM events reach EventBridge only there
			}
			for _, region := range origins {
				e := withRegion(raw, region)
				perTarget := map[string][]string{}
				hubWants := false
				for rn, r := range hubRules {
					p, ok := r.Properties["EventPattern"].(map[string]any)
					if !ok {
						continue
					}
					hit, err := matches(p, e)
					if err != nil {
						t.Fatalf("%s: %v", rn, err)
					}
					if hit {
						hubWants = true
						tg := canon(list(r.Properties["Targets"])[0].(map[string]any)["Arn"])
						perTarget[tg] = append(perTarget[tg], rn)
					}
				}
				fwd, isForwarder := tpls[gcinfra.ForwarderStackName(region)]
				if isForwarder {
					var hits []string
					for rn, r := range rulesByName(fwd) {
						hit, err := matches(r.Properties["EventPattern"].(map[string]any), e)
						if err != nil {
							t.Fatalf("%s: %v", rn, err)
						}
						if hit {
							hits = append(hits, rn)
						}
					}
					// Where the event was recorded, the hub must get it;
					// elsewhere (say S3 events in us-east-1, not a workload
					// region) forwarding is optional, duplication never.
					if len(hits) > 1 || (hubWants && len(hits) == 0 && region == ev.Region) {
						t.Errorf("%s: %s from %s matches forwarding rules %v (hub wants it: %v)", name, file, region, hits, hubWants)
					}
				}
				home := region == "ap-northeast-1"
				if !isForwarder && !home {
					continue // nothing of this deployment sees events there
				}
				for tg, rules := range perTarget {
					if len(rules) > 1 {
						slices.Sort(rules)
						t.Errorf("%s: %s from %s reaches %s through %d rules %v", name, file, region, tg, len(rules), rules)
					}
				}
			}
		}
	}
}

// Attack 8: with iamEventSource cloudwatch-logs, nothing may touch us-east-1:
// no stack there, and make bootstrap leaves it out.
func TestCloudWatchLogsModeLeavesUSEast1Alone(t *testing.T) {
	for name, tpls := range synthAll(t) {
		_, has := tpls[gcinfra.ForwarderStackName(deployconfig.USEast1)]
		if strings.HasPrefix(name, deployconfig.SourceLogs) && has {
			t.Errorf("%s: a us-east-1 stack exists", name)
		}
		if strings.HasPrefix(name, deployconfig.SourceEventBridge) && !has {
			t.Errorf("%s: no us-east-1 forwarder", name)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	for src, want := range map[string]string{
		deployconfig.SourceLogs:        "aws://123456789012/ap-northeast-1 aws://123456789012/ap-northeast-3\n",
		deployconfig.SourceEventBridge: "aws://123456789012/ap-northeast-1 aws://123456789012/ap-northeast-3 aws://123456789012/us-east-1\n",
	} {
		f := filepath.Join(t.TempDir(), "cfg.json")
		cfg := map[string]any{"account": acct, "workloadRegions": []string{"ap-northeast-1", "ap-northeast-3"}, "iamEventSource": src}
		b, _ := json.Marshal(cfg)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("make", "-s", "-n", "-C", repoRoot(t), "bootstrap", "CONFIG="+f, "NPM=true").CombinedOutput()
		if err != nil {
			t.Fatalf("make -n bootstrap: %v\n%s", err, out)
		}
		var line string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, " bootstrap ") {
				line = l
			}
		}
		_, targets, _ := strings.Cut(line, "--no-notices ")
		if targets+"\n" != want {
			t.Errorf("%s: make bootstrap targets %q, want %q", src, targets, strings.TrimSpace(want))
		}
	}
}

// Attack 2: pass a gcguard role to another function (or an instance, a
// task) and act as gcguard. Every mutating permission must work only from
// the role's own function; what Lambda itself does with the role outside
// the function (decrypt the environment, send to the on-failure queue) is
// the only exception.
func TestPassedRoleCannotWrite(t *testing.T) {
	tpl := hub(t)
	byLambda := []string{"sqs:SendMessage", "kms:Decrypt", "kms:GenerateDataKey"}
	checked := 0
	for fn := range functionEnvs(tpl) {
		short := strings.TrimPrefix(fn, gcinfra.NamePrefix)
		roleID := roleByName(tpl, gcinfra.RoleName(short))
		if roleID == "" {
			t.Fatalf("no role for %s", fn)
		}
		own := gcinfra.FunctionARN("aws", fileCfg.HomeRegion, acct, short)
		var sts []map[string]any
		for _, p := range list(tpl.Resources[roleID].Properties["Policies"]) {
			sts = append(sts, statements(p.(map[string]any)["PolicyDocument"])...)
		}
		for a := range rolePairs(tpl, roleID) {
			if gcinfra.ReadOnly(a) || slices.Contains(byLambda, a) {
				continue
			}
			checked++
			for who, ctx := range map[string]map[string]string{
				"another function": {gcinfra.SourceFunctionKey: otherFnARN},
				"an EC2 instance":  {},
			} {
				ok, err := identityAllows(sts, request{Action: a, Ctx: ctx})
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					t.Errorf("%s's role passed to %s may still %s", fn, who, a)
				}
			}
			if ok, _ := identityAllows(sts, request{Action: a, Ctx: map[string]string{gcinfra.SourceFunctionKey: own}}); !ok {
				t.Errorf("%s itself may not %s", fn, a)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d mutating permissions checked", checked)
	}
}

// Attack 2, the notice: passing a gcguard role to a new function, an
// instance profile or a task definition raises a self-protection notice.
func TestPassingAGcguardRoleIsFlagged(t *testing.T) {
	rules := rulesByName(hub(t))
	for file, want := range map[string]string{
		"events/lambda/create-function-gcguard-role.json":               "gcguard-selfprotect-passrole-lambda",
		"events/lambda/update-function-configuration-gcguard-role.json": "gcguard-selfprotect-passrole-lambda-update",
		"events/iam/add-role-to-instance-profile-gcguard.json":          "gcguard-selfprotect-passrole-ec2",
		"events/ecs/register-task-definition-gcguard-role.json":         "gcguard-selfprotect-passrole-ecs",
	} {
		raw, err := os.ReadFile("../../" + file)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := rules[want]
		if !ok {
			t.Errorf("no rule %s", want)
			continue
		}
		hit, err := matches(r.Properties["EventPattern"].(map[string]any), raw)
		if err != nil || !hit {
			t.Errorf("%s does not flag %s (%v)", want, file, err)
		}
		// The same call by CloudFormation (gcguard's own deployment) is quiet.
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["detail"].(map[string]any)["userIdentity"].(map[string]any)["invokedBy"] = "cloudformation.amazonaws.com"
		b, _ := json.Marshal(m)
		if hit, _ := matches(r.Properties["EventPattern"].(map[string]any), b); hit {
			t.Errorf("%s flags CloudFormation's own deployment", want)
		}
	}
}

// Attack 1 (infrastructure): forge or edit audit items. Only gcguard's roles,
// the revert role and the break-glass role may write the audit table, and
// only they may use the MAC key; nobody but the deployer and break-glass
// may replace the table's policy.
func TestAuditTableAndMacKeyRefuseEveryoneElse(t *testing.T) {
	tpl := hub(t)
	var table Resource
	for _, r := range tpl.ofType("AWS::DynamoDB::Table") {
		table = r
	}
	rp, _ := table.Properties["ResourcePolicy"].(map[string]any)
	tableSts := statements(rp["PolicyDocument"])
	var macID string
	for id, r := range tpl.ofType("AWS::KMS::Key") {
		if r.Properties["KeySpec"] == "HMAC_256" && r.Properties["KeyUsage"] == "GENERATE_VERIFY_MAC" {
			macID = id
		}
	}
	if macID == "" {
		t.Fatal("no HMAC_256 GENERATE_VERIFY_MAC key")
	}
	keySts := statements(tpl.Resources[macID].Properties["KeyPolicy"])
	fnRoles := []string{}
	for fn := range functionEnvs(tpl) {
		fnRoles = append(fnRoles, gcinfra.RoleARN("aws", acct, strings.TrimPrefix(fn, gcinfra.NamePrefix)))
	}
	revert := gcinfra.RoleARN("aws", acct, "revert")
	deployer := gcinfra.DeployerRoleARN("aws", acct, fileCfg.HomeRegion)
	check := func(sts []map[string]any, action, who string, wantDenied bool) {
		t.Helper()
		denied, err := resourceDenies(sts, request{Action: action, Ctx: map[string]string{"aws:PrincipalArn": who}})
		if err != nil {
			t.Fatal(err)
		}
		if denied != wantDenied {
			t.Errorf("%s by %s: denied=%v, want %v", action, who, denied, wantDenied)
		}
	}
	for _, a := range append(append([]string{}, gcinfra.AuditDataWrites...), "dynamodb:BatchWriteItem") {
		check(tableSts, a, intruder, true)
		check(tableSts, a, deployer, true)
		check(tableSts, a, revert, false)
		check(tableSts, a, fileCfg.BreakGlassRoleARN, false)
		for _, r := range fnRoles {
			check(tableSts, a, r, false)
		}
	}
	for _, a := range gcinfra.AuditPolicyWrites {
		check(tableSts, a, intruder, true)
		check(tableSts, a, fnRoles[0], true)
		check(tableSts, a, deployer, false)
		check(tableSts, a, fileCfg.BreakGlassRoleARN, false)
	}
	for _, a := range gcinfra.MacActions {
		check(keySts, a, intruder, true)
		check(keySts, a, fileCfg.BreakGlassRoleARN, true)
		check(keySts, a, revert, false)
		for _, r := range fnRoles {
			check(keySts, a, r, false)
		}
	}
	// Every function gets the key's ARN and may use it.
	for fn, env := range functionEnvs(tpl) {
		if refID(env[gcinfra.MacKeyEnv]) != macID {
			t.Errorf("%s: %s = %v, want the MAC key", fn, gcinfra.MacKeyEnv, env[gcinfra.MacKeyEnv])
		}
		if env[gcinfra.HoldMaxHoursEnv] != "24" {
			t.Errorf("%s: %s = %v, want 24", fn, gcinfra.HoldMaxHoursEnv, env[gcinfra.HoldMaxHoursEnv])
		}
		pairs := rolePairs(tpl, roleByName(tpl, fn))
		for _, a := range gcinfra.MacActions {
			if !slices.Contains(pairs[a], "@"+macID) {
				t.Errorf("%s may not %s with the MAC key: %v", fn, a, pairs[a])
			}
		}
	}
	// The exemptions parameter starts empty and constant: a redeploy
	// never overwrites signed entries, and the config file's exemptions
	// are not written unsigned.
	for _, r := range tpl.ofType("AWS::SSM::Parameter") {
		if r.Properties["Name"] == gcinfra.ExemptionsParamName && r.Properties["Value"] != `{"version":2,"entries":[]}` {
			t.Errorf("exemptions parameter value %v", r.Properties["Value"])
		}
	}
}

// The revert role: assumable by the configured principals and break-glass
// only, and able to do exactly what a revert needs.
func TestRevertRole(t *testing.T) {
	tpl := hub(t)
	id := roleByName(tpl, gcinfra.RevertRoleName)
	if id == "" {
		t.Fatal("no revert role")
	}
	trust := statements(tpl.Resources[id].Properties["AssumeRolePolicyDocument"])
	for who, want := range map[string]bool{
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_Admin_01": true,
		fileCfg.BreakGlassRoleARN:                     true,
		"arn:aws:iam::123456789012:role/app-deploy":   false,
		"arn:aws:iam::123456789012:user/legacy-batch": false,
	} {
		ok, err := identityAllows(trust, request{Action: "sts:AssumeRole", Ctx: map[string]string{"aws:PrincipalArn": who}})
		if err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Errorf("%s may assume the revert role: %v, want %v", who, ok, want)
		}
	}
	pairs := rolePairs(tpl, id)
	for _, a := range []string{"iam:UpdateAssumeRolePolicy", "iam:UpdateAccessKey", "s3:PutBucketPolicy", "s3:PutEncryptionConfiguration",
		"s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketAcl", "s3:PutAccountPublicAccessBlock",
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query", "kms:GenerateMac", "kms:VerifyMac",
		"ssm:GetParameter", "ssm:PutParameter", "iam:GetRole"} {
		if len(pairs[a]) == 0 {
			t.Errorf("revert role lacks %s", a)
		}
	}
	for a := range pairs {
		if strings.Contains(a, "Delete") && a != "s3:DeleteBucketPolicy" {
			t.Errorf("revert role may %s: a revert restores, it deletes nothing", a)
		}
	}
}

// Attack 6: publish a forged notice. Only gcguard's roles, gcguard's
// EventBridge rules and its CloudWatch alarms may publish to the topic.
func TestTopicRefusesForgedNotices(t *testing.T) {
	tpl := hub(t)
	var sts []map[string]any
	for _, r := range tpl.ofType("AWS::SNS::TopicPolicy") {
		sts = append(sts, statements(r.Properties["PolicyDocument"])...)
	}
	deny := func(ctx map[string]string) bool {
		d, err := resourceDenies(sts, request{Action: "sns:Publish", Ctx: ctx})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if !deny(map[string]string{"aws:PrincipalArn": intruder}) {
		t.Error("an account principal may publish to gcguard's topic")
	}
	if deny(map[string]string{"aws:PrincipalArn": gcinfra.RoleARN("aws", acct, "roletrust")}) {
		t.Error("gcguard's roletrust function may not publish")
	}
	if deny(map[string]string{"aws:PrincipalServiceName": "events.amazonaws.com"}) || deny(map[string]string{"aws:PrincipalServiceName": "cloudwatch.amazonaws.com"}) {
		t.Error("EventBridge or CloudWatch may not publish")
	}
	// The services' allowances name gcguard's rules and alarms only.
	for _, st := range sts {
		if st["Effect"] == "Allow" {
			c := canon(st["Condition"])
			if !strings.Contains(c, ":rule/gcguard-*") && !strings.Contains(c, ":alarm:gcguard-*") {
				t.Errorf("topic allows %s beyond gcguard's rules and alarms: %s", canon(st["Principal"]), c)
			}
		}
	}
}

// Attack 5: break forwarding unnoticed. Forwarder alarms publish to their
// own region's topic (e-mail, CMK), rule targets have a dead-letter queue
// with its own alarm, and every forwarding workload region has a canary
// whose missing arrival alarms at the hub.
func TestForwardingFailuresReachSomeone(t *testing.T) {
	h := hub(t)
	hubAlarms := map[string]bool{}
	for _, a := range h.ofType("AWS::CloudWatch::Alarm") {
		hubAlarms[str(a.Properties["AlarmName"])] = true
	}
	for _, region := range fileCfg.ForwarderRegions() {
		tpl := synth.Templates[gcinfra.ForwarderStackName(region)]
		topics := tpl.ofType("AWS::SNS::Topic")
		if len(topics) != 1 {
			t.Fatalf("%s: %d topics", region, len(topics))
		}
		var topicID string
		for id, tp := range topics {
			topicID = id
			if tp.Properties["KmsMasterKeyId"] == nil {
				t.Errorf("%s: alarm topic without CMK", region)
			}
		}
		var mails []string
		for _, s := range tpl.ofType("AWS::SNS::Subscription") {
			if s.Properties["Protocol"] == "email" && refID(s.Properties["TopicArn"]) == topicID {
				mails = append(mails, str(s.Properties["Endpoint"]))
			}
		}
		if !slices.Equal(mails, fileCfg.Notices.Emails) {
			t.Errorf("%s: alarm topic mails %v, want %v", region, mails, fileCfg.Notices.Emails)
		}
		for id, a := range tpl.ofType("AWS::CloudWatch::Alarm") {
			acts := list(a.Properties["AlarmActions"])
			if len(acts) == 0 || refID(acts[0]) != topicID {
				t.Errorf("%s: alarm %s does not publish to the region's topic", region, id)
			}
		}
		var dlq string
		for id := range tpl.ofType("AWS::SQS::Queue") {
			dlq = id
		}
		for _, r := range rulesByName(tpl) {
			tg := list(r.Properties["Targets"])[0].(map[string]any)
			dl, _ := tg["DeadLetterConfig"].(map[string]any)
			if dlq == "" || refID(dl["Arn"]) != dlq {
				t.Errorf("%s: rule %s has no dead-letter queue", region, r.Properties["Name"])
			}
		}
		if region == deployconfig.USEast1 {
			continue
		}
		if len(tpl.ofType("AWS::Scheduler::Schedule")) != 1 || len(tpl.ofType("AWS::S3::Bucket")) != 1 {
			t.Errorf("%s: no canary schedule and bucket", region)
		}
		if !hubAlarms[gcinfra.RegionCanaryRule(region)+"-missed"] {
			t.Errorf("no hub alarm for the %s canary", region)
		}
		raw, _ := os.ReadFile("../../events/s3/put-bucket-tagging-canary-osaka.json")
		fwdHit := false
		for _, r := range rulesByName(tpl) {
			if ok, _ := matches(r.Properties["EventPattern"].(map[string]any), withRegion(raw, region)); ok {
				fwdHit = true
			}
		}
		hubRule := rulesByName(h)[gcinfra.RegionCanaryRule(region)]
		if ok, _ := matches(hubRule.Properties["EventPattern"].(map[string]any), withRegion(raw, region)); !ok || !fwdHit {
			t.Errorf("%s canary event: forwarded %v, counted at the hub %v", region, fwdHit, ok)
		}
	}
	if len(fileCfg.ForwarderRegions()) < 2 {
		t.Fatal("the test config forwards from fewer than two regions")
	}
}

// Attack 7: the Slack webhook in a function's environment. Only the
// secret's ARN is there; and the Chatbot channel is read-only.
func TestNoSecretsInEnvironmentAndReadOnlyChatbot(t *testing.T) {
	for name, tpls := range synthAll(t) {
		for fn, env := range functionEnvs(tpls[gcinfra.HubStackName()]) {
			for k, v := range env {
				s := canon(v)
				if strings.Contains(s, "hooks.slack.com") || strings.Contains(strings.ToUpper(k), "WEBHOOK") {
					t.Errorf("%s: %s carries %s=%s", name, fn, k, s)
				}
			}
		}
		for _, r := range tpls[gcinfra.HubStackName()].ofType("AWS::Chatbot::SlackChannelConfiguration") {
			g := canon(r.Properties["GuardrailPolicies"])
			if !strings.Contains(g, "ReadOnlyAccess") || strings.Contains(g, "AdministratorAccess") {
				t.Errorf("%s: chatbot guardrail %s", name, g)
			}
		}
	}
}

// Attack 10: reserved concurrency fails to deploy where the quota is low:
// none by default, the configured number otherwise.
func TestNotifierConcurrencyIsConfigurable(t *testing.T) {
	cfg := *fileCfg
	cfg.Notifier.ReservedConcurrency = 2
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")
	if err := placeholderDist(dist, append(reg.Names(), gcinfra.FnNotify, gcinfra.FnSweep, gcinfra.FnSelfCheck)...); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	if _, err := gcinfra.BuildStacks(app, gcinfra.Props{Config: &cfg, Registry: reg, DistDir: dist, Present: map[string]bool{gcinfra.FnSweep: true, gcinfra.FnSelfCheck: true}}); err != nil {
		t.Fatal(err)
	}
	app.Synth(nil)
	raw, err := os.ReadFile(filepath.Join(out, gcinfra.HubStackName()+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl Template
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	for _, r := range tpl.ofType("AWS::Lambda::Function") {
		if str(r.Properties["FunctionName"]) == gcinfra.FunctionName(gcinfra.FnNotify) && r.Properties["ReservedConcurrentExecutions"] != float64(2) {
			t.Errorf("reserved concurrency %v, want 2", r.Properties["ReservedConcurrentExecutions"])
		}
	}
}

// The CLI finds gcguard's resources through the stacks' outputs.
func TestStackOutputs(t *testing.T) {
	type outTpl struct {
		Outputs map[string]struct{ Value any } `json:"Outputs"`
	}
	read := func(stack string) outTpl {
		raw, err := os.ReadFile(filepath.Join(synth.Dir, stack+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		var o outTpl
		_ = json.Unmarshal(raw, &o)
		return o
	}
	h := read(gcinfra.HubStackName())
	for _, k := range []string{"AuditTableName", "TopicArn", "MacKeyArn", "ExemptionsParameterName", "RevertRoleArn", "S3KeyArn", "Version"} {
		v, ok := h.Outputs[k]
		if !ok || v.Value == nil || v.Value == "" {
			t.Errorf("hub output %s missing", k)
		}
	}
	if h.Outputs["Version"].Value != gcinfra.Version || h.Outputs["ExemptionsParameterName"].Value != gcinfra.ExemptionsParamName {
		t.Errorf("outputs %v", h.Outputs)
	}
	if _, ok := read(gcinfra.ForwarderStackName("ap-northeast-3")).Outputs["S3KeyArn"]; !ok {
		t.Error("the Osaka forwarder does not output its S3 key")
	}
}

// Attack 9: silence self-protection by disabling its rule. The self-check's
// schedule (Scheduler, not an EventBridge rule) hands it every gcguard rule
// of every region and every function, and an alarm fires when it stops.
func TestSelfCheckWatchesEveryRuleAndFunction(t *testing.T) {
	h := hub(t)
	var input string
	for _, s := range h.ofType("AWS::Scheduler::Schedule") {
		if s.Properties["Name"] == gcinfra.FunctionName(gcinfra.FnSelfCheck) {
			tg := s.Properties["Target"].(map[string]any)
			if tg["Arn"] != gcinfra.FunctionARN("aws", fileCfg.HomeRegion, acct, gcinfra.FnSelfCheck) {
				t.Errorf("self-check schedule targets %v", tg["Arn"])
			}
			input = canon(tg["Input"])
		}
	}
	if input == "" {
		t.Fatal("no self-check schedule")
	}
	for stack, tpl := range synth.Templates {
		for name := range rulesByName(tpl) {
			if !strings.Contains(input, `\"name\":\"`+name+`\"`) {
				t.Errorf("the self-check does not watch rule %s of %s", name, stack)
			}
		}
	}
	for fn := range functionEnvs(h) {
		if !strings.Contains(input, `\"`+fn+`\"`) {
			t.Errorf("the self-check does not watch function %s", fn)
		}
	}
	found := false
	for _, a := range h.ofType("AWS::CloudWatch::Alarm") {
		if a.Properties["AlarmName"] == "gcguard-selfcheck-missed" && a.Properties["TreatMissingData"] == "breaching" {
			found = true
		}
	}
	if !found {
		t.Error("no alarm when the self-check does not run")
	}
}
