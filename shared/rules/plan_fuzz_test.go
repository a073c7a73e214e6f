package rules_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/iamrules"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
)

// checkPlan holds for every plan, whatever state it came from: a violation
// is either written (actions, a valid desired state) or reported with a
// reason; a compliant resource plans no write.
func checkPlan(t *testing.T, p guardrail.Plan) {
	t.Helper()
	if p.Empty() {
		if len(p.Actions) > 0 || p.Change != nil {
			t.Fatalf("compliant, yet the plan writes: %+v", p)
		}
		return
	}
	if p.ReportOnly == "" && (len(p.Actions) == 0 || p.Change == nil) {
		t.Fatalf("a violation with neither a write nor a reason: %+v", p)
	}
	for _, raw := range []json.RawMessage{p.Prior, p.Desired} {
		if len(raw) > 0 && !json.Valid(raw) {
			t.Fatalf("prior or desired state is not JSON: %s", raw)
		}
	}
}

// FuzzBucketPlan: the bucket rule's plan over arbitrary live states (the
// state as JSON, the way the audit record stores it).
func FuzzBucketPlan(f *testing.F) {
	cfg := newBucketWorldConfig()
	key := cfg.KMSKeys[tokyo]
	states := []s3rules.BucketState{
		{Bucket: fixtureBucket, Region: tokyo, Encryption: s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "AES256"}}},
			Policy: s3rules.BucketPolicyText{Present: true, Text: ownerPolicy(roleRead(fixtureBucket), publicRead(fixtureBucket))},
			ACL: s3rules.BucketACL{OwnerID: "o", Grants: []s3rules.Grant{{Type: "CanonicalUser", ID: "o", Permission: "FULL_CONTROL"},
				{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}}}},
		{Bucket: fixtureBucket, Region: tokyo, Encryption: s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "aws:kms", KMSKeyID: key, Blocked: []string{"SSE-C"}}}},
			PublicAccessBlock: s3rules.PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}},
		{Bucket: fixtureBucket, Region: "ap-northeast-3"},
		{Unknown: true},
		{Bucket: "cdk-hnb659fds-assets-123456789012-ap-northeast-1", Region: tokyo, CDKStaging: "CDKToolkit/StagingBucket"},
	}
	for _, st := range states {
		b, err := json.Marshal(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"bucket":"b","region":"ap-northeast-1","policy":{"present":true,"text":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}}`))
	f.Add([]byte(`{"bucket":"b","region":"ap-northeast-1","policy":{"present":true,"text":"not json"},"encryption":{"present":true,"rules":[{},{}]}}`))
	r := &s3rules.Bucket{Config: cfg}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var st s3rules.BucketState
		if json.Unmarshal(raw, &st) != nil {
			return
		}
		in := guardrail.PlanInput{Target: guardrail.Target{Kind: s3rules.KindBucket, Bucket: st.Bucket, Region: st.Region}, State: &st, Config: cfg, Now: time.Unix(1_800_000_000, 0)}
		p, err := r.Plan(in)
		if err != nil {
			return
		}
		checkPlan(t, p)
	})
}

// FuzzRoleTrustPlan: the role trust rule's plan over arbitrary trust
// documents. A rewrite is a fixed point: planning over the rewritten
// document finds nothing more to change.
func FuzzRoleTrustPlan(f *testing.F) {
	for _, doc := range []string{openTrust, ssoOnlyTrust,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:*"}}`,
		`not json`,
	} {
		f.Add(doc, "/", 2048)
	}
	f.Add(openTrust, "/aws-service-role/ec2.amazonaws.com/", 100)
	cfg := newBucketWorldConfig()
	r := &iamrules.RoleTrust{Config: cfg}
	plan := func(t *testing.T, doc, path string, quota int) guardrail.Plan {
		st := &iamrules.RoleTrustState{RoleARN: "arn:aws:iam::123456789012:role/r", Path: path, Document: doc, Quota: quota}
		p, err := r.Plan(guardrail.PlanInput{Target: guardrail.Target{Kind: iamrules.KindRole, Role: "r", ARN: st.RoleARN}, State: st, Config: cfg})
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		return p
	}
	f.Fuzz(func(t *testing.T, doc, path string, quota int) {
		p := plan(t, doc, path, quota)
		checkPlan(t, p)
		if len(p.Desired) == 0 {
			return
		}
		again := plan(t, string(p.Desired), path, quota)
		if len(again.Desired) != 0 {
			t.Fatalf("the rewrite is not a fixed point:\n%s\n→ %s\n→ %s", doc, p.Desired, again.Desired)
		}
	})
}
