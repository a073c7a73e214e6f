package notify_test

import (
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
)

// planNotice is the notice the engine builds from a rule's plan.
func planNotice(rule string, p guardrail.Plan, outcome finding.Outcome) *notify.Notice {
	return &notify.Notice{
		Rule: rule, Mode: "enforce", Outcome: outcome, Account: "123456789012", Region: "ap-northeast-1",
		EventName: "PutBucketAcl", Resource: "arn:aws:s3:::b1", Kind: "bucket", Name: "b1",
		Violations: p.Violations, Findings: p.Findings, Actions: p.Actions, Before: p.Before, After: p.After,
		Reason: p.ReportOnly, Irreversible: p.Irreversible,
	}
}

func bucketPlan(t *testing.T, st s3rules.BucketState) guardrail.Plan {
	t.Helper()
	cfg := &config.Config{Account: "123456789012", Partition: "aws",
		KMSKeys: map[string]string{"ap-northeast-1": "arn:aws:kms:ap-northeast-1:123456789012:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}
	p, err := (&s3rules.Bucket{}).Plan(guardrail.PlanInput{State: &st, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var allOn = s3rules.PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}

// TestBucketACLWordingFromTheRule runs the bucket rule itself: a bucket
// whose ACLs are merely enabled must not be said to grant everyone access;
// a bucket whose ACL grants AllUsers must say so. Both languages.
func TestBucketACLWordingFromTheRule(t *testing.T) {
	owner := s3rules.Grant{Type: "CanonicalUser", ID: "owner-id", Permission: "FULL_CONTROL"}
	enabled := s3rules.BucketState{Bucket: "b1", Region: "ap-northeast-1", PublicAccessBlock: allOn,
		Ownership: s3rules.BucketOwnership{Present: true, Rule: "ObjectWriter"},
		ACL:       s3rules.BucketACL{OwnerID: "owner-id", Grants: []s3rules.Grant{owner}}}
	public := enabled
	public.ACL.Grants = append([]s3rules.Grant{owner}, s3rules.Grant{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"})

	for _, c := range []struct {
		name          string
		st            s3rules.BucketState
		says, saysNot []claim
	}{
		{"ACLs enabled, no public grant", enabled, []claim{claimACLsEnabled}, []claim{claimPublicGrant}},
		{"public grant", public, []claim{claimPublicGrant}, nil},
	} {
		p := bucketPlan(t, c.st)
		n := planNotice("bucket", p, finding.Fixed)
		for _, lang := range langs {
			text := notify.Text(n, lang)
			wrong := text[strings.Index(text, map[string]string{"ja": "■ 検知した違反の内容", "en": "■ What is wrong"}[lang]):]
			wrong = wrong[:strings.Index(wrong, "\n■")]
			for _, cl := range c.says {
				w := map[string]string{"ja": cl.ja, "en": cl.en}[lang]
				if !strings.Contains(wrong, w) {
					t.Errorf("%s/%s: does not say %q:\n%s", c.name, lang, w, wrong)
				}
			}
			for _, cl := range c.saysNot {
				w := map[string]string{"ja": cl.ja, "en": cl.en}[lang]
				if strings.Contains(wrong, w) {
					t.Errorf("%s/%s: claims %q without a public grant:\n%s", c.name, lang, w, wrong)
				}
			}
		}
	}
}

// TestRuleLinesAreJapanese: what the bucket and account rules write into a
// notice (actions, before/after, findings, report-only reasons) has a
// Japanese phrase, for a spread of real plans. A rule whose wording drifts
// from the phrases fails here rather than mailing English to officers.
func TestRuleLinesAreJapanese(t *testing.T) {
	bucketKey := true
	states := map[string]s3rules.BucketState{
		"bare bucket": {Bucket: "b1", Region: "ap-northeast-1"},
		"sse-s3, acl public, policy without tls": {Bucket: "b1", Region: "ap-northeast-1",
			Encryption: s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "AES256"}}},
			Policy:     s3rules.BucketPolicyText{Present: true, Text: `{"Version":"2012-10-17","Statement":[{"Sid":"AppRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}`},
			Ownership:  s3rules.BucketOwnership{Present: true, Rule: "BucketOwnerPreferred"},
			ACL: s3rules.BucketACL{OwnerID: "o", Grants: []s3rules.Grant{{Type: "CanonicalUser", ID: "o", Permission: "FULL_CONTROL"},
				{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", Permission: "READ"}}}},
		"public policy, wrong key": {Bucket: "b1", Region: "ap-northeast-1", PublicAccessBlock: allOn,
			Encryption: s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:ap-northeast-1:123456789012:key/other", BucketKey: &bucketKey}}},
			Ownership:  s3rules.BucketOwnership{Present: true, Rule: "BucketOwnerEnforced"},
			Policy:     s3rules.BucketPolicyText{Present: true, Text: `{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}`}},
		"unreadable policy": {Bucket: "b1", Region: "ap-northeast-1", PublicAccessBlock: allOn,
			Policy: s3rules.BucketPolicyText{Present: true, Text: `{not json`}},
		"cdk staging": {Bucket: "b1", Region: "ap-northeast-1", CDKStaging: "CDKToolkit/StagingBucket"},
	}
	for name, st := range states {
		p := bucketPlan(t, st)
		if p.Empty() {
			t.Fatalf("%s: the rule found nothing; the case tests nothing", name)
		}
		// A policy that does not parse is reported with the parser's own
		// message: that line is the original, marked as such.
		checkJapanese(t, name, planNotice("bucket", p, finding.Fixed), name == "unreadable policy")
	}
	// The region without a key: the rule reports the encryption part.
	p, err := (&s3rules.Bucket{}).Plan(guardrail.PlanInput{State: &s3rules.BucketState{Bucket: "b1", Region: "ap-northeast-3"}, Config: &config.Config{Account: "123456789012", Partition: "aws"}})
	if err != nil {
		t.Fatal(err)
	}
	checkJapanese(t, "no key for the region", planNotice("bucket", p, finding.Fixed), false)

	ap, err := (&s3rules.AccountPAB{}).Plan(guardrail.PlanInput{State: &s3rules.AccountPABState{Account: "123456789012",
		Flags: s3rules.PublicAccessBlock{Present: true, BlockPublicAcls: true}}})
	if err != nil {
		t.Fatal(err)
	}
	checkJapanese(t, "account BPA partly off", planNotice("accountpab", ap, finding.Fixed), false)
}

func checkJapanese(t *testing.T, name string, n *notify.Notice, rawOK bool) {
	t.Helper()
	text := notify.Text(n, "ja")
	if i := strings.Index(text, "（原文）"); i >= 0 && !rawOK {
		end := strings.IndexByte(text[i:], '\n')
		t.Errorf("%s: a rule line has no Japanese phrase: %s", name, text[i:i+max(end, 0)])
	}
	if bad := englishWords(text, namesOf(n)); len(bad) > 0 {
		t.Errorf("%s: English words %v in:\n%s", name, bad, text)
	}
}

// TestSweepSummaryIsJapanese: the sweep's one summary notice (counts per
// rule and outcome, the resources still in violation) is said in Japanese;
// only the first error's own message is the original.
func TestSweepSummaryIsJapanese(t *testing.T) {
	rep := &guardrail.SweepReport{RunID: "sweep-20261124T0600Z", Counts: map[string]int{"bucket/would_fix": 2, "roletrust/fixed": 1},
		Results: []guardrail.Result{
			{Rule: "bucket", Outcome: finding.WouldFix, Target: guardrail.Target{ARN: "arn:aws:s3:::b1"}, Reason: "rule is in notify mode: nothing is changed"},
			{Rule: "roletrust", Outcome: finding.Fixed, Target: guardrail.Target{ARN: "arn:aws:iam::123456789012:role/r"}},
		},
		Errors: []string{"list buckets: AccessDenied"}}
	n := rep.Summary(&config.Config{Account: "123456789012", Partition: "aws", HomeRegion: "ap-northeast-1"})
	text := notify.Text(n, "ja")
	for _, want := range []string{"S3 バケットの保護（bucket）：違反を検知しました（未是正） 2 件", "違反を検知しました（未是正）：S3 バケットの保護 arn:aws:s3:::b1：ルールが通知モード", "エラー 1 件（最初のエラー：（原文）list buckets: AccessDenied）"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "（原文）") != 1 {
		t.Errorf("only the AWS error may be the original:\n%s", text)
	}
}

// TestReportOnlyReasonsAreJapanese: the reasons the engine, the sweep and
// the rules give for reporting instead of fixing, as they write them.
func TestReportOnlyReasonsAreJapanese(t *testing.T) {
	for _, reason := range []string{
		"existed before gcguard was deployed: reported, not changed (GCGUARD_FIX_PREEXISTING=true lets the sweep fix it)",
		"S3 refused the write (AccessDenied): an organization-level S3 policy or an SCP governs this account's Block Public Access; gcguard reports and does not fight it",
		"reported, never rewritten: findings that gcguard reports but never rewrites (service_no_source)",
		"rule is in notify mode: nothing is changed; exempted until 2027-03-31 (JST) by approval DA-1",
		"dry run: nothing is changed",
		"the call failed (AccessDenied): nothing changed",
		"configured to report console passwords, not delete them (GCGUARD_IAMUSER_DELETE_LOGIN_PROFILE)",
		"GCAS accounts sign in through IAM Identity Center and need no IAM users: delete the user, or record its approval as an exemption",
		"only the root user can delete the root user's access keys: sign in as root, open Security credentials and delete the key",
		"the event does not say which key; gcguard never touches another key of the user",
		"gcguard cannot read this trust policy, so it cannot judge it: review it by hand",
		"the planner found nothing it may change",
		"encryption: no customer-managed key is configured for region ap-northeast-3 (GCGUARD_KMS_KEYS); policy: it cannot be parsed, so gcguard does not rewrite it",
	} {
		n := notify.Sample("bucket", finding.WouldFix)
		n.Mode, n.Reason = "enforce", reason
		checkJapanese(t, reason, n, false)
	}
}
