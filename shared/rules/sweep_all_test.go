package rules_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/finding"
)

const openTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

const ssoOnlyTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}}]}`

// A seeded account with a violation of every kind and compliant
// look-alikes: the sweep fixes exactly the violations, and a second sweep
// finds nothing to change and makes no mutating call.
func TestSweepEveryRule(t *testing.T) {
	w := newBucketWorld(t)
	ctx := context.Background()
	w.sb.Config.DeployedAt = time.Now().Add(-time.Hour)
	w.sb.Config.KMSKeys[virginia] = w.keys[virginia]
	w.user(t, "alice")
	w.newKey(t, "alice")
	w.user(t, "bob")
	w.setStatus(t, "bob", w.newKey(t, "bob"), "Inactive")
	for name, doc := range map[string]string{"open-role": openTrust, "sso-only-role": ssoOnlyTrust} {
		if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	w.createBucket(t, "plain-bucket", virginia)
	w.createBucket(t, "osaka-bucket", osaka)
	w.proxy.Reset()

	rules := []string{"accesskey", "accountpab", "bucket", "iamuser", "roletrust"}
	rep, err := sweeper(t, w.world, rules...).Run(ctx)
	if err != nil || !rep.Finished || len(rep.Errors) != 0 {
		t.Fatalf("first sweep: %+v %v", rep, err)
	}
	want := map[string]int{
		"accesskey/fixed": 1, "accesskey/compliant": 1,
		"roletrust/fixed": 1, "roletrust/compliant": 1,
		"bucket/fixed": 2, "accountpab/fixed": 1,
		"iamuser/would_fix": 2,
	}
	for k, n := range want {
		if rep.Counts[k] != n {
			t.Errorf("%s: want %d, got %d (counts %v)", k, n, rep.Counts[k], rep.Counts)
		}
	}
	for k, n := range rep.Counts {
		if _, ok := want[k]; !ok && n > 0 {
			t.Errorf("unexpected %s: %d", k, n)
		}
	}
	if v := w.view(t, "osaka-bucket", osaka); !v.allOn() {
		t.Errorf("osaka bucket not fixed: %+v", v)
	}

	w.proxy.Reset()
	rep, err = sweeper(t, w.world, rules...).Run(ctx)
	if err != nil || !rep.Finished {
		t.Fatalf("second sweep: %+v %v", rep, err)
	}
	for _, r := range rep.Results {
		if r.Outcome == finding.Fixed || r.Outcome == finding.Failed {
			t.Errorf("second sweep changed %s: %s %s", r.Target.ARN, r.Outcome, r.Reason)
		}
	}
	for _, c := range w.proxy.Mutating("") {
		if c.Service != "dynamodb" { // the checkpoint lives in the audit table
			t.Errorf("second sweep made a mutating call: %s:%s", c.Service, c.Action)
		}
	}
}
