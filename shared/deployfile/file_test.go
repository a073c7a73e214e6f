package deployfile_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/deployfile"
)

var rules = []string{"accesskey", "iamuser", "roletrust", "bucket", "accountpab"}

func example(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../config/example.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func parse(t *testing.T, m map[string]any) (*deployfile.File, error) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return deployfile.Parse(raw, rules)
}

// The example names no account's roles: allowed principals follow the
// configured account, so copying the file and changing the account is enough.
func TestAllowedPrincipalsDefaultFromAccount(t *testing.T) {
	m := example(t)
	if _, ok := m["allowedPrincipals"]; ok {
		t.Fatal("config/example.json hard-codes allowedPrincipals")
	}
	m["account"] = "210987654321"
	m["exemptions"] = []any{}
	f, err := parse(t, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/*"}
	if !slices.Equal(f.AllowedPrincipals, want) {
		t.Fatalf("allowed principals %v, want %v", f.AllowedPrincipals, want)
	}
	rc, err := f.Runtime(rules, deployfile.Resources{AuditTable: "t", TopicARN: "arn:aws:sns:ap-northeast-1:210987654321:t"})
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.FromEnv(func(k string) string { return rc.Env()[k] }, rules)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Allowed(), want) {
		t.Fatalf("runtime allowed %v", back.Allowed())
	}
	// GovCloud-style partitions follow the partition field.
	m["partition"] = "aws-us-gov"
	if f, err = parse(t, m); err != nil || f.AllowedPrincipals[0] != "arn:aws-us-gov:iam::210987654321:role/aws-reserved/sso.amazonaws.com/*" {
		t.Fatalf("partition default: %v %v", f, err)
	}
}

// Every error names its field, each bad field exactly once, all of them in
// one run.
func TestEachBadFieldNamedOnce(t *testing.T) {
	m := example(t)
	m["allowedPrincipals"] = []any{
		"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*",
		"arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/*",
		"arn:aws:iam::*:role/admin",
	}
	m["trustedAccounts"] = []any{"123456789012", "12345", "999988887777"}
	m["kmsKeys"] = map[string]any{
		"ap-northeast-1": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
	}
	m["s3Keys"] = "mine"
	m["holdMaxHours"] = 1000
	m["breakGlassRoleArn"] = "arn:aws:iam::999988887777:role/break-glass"
	m["notifier"] = map[string]any{"reservedConcurrency": -1}
	m["logRetentionDays"] = 42
	_, err := parse(t, m)
	if err == nil {
		t.Fatal("accepted")
	}
	got := deployfile.Fields(err)
	want := []string{
		"trustedAccounts[0]", "trustedAccounts[1]",
		"allowedPrincipals[1]", "allowedPrincipals[2]",
		"kmsKeys.ap-northeast-1.keyArn", "kmsKeys.ap-northeast-3.keyArn",
		"s3Keys", "logRetentionDays", "breakGlassRoleArn", "holdMaxHours", "notifier.reservedConcurrency",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("fields %v\nwant   %v\n%v", got, want, err)
	}
	for _, s := range []string{"names account 999988887777", "belongs to account 999988887777", "lives in ap-northeast-1", "always trusted"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
}

// A bad account is named once, not again through the fields derived from it.
func TestBadAccountNamedOnce(t *testing.T) {
	m := example(t)
	m["account"] = "12345"
	_, err := parse(t, m)
	if got := deployfile.Fields(err); !slices.Equal(got, []string{"account"}) {
		t.Fatalf("fields %v: %v", got, err)
	}
}

// Unknown fields are all named, nested ones with their path.
func TestUnknownFieldsAllNamed(t *testing.T) {
	m := example(t)
	m["colour"] = "blue"
	m["notices"].(map[string]any)["emial"] = "x"
	m["canary"] = map[string]any{"periodHours": 1, "every": 2}
	_, err := parse(t, m)
	if got := deployfile.Fields(err); !slices.Equal(got, []string{"canary.every", "colour", "notices.emial"}) {
		t.Fatalf("fields %v: %v", got, err)
	}
	// A wrong JSON type names the field too.
	m = example(t)
	m["holdMaxHours"] = "24"
	if _, err := parse(t, m); !slices.Equal(deployfile.Fields(err), []string{"holdMaxHours"}) {
		t.Fatalf("type error: %v", err)
	}
}

// The fields added to the runtime contract reach the functions' environment.
func TestRuntimeEnvCarriesNewFields(t *testing.T) {
	m := example(t)
	m["holdMaxHours"] = 6
	m["s3Keys"] = "gcguard-only"
	n := m["notices"].(map[string]any)
	n["systemName"], n["environment"], n["contact"] = "住民記録システム", "本番", "情報政策課 03-0000-0000"
	m["breakGlassRoleArn"] = "arn:aws:iam::123456789012:role/break-glass"
	m["notifier"] = map[string]any{"reservedConcurrency": 5}
	f, err := parse(t, m)
	if err != nil {
		t.Fatal(err)
	}
	env := runtimeEnv(t, f)
	for k, v := range map[string]string{
		config.EnvHoldMaxHours: "6", config.EnvS3Keys: "gcguard-only", config.EnvSystemName: "住民記録システム",
		config.EnvEnvironment: "本番", config.EnvContact: "情報政策課 03-0000-0000", config.EnvAuditTable: "t",
	} {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if f.Notifier.ReservedConcurrency != 5 || f.BreakGlassRoleARN == "" {
		t.Errorf("parsed %+v", f)
	}
	// Defaults: a day's hold at most, any customer-managed key, no optional lines.
	f, err = parse(t, example(t))
	if err != nil {
		t.Fatal(err)
	}
	env = runtimeEnv(t, f)
	if env[config.EnvHoldMaxHours] != "24" || env[config.EnvS3Keys] != "any-customer-managed" {
		t.Errorf("defaults %v", env)
	}
	if _, ok := env[config.EnvSystemName]; ok {
		t.Errorf("empty system name set: %v", env)
	}
}

// runtimeEnv is the functions' environment the file maps onto.
func runtimeEnv(t *testing.T, f *deployfile.File) map[string]string {
	t.Helper()
	c, err := f.Runtime(rules, deployfile.Resources{AuditTable: "t", TopicARN: "arn:aws:sns:ap-northeast-1:123456789012:t"})
	if err != nil {
		t.Fatal(err)
	}
	return c.Env()
}

// Unknown, mistyped and invalid fields are reported together, each once.
func TestAllKindsOfErrorsTogether(t *testing.T) {
	raw := []byte(`{"account":123456789012,"colour":"blue","notices":{"emails":["nobody"]},"deployedAt":"x","holdMaxHours":0.5}`)
	_, err := deployfile.Parse(raw, rules)
	got := deployfile.Fields(err)
	want := []string{"colour", "account", "notices.emails[0]", "deployedAt"}
	if !slices.Equal(got[:4], want) {
		t.Fatalf("fields %v, want %v first\n%v", got, want, err)
	}
	if slices.Contains(got[4:], "account") || !strings.Contains(err.Error(), "want a JSON string, not a number") {
		t.Fatalf("account named twice or unclear: %v", err)
	}
}

// Any input: no panic; a file Parse accepts is accepted again after a
// round trip through its effective configuration (what config check prints).
func FuzzParse(f *testing.F) {
	raw, err := os.ReadFile("../../config/example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"account":"123456789012","notices":{"emails":["a@b.jp"]},"deployedAt":"2026-11-24T09:00:00+09:00","kmsKeys":{"ap-northeast-1":{"keyArn":"arn:aws:kms:ap-northeast-1:123456789012:key/x"}}}`))
	f.Add([]byte(`{"allowedPrincipals":[],"trustedAccounts":["x"],"canary":{"x":1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := deployfile.Parse(raw, rules)
		if err != nil {
			return
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := deployfile.Parse(again, rules); err != nil {
			t.Fatalf("effective configuration rejected: %v\n%s", err, again)
		}
	})
}
