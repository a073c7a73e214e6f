package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/report"
)

const (
	tokyo      = "ap-northeast-1"
	motoAcct   = "123456789012"
	auditTable = "gcguard-hub-AuditTable1A2B3C4D-XYZ"
	aliceARN   = "arn:aws:iam::123456789012:user/alice"
	roleARN    = "arn:aws:iam::123456789012:role/app-deploy"
)

// deployHub creates what a deployment leaves in the home region: the audit
// table (under a generated name) and the hub stack whose outputs name it.
func deployHub(t *testing.T, ctx context.Context, region string, outputs map[string]string) aws.Config {
	t.Helper()
	cfg, err := moto.Config(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	store := &audit.Store{DB: dynamodb.NewFromConfig(cfg), Table: auditTable}
	if err := store.CreateTable(ctx, dynamodb.NewFromConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	// A real HMAC key: records are signed with it and history verifies them.
	if _, ok := outputs[OutMacKeyARN]; ok {
		key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac})
		if err != nil {
			t.Fatal(err)
		}
		hubMacKey = aws.ToString(key.KeyMetadata.Arn)
		outputs[OutMacKeyARN] = hubMacKey
	}
	tmpl := map[string]any{
		"Resources": map[string]any{"Topic": map[string]any{"Type": "AWS::SNS::Topic"}},
		"Outputs":   map[string]any{},
	}
	for k, v := range outputs {
		tmpl["Outputs"].(map[string]any)[k] = map[string]any{"Value": v}
	}
	body, _ := json.Marshal(tmpl)
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(defaultHubStack), TemplateBody: aws.String(string(body)),
	}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// hubMacKey is the HMAC key deployHub made last.
var hubMacKey string

func hubOutputs() map[string]string {
	return map[string]string{
		OutAuditTable: auditTable, OutTopicARN: "arn:aws:sns:ap-northeast-1:123456789012:gcguard-topic",
		OutMacKeyARN: "arn:aws:kms:ap-northeast-1:123456789012:key/mac", OutExemptionsParam: "/gcguard/exemptions",
		OutRevertRoleARN: "arn:aws:iam::123456789012:role/gcguard-revert", OutS3KeyARN: "arn:aws:kms:ap-northeast-1:123456789012:key/s3",
		OutVersion: "v1.4.0",
	}
}

// seedHistory writes a fix, its revert and a notify-mode report as the
// engine and `gcguard revert` do.
func seedHistory(t *testing.T, ctx context.Context, cfg aws.Config) (fix, back *audit.Record) {
	t.Helper()
	store := &audit.Store{DB: dynamodb.NewFromConfig(cfg), Table: auditTable, MAC: &audit.MAC{KMS: kms.NewFromConfig(cfg), KeyARN: hubMacKey}}
	t0 := time.Date(2026, 11, 24, 1, 2, 3, 0, time.UTC) // 10:02:03 JST
	fix = &audit.Record{ID: audit.NewID(t0), Resource: aliceARN, Kind: "access_key", Account: motoAcct, Rule: "accesskey",
		Mode: "enforce", Status: audit.Planned, Outcome: finding.Fixed, Violations: []finding.Code{finding.AccessKeyCreated}, Created: t0}
	fix.Actor.Name = "taro.yamada@lg.id.cloud.go.jp"
	report := &audit.Record{ID: audit.NewID(t0.Add(time.Minute)), Resource: roleARN, Kind: "role", Account: motoAcct, Rule: "roletrust",
		Mode: "notify", Status: audit.Reported, Outcome: finding.WouldFix, Violations: []finding.Code{finding.TrustPolicyOverbroad}, Created: t0.Add(time.Minute)}
	back = &audit.Record{ID: audit.NewID(t0.Add(time.Hour)), Resource: aliceARN, Kind: "access_key", Account: motoAcct, Rule: "accesskey",
		Mode: "revert", Status: audit.Planned, Outcome: finding.Fixed, RevertOf: fix.ID, Created: t0.Add(time.Hour)}
	back.Actor.Kind, back.Actor.Name = "operator", "hanako"
	for _, r := range []*audit.Record{fix, report, back} {
		if err := store.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*audit.Record{fix, back} {
		if err := store.Finish(ctx, r, audit.Applied, "", r.Created); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.MarkReverted(ctx, fix, back.ID); err != nil {
		t.Fatal(err)
	}
	return fix, back
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func historyJSON(t *testing.T, args ...string) []historyEntry {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"history", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("history %v: exit %d: %s", args, code, errs)
	}
	var got []historyEntry
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got
}

func ids(es []historyEntry) []string {
	var s []string
	for _, e := range es {
		s = append(s, e.ID+"="+e.Action)
	}
	return s
}

// history finds the audit table from the hub stack's outputs, shows a revert
// as a revert, and filters by rule, resource and outcome.
func TestHistoryDiscoversTableAndFilters(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	cfg := deployHub(t, ctx, tokyo, hubOutputs())
	fix, back := seedHistory(t, ctx, cfg)
	common := []string{"--endpoint", moto.Endpoint(), "--region", tokyo, "--account", motoAcct}

	all := historyJSON(t, common...)
	if len(all) != 3 || all[0].ID != back.ID || all[0].Action != actionRevert || all[0].RevertOf != fix.ID {
		t.Fatalf("newest first with the revert as a revert: %v", ids(all))
	}
	if all[2].ID != fix.ID || all[2].Action != "fixed" || all[2].RevertedBy != back.ID || all[2].Status != audit.Applied {
		t.Fatalf("the fix: %+v", all[2])
	}
	if all[2].TimeJST != "2026-11-24 10:02:03 JST" || all[2].TimeUTC != "2026-11-24 01:02:03Z" {
		t.Fatalf("times %q %q", all[2].TimeJST, all[2].TimeUTC)
	}
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"rule":               {[]string{"--rule", "roletrust"}, []string{all[1].ID + "=would_fix"}},
		"outcome revert":     {[]string{"--outcome", "revert"}, []string{back.ID + "=revert"}},
		"outcome fixed":      {[]string{"--outcome", "fixed"}, []string{fix.ID + "=fixed"}},
		"resource exact":     {[]string{"--resource", aliceARN}, []string{back.ID + "=revert", fix.ID + "=fixed"}},
		"resource part":      {[]string{"--resource", "user/ali"}, []string{back.ID + "=revert", fix.ID + "=fixed"}},
		"resource and rule":  {[]string{"--resource", "app-deploy", "--rule", "accesskey"}, nil},
		"limit":              {[]string{"--limit", "1"}, []string{back.ID + "=revert"}},
		"outcome and rule":   {[]string{"--outcome", "would_fix", "--rule", "roletrust"}, []string{all[1].ID + "=would_fix"}},
		"nothing of outcome": {[]string{"--outcome", "failed"}, nil},
	} {
		got := ids(historyJSON(t, append(c.args, common...)...))
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	// Text: both times, the revert named as one and what it restored.
	code, out, errs := runCLI(t, append([]string{"history"}, common...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"TIME (JST)", "TIME (UTC)", "2026-11-24 11:02:03 JST", "2026-11-24 02:02:03Z", "restores the state before " + fix.ID, "reverted by " + back.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if line := lineOf(out, fix.ID+" "); !strings.Contains(line, "applied, reverted") {
		t.Errorf("the reverted fix's line: %q", line)
	}
	if line := lineOf(out, back.ID+" "); !strings.Contains(line, "  revert  ") || strings.Contains(line, "fixed") {
		t.Errorf("the revert's line: %q", line)
	}
	// HTML and CSV come from the scan report's renderer: every shown record
	// is a row, the revert among them.
	code, out, errs = runCLI(t, append([]string{"history", "--format", "html"}, common...)...)
	if code != exitOK || !strings.HasPrefix(strings.TrimSpace(out), "<!DOCTYPE html>") {
		t.Fatalf("history --format html: exit %d, %s\n%.200s", code, errs, out)
	}
	for _, id := range []string{fix.ID, back.ID} {
		if !strings.Contains(out, id) {
			t.Errorf("history html lacks record %s", id)
		}
	}
	code, out, errs = runCLI(t, append([]string{"history", "--format", "csv", "--resource", aliceARN}, common...)...)
	if code != exitOK {
		t.Fatalf("history --format csv: exit %d, %s", code, errs)
	}
	if rows, err := report.ReadCSV(strings.NewReader(out)); err != nil || len(rows) != 2 {
		t.Errorf("history csv for %s: %d rows, %v; want the fix and its revert", aliceARN, len(rows), err)
	}
	// Bad filters are usage errors.
	for _, args := range [][]string{{"--outcome", "reverted-ish"}, {"--format", "pdf"}, {"--limit", "-1"}} {
		if code, _, _ := runCLI(t, append(append([]string{"history"}, args...), common...)...); code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
		}
	}
}

func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// --config gives the account and the home region; the stack gives the rest.
func TestDiscoveryFromConfigFile(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	cfg := deployHub(t, ctx, "ap-northeast-3", hubOutputs())
	seedHistory(t, ctx, cfg)
	raw, err := os.ReadFile("../../config/example.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["homeRegion"] = "ap-northeast-3"
	path := filepath.Join(t.TempDir(), "123456789012.json")
	b, _ := json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := historyJSON(t, "--endpoint", moto.Endpoint(), "--config", path); len(got) != 3 {
		t.Fatalf("history via --config: %v", ids(got))
	}
	af := addAWSFlags(newFlags("t", os.Stderr))
	*af.endpoint, *af.config = moto.Endpoint(), path
	dep, err := resolveDeployment(ctx, af)
	if err != nil {
		t.Fatal(err)
	}
	want := Deployment{Account: motoAcct, Region: "ap-northeast-3", Stack: defaultHubStack, AuditTable: auditTable,
		TopicARN: hubOutputs()[OutTopicARN], MacKeyARN: hubMacKey, ExemptionsParam: "/gcguard/exemptions",
		RevertRoleARN: hubOutputs()[OutRevertRoleARN], S3KeyARN: hubOutputs()[OutS3KeyARN], Version: "v1.4.0"}
	dep.AWS, dep.File = aws.Config{}, nil
	if !reflect.DeepEqual(*dep, want) {
		t.Fatalf("deployment %+v\nwant %+v", *dep, want)
	}
	// --account contradicting the file is a usage error.
	if code, _, errs := runCLI(t, "history", "--endpoint", moto.Endpoint(), "--config", path, "--account", "210987654321"); code != exitBadInput || !strings.Contains(errs, "is not --config") {
		t.Fatalf("contradicting --account: exit %d %s", code, errs)
	}
}

// What goes wrong before a deployment reads as one sentence.
func TestDiscoveryErrorsAreSentences(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	deployHub(t, ctx, tokyo, map[string]string{OutTopicARN: "arn:aws:sns:ap-northeast-1:123456789012:t"})
	e := moto.Endpoint()
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no stack", []string{"--endpoint", e, "--region", "ap-northeast-3", "--account", motoAcct}, exitFailed,
			"gcguard history: gcguard is not deployed in 123456789012 ap-northeast-3: stack gcguard-hub not found; deploy with make deploy CONFIG=config/123456789012.json, or pass --region, --stack or --table\n"},
		{"other stack name", []string{"--endpoint", e, "--region", tokyo, "--stack", "gcguard-hub-v2"}, exitFailed, "stack gcguard-hub-v2 not found"},
		{"stack without outputs", []string{"--endpoint", e, "--region", tokyo}, exitFailed, "has no AuditTableName output"},
		{"no table", []string{"--endpoint", e, "--region", tokyo, "--table", "gcguard-audit-typo"}, exitFailed,
			"gcguard history: gcguard's audit table gcguard-audit-typo does not exist in 123456789012 ap-northeast-1"},
		{"short account", []string{"--endpoint", e, "--account", "12345678901"}, exitBadInput, "want a 12-digit AWS account id"},
		{"account with letters", []string{"--endpoint", e, "--account", "12345678901a"}, exitBadInput, "want a 12-digit AWS account id"},
		{"bad config", []string{"--endpoint", e, "--config", "../../config/nope.json"}, exitBadInput, "read --config ../../config/nope.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, append([]string{"history"}, c.args...)...)
			if code != c.code || !strings.Contains(errs, c.says) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit %d saying %q on one line", code, errs, c.code, c.says)
			}
		})
	}
}

// Without credentials the CLI says how to sign in instead of an SDK chain.
func TestMissingCredentialsSaySignIn(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "gcas-admin",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL": moto.Endpoint(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	code, _, errs := runCLI(t, "history", "--region", tokyo)
	want := "aws sso login --profile gcas-admin"
	if code != exitFailed || !strings.Contains(errs, want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want one line saying %q", code, errs, want)
	}
}
