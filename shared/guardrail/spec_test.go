package guardrail_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

func mustPattern(t testing.TB, s string) guardrail.Pattern {
	t.Helper()
	var p guardrail.Pattern
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		t.Fatalf("pattern %s: %v", s, err)
	}
	return p
}

// validSpec is a well-formed spec; each test case breaks one thing.
func validSpec() guardrail.Spec {
	return guardrail.Spec{
		Name:        "keys2",
		Summary:     "test",
		DefaultMode: config.Notify,
		Scope:       guardrail.ScopeGlobal,
		Triggers: []guardrail.Trigger{
			{Source: "aws.iam", EventNames: []string{"CreateAccessKey", "UpdateAccessKey"}},
			{Source: "aws.s3", EventNames: []string{"PutBucketPolicy"}},
		},
		Permissions: []guardrail.Permission{
			{Actions: []string{"iam:GetUser", "iam:DeleteAccessKey"}, Resources: []string{"arn:${Partition}:iam::${Account}:user/*"}},
			{Actions: []string{"s3:GetBucketPolicy"}, Resources: []string{"arn:${Partition}:s3:::*"}},
		},
	}
}

func TestSpecValidate(t *testing.T) {
	if err := validSpec().Validate(); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(*guardrail.Spec)
		says   string
	}{
		{"empty name", func(s *guardrail.Spec) { s.Name = "" }, "name"},
		{"upper-case name", func(s *guardrail.Spec) { s.Name = "AccessKey" }, "name"},
		{"name with underscore", func(s *guardrail.Spec) { s.Name = "access_key" }, "name"},
		{"name with space", func(s *guardrail.Spec) { s.Name = "access key" }, "name"},
		{"bad default mode", func(s *guardrail.Spec) { s.DefaultMode = "dry-run" }, "default mode"},
		{"no default mode", func(s *guardrail.Spec) { s.DefaultMode = "" }, "default mode"},
		{"bad scope", func(s *guardrail.Spec) { s.Scope = "everywhere" }, "scope"},
		{"no triggers", func(s *guardrail.Spec) { s.Triggers = nil }, "no triggers"},
		{"unknown source", func(s *guardrail.Spec) { s.Triggers[0].Source = "aws.ec2" }, `trigger "aws.ec2"`},
		{"trigger without names", func(s *guardrail.Spec) { s.Triggers[1].EventNames = nil }, `trigger "aws.s3"`},
		{"no permissions", func(s *guardrail.Spec) { s.Permissions = nil }, "declares no permissions"},
		{"permission without actions", func(s *guardrail.Spec) { s.Permissions[0].Actions = nil }, "needs actions and resources"},
		{"permission without resources", func(s *guardrail.Spec) { s.Permissions[1].Resources = nil }, "needs actions and resources"},
		{"action *", func(s *guardrail.Spec) { s.Permissions[0].Actions = []string{"*"} }, `action "*" is a wildcard`},
		{"service wildcard", func(s *guardrail.Spec) { s.Permissions[0].Actions = []string{"iam:GetUser", "iam:*"} }, `action "iam:*" is a wildcard`},
		{"s3:*", func(s *guardrail.Spec) { s.Permissions[1].Actions = []string{"s3:*"} }, `action "s3:*" is a wildcard`},
		{"partial wildcard", func(s *guardrail.Spec) { s.Permissions[0].Actions = []string{"iam:Delete*"} }, `action "iam:Delete*" is a wildcard`},
		{"single-character wildcard", func(s *guardrail.Spec) { s.Permissions[1].Actions = []string{"s3:?etBucketPolicy"} }, `is a wildcard`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.break_(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.says)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "rule "+s.Name+":") {
				t.Errorf("error %q does not name the rule", err)
			}
		})
	}
	s := validSpec()
	s.Name, s.Permissions = "BAD", nil
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "permissions") {
		t.Errorf("want every problem reported: %v", err)
	}
}

// The patterns are what the CDK app puts on the bus: their exact JSON.
func TestSpecPatterns(t *testing.T) {
	ps := validSpec().Patterns()
	want := []string{
		`{"detail":{"eventName":["CreateAccessKey","UpdateAccessKey"],"eventSource":["iam.amazonaws.com"]},"detail-type":["AWS API Call via CloudTrail"],"source":["aws.iam"]}`,
		`{"detail":{"eventName":["PutBucketPolicy"],"eventSource":["s3.amazonaws.com"]},"detail-type":["AWS API Call via CloudTrail"],"source":["aws.s3"]}`,
	}
	if len(ps) != len(want) {
		t.Fatalf("%d patterns, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if got := p.JSON(); got != want[i] {
			t.Errorf("pattern %d:\n got %s\nwant %s", i, got, want[i])
		}
		// What EventBridge gets back parses to the same pattern.
		if back := mustPattern(t, p.JSON()); !reflect.DeepEqual(back, p) {
			t.Errorf("pattern %d does not survive JSON: %#v", i, back)
		}
	}
	if got := validSpec().EventNames(); !reflect.DeepEqual(got, []string{"CreateAccessKey", "UpdateAccessKey", "PutBucketPolicy"}) {
		t.Errorf("EventNames() = %v", got)
	}
}

func TestSpecHandles(t *testing.T) {
	s := validSpec()
	for _, tc := range []struct {
		source, name string
		want         bool
	}{
		{"aws.iam", "CreateAccessKey", true},
		{"aws.iam", "UpdateAccessKey", true},
		{"aws.s3", "PutBucketPolicy", true},
		{"aws.s3", "CreateAccessKey", false}, // the name alone is not enough
		{"aws.iam", "PutBucketPolicy", false},
		{"aws.iam", "CreateUser", false},
		{"aws.iam", "createaccesskey", false},
	} {
		ev := &cloudtrail.Event{Source: tc.source, Detail: cloudtrail.Record{EventName: tc.name}}
		if got := s.Handles(ev); got != tc.want {
			t.Errorf("Handles(%s %s) = %v, want %v", tc.source, tc.name, got, tc.want)
		}
	}
}

func TestPermissionRender(t *testing.T) {
	p := guardrail.Permission{Actions: []string{"s3:GetBucketPolicy"}, Resources: []string{
		"arn:${Partition}:iam::${Account}:user/*", "arn:${Partition}:s3:${Region}:${Account}:x", "*"}}
	got := p.Render("aws", "123456789012", "ap-northeast-3")
	want := []string{"arn:aws:iam::123456789012:user/*", "arn:aws:s3:ap-northeast-3:123456789012:x", "*"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Render = %v, want %v", got, want)
	}
	if len(p.Resources) != 3 || p.Resources[0] != "arn:${Partition}:iam::${Account}:user/*" {
		t.Errorf("Render changed the templates: %v", p.Resources)
	}
}

func TestEnginePermissionsAreExact(t *testing.T) {
	s := validSpec()
	s.Permissions = guardrail.EnginePermissions
	if err := s.Validate(); err != nil {
		t.Errorf("engine permissions would not pass a rule's own check: %v", err)
	}
}
