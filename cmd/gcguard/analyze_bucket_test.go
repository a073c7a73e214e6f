package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/policy"
)

const bucketPolicyDir = "../../shared/policy/testdata/bucket"

func runBucket(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"analyze", "bucket"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAnalyzeBucket(t *testing.T) {
	acct := []string{"--account", "111111111111", "--bucket", "gcguard-test-bucket"}
	for _, tc := range []struct {
		name string
		args []string
		want func(policy.BucketReport) bool
	}{
		{"public", append(acct, filepath.Join(bucketPolicyDir, "public_website_with_others.json")),
			func(r policy.BucketReport) bool { return r.Public && !r.DeniesInsecureTransport }},
		{"URL-encoded", append(acct, filepath.Join(bucketPolicyDir, "urlencoded_public.json")),
			func(r policy.BucketReport) bool { return r.Public }},
		{"cross-account, flags after the file", []string{filepath.Join(bucketPolicyDir, "cross_account_role_bare_id.json"), "--account", "111111111111", "--bucket", "gcguard-test-bucket", "--trusted-account", "888888888888"},
			func(r policy.BucketReport) bool { return slices.Equal(r.ExternalAccounts, []string{"999999999999"}) }},
		{"trusted org", append(acct, "--trusted-org", "o-other456", filepath.Join(bucketPolicyDir, "orgid_untrusted.json")),
			func(r policy.BucketReport) bool { return !r.OrgWide && !r.Public }},
		{"untrusted org", append(acct, filepath.Join(bucketPolicyDir, "orgid_untrusted.json")),
			func(r policy.BucketReport) bool { return r.OrgWide && !r.Public }},
		{"owner's TLS deny", append(acct, "--region", "ap-northeast-1", "--kms-key", "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", filepath.Join(bucketPolicyDir, "tls_owner_s3star.json")),
			func(r policy.BucketReport) bool { return r.DeniesInsecureTransport && len(r.Findings) == 0 }},
		{"log delivery", append(acct, filepath.Join(bucketPolicyDir, "logdelivery_elb_account.json")),
			func(r policy.BucketReport) bool { return r.LogDelivery }},
		{"unsure", append(acct, filepath.Join(bucketPolicyDir, "unsure_unknown_operator.json")),
			func(r policy.BucketReport) bool { return r.Unsure }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBucket(t, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// The shared schema: every key present, lists never null.
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
				t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
			}
			for _, k := range []string{"public", "external_accounts", "org_wide", "denies_insecure_transport", "unsure", "log_delivery", "findings"} {
				if v, ok := raw[k]; !ok || string(v) == "null" {
					t.Errorf("key %q missing or null in %s", k, stdout)
				}
			}
			var r policy.BucketReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			if !tc.want(r) {
				t.Errorf("unexpected report: %s", stdout)
			}
		})
	}
}

func TestAnalyzeBucketStdin(t *testing.T) {
	f, err := os.Open(filepath.Join(bucketPolicyDir, "public_star_string.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	code, stdout, stderr := runBucket(t, "--account", "111111111111", "--bucket", "gcguard-test-bucket", "-")
	if code != exitOK || !strings.Contains(stdout, `"public": true`) {
		t.Errorf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestAnalyzeBucketBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("not a policy"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(bucketPolicyDir, "public_star_string.json")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"not a policy", []string{"--account", "111111111111", "--bucket", "b", garbage}, exitBadInput},
		{"missing file", []string{"--account", "111111111111", "--bucket", "b", filepath.Join(dir, "nope.json")}, exitBadInput},
		{"no account", []string{"--bucket", "b", good}, exitBadInput},
		{"no bucket", []string{"--account", "111111111111", good}, exitBadInput},
		{"account not an ID", []string{"--account", "acme", "--bucket", "b", good}, exitBadInput},
		{"key not a key ARN", []string{"--account", "111111111111", "--bucket", "b", "--kms-key", "alias/aws/s3", good}, exitBadInput},
		{"two files", []string{"--account", "111111111111", "--bucket", "b", good, good}, exitBadInput},
		{"unknown flag", []string{"--acount", "111111111111", good}, exitBadInput},
		{"help", []string{"-h"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBucket(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if stdout != "" {
				t.Errorf("output on stdout: %q", stdout)
			}
		})
	}
}

// --plan adds the plan beside the unchanged analysis fields.
func TestAnalyzeBucketPlan(t *testing.T) {
	acct := []string{"--account", "111111111111", "--bucket", "gcguard-test-bucket", "--plan", "--kms-key", "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
	for _, tc := range []struct {
		file, action string
		loses        string
	}{
		{"public_website_with_others.json", "rewrite", "anonymous"},
		{"compliant_after_merge.json", "none", ""},
		{"unsure_unknown_operator.json", "report", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := runBucket(t, append(acct, filepath.Join(bucketPolicyDir, tc.file))...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"public", "external_accounts", "org_wide", "unsure", "findings", "denies_insecure_transport", "plan"} {
				if _, ok := got[k]; !ok {
					t.Errorf("output lacks %q", k)
				}
			}
			var plan struct {
				Action  string          `json:"action"`
				Reason  string          `json:"reason"`
				After   json.RawMessage `json:"after"`
				Preview struct{ Loses, Keeps, Gains []string }
			}
			if err := json.Unmarshal(got["plan"], &plan); err != nil {
				t.Fatal(err)
			}
			if plan.Action != tc.action || plan.Reason == "" {
				t.Errorf("plan %+v, want action %s", plan, tc.action)
			}
			if (tc.action == "rewrite") != (string(plan.After) != "null") {
				t.Errorf("after = %s for action %s", plan.After, plan.Action)
			}
			if tc.action == "rewrite" {
				if _, err := policy.Parse(plan.After); err != nil {
					t.Errorf("after is not a policy: %v", err)
				}
			}
			if tc.loses != "" && !strings.Contains(strings.Join(plan.Preview.Loses, ";"), tc.loses) {
				t.Errorf("loses %v, want %q", plan.Preview.Loses, tc.loses)
			}
			if plan.Preview.Gains == nil || len(plan.Preview.Gains) != 0 {
				t.Errorf("gains %v", plan.Preview.Gains)
			}
		})
	}
	// Without --plan the output has no plan member.
	_, stdout, _ := runBucket(t, "--account", "111111111111", "--bucket", "gcguard-test-bucket", filepath.Join(bucketPolicyDir, "public_website_with_others.json"))
	if strings.Contains(stdout, `"plan"`) {
		t.Errorf("plan printed without --plan")
	}
}
