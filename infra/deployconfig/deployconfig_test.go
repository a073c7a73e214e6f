package deployconfig_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/infra/deployconfig"
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

func TestExampleIsValid(t *testing.T) {
	raw, _ := json.Marshal(example(t))
	f, err := deployconfig.Parse(raw, rules)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.ForwarderRegions(), ","); got != "us-east-1,ap-northeast-3" {
		t.Errorf("forwarder regions %s", got)
	}
	rc, err := f.Runtime(rules, deployconfig.Resources{AuditTable: "t", TopicARN: "arn:aws:sns:ap-northeast-1:123456789012:t"})
	if err != nil || rc.Validate() != nil {
		t.Fatalf("runtime config: %v %v", err, rc.Validate())
	}
	if rc.Modes["accesskey"] != "enforce" || rc.Language != "ja" {
		t.Errorf("mapped %+v", rc)
	}
}

// Every error names the file field that is wrong.
func TestErrorsNameTheField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(m map[string]any)
	}{
		{"account", func(m map[string]any) { m["account"] = "12345" }},
		{"homeRegion", func(m map[string]any) { m["homeRegion"] = "us-east-1" }},
		{"workloadRegions", func(m map[string]any) { m["workloadRegions"] = []string{"ap-northeast-3"} }},
		{"modes.acceskey", func(m map[string]any) { m["modes"] = map[string]any{"acceskey": "enforce"} }},
		{"modes.accesskey", func(m map[string]any) { m["modes"] = map[string]any{"accesskey": "fix"} }},
		{"notices.emails[0]", func(m map[string]any) { m["notices"].(map[string]any)["emails"] = []string{"nobody"} }},
		{"notices", func(m map[string]any) { m["notices"] = map[string]any{} }},
		{"notices.slackSecretArn", func(m map[string]any) { m["notices"].(map[string]any)["slackSecretArn"] = "slack" }},
		{"kmsKeys", func(m map[string]any) {
			m["kmsKeys"] = map[string]any{"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:123456789012:key/abc"}}
		}},
		// A key in another account or region would hand the account's
		// buckets to its owner, or break every write.
		{"kmsKeys.ap-northeast-3.keyArn", func(m map[string]any) {
			m["kmsKeys"] = map[string]any{"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-3:210987654321:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}}
		}},
		{"kmsKeys.ap-northeast-3.keyArn", func(m map[string]any) {
			m["kmsKeys"] = map[string]any{"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}}
		}},
		{"kmsKeys.ap-northeast-1.keyArn", func(m map[string]any) {
			m["kmsKeys"] = map[string]any{"ap-northeast-1": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:123456789012:alias/mine"}}
		}},
		{"breakGlassRoleArn", func(m map[string]any) { m["breakGlassRoleArn"] = "arn:aws:iam::210987654321:role/BreakGlass" }},
		{"holdMaxHours", func(m map[string]any) { m["holdMaxHours"] = -1 }},
		{"notifier.reservedConcurrency", func(m map[string]any) { m["notifier"] = map[string]any{"reservedConcurrency": -2} }},
		{"trustedAccounts", func(m map[string]any) { m["trustedAccounts"] = []string{"123"} }},
		{"trustedOrg", func(m map[string]any) { m["trustedOrg"] = "org" }},
		{"allowedPrincipals", func(m map[string]any) { m["allowedPrincipals"] = []string{"role/x"} }},
		{"deployedAt", func(m map[string]any) { m["deployedAt"] = "yesterday" }},
		{"exemptions", func(m map[string]any) {
			m["exemptions"] = []any{map[string]any{"rule": "accesskey", "resource": "arn:aws:iam::123456789012:user/x", "approval": "", "expires": "2027-01-01"}}
		}},
		{"iamEventSource", func(m map[string]any) { m["iamEventSource"] = "sqs" }},
		{"cloudTrailLogGroup", func(m map[string]any) {
			m["iamEventSource"] = "cloudwatch-logs"
			m["canary"] = map[string]any{"disabled": true}
		}},
		{"logRetentionDays", func(m map[string]any) { m["logRetentionDays"] = 42 }},
		{"accessKeyAction", func(m map[string]any) { m["accessKeyAction"] = "shred" }},
		{"notices.language", func(m map[string]any) { m["notices"].(map[string]any)["language"] = "fr" }},
		{"unknown field \"colour\"", func(m map[string]any) { m["colour"] = "blue" }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			m := example(t)
			c.edit(m)
			raw, _ := json.Marshal(m)
			_, err := deployconfig.Parse(raw, rules)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("error does not name %s: %v", c.field, err)
			}
		})
	}
}

// The account's own key in its region, a break-glass role of the account,
// and the new tuning fields are accepted with their defaults.
func TestKeyBreakGlassAndTuning(t *testing.T) {
	m := example(t)
	m["kmsKeys"] = map[string]any{"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-3:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}}
	m["breakGlassRoleArn"] = "arn:aws:iam::123456789012:role/BreakGlass"
	raw, _ := json.Marshal(m)
	f, err := deployconfig.Parse(raw, rules)
	if err != nil {
		t.Fatal(err)
	}
	if f.HoldMaxHours != 24 || f.Notifier.ReservedConcurrency != 0 {
		t.Errorf("defaults: holdMaxHours %d, notifier.reservedConcurrency %d", f.HoldMaxHours, f.Notifier.ReservedConcurrency)
	}
}
