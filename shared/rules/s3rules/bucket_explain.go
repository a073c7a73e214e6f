package s3rules

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
)

var _ guardrail.EventStater = (*Bucket)(nil)

// EventState is the bucket as the event leaves it, for `gcguard explain`:
// the part the call wrote comes from the event, every other part is taken
// as gcguard leaves it (the live state decides those), and the rule's own
// Plan judges the result. A nil state: the event does not say enough, and
// Explain judges it.
func (*Bucket) EventState(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) (guardrail.State, string, error) {
	live := "the event shows only the part it changed: the other parts of the bucket are taken as gcguard leaves them, and gcguard re-reads the bucket's live state before deciding"
	if t.Bucket == "" {
		return &BucketState{Unknown: true, Region: t.Region}, "", nil
	}
	st := compliantBucketState(t.Bucket, t.Region, cfg)
	switch ev.Detail.EventName {
	case "CreateBucket":
		// A new bucket: SSE-S3 by default, no policy; since April 2023 Block
		// Public Access is on and ACLs are disabled unless the call says
		// otherwise.
		st.Encryption = BucketEncryption{Present: true, Rules: []EncryptionRule{{Algorithm: string(types.ServerSideEncryptionAes256)}}}
		st.Policy = BucketPolicyText{}
		if o := ev.Param("x-amz-object-ownership"); o != "" {
			st.Ownership = BucketOwnership{Present: true, Rule: o}
		}
		live = "a new bucket is taken with S3's defaults (SSE-S3, no policy, Block Public Access on); gcguard re-reads its live state before deciding"
	case "DeleteBucketEncryption":
		st.Encryption = BucketEncryption{Present: true, Rules: []EncryptionRule{{Algorithm: string(types.ServerSideEncryptionAes256)}}}
	case "PutBucketEncryption":
		rule, ok := eventEncryption(ev)
		if !ok {
			return nil, "", nil
		}
		st.Encryption = BucketEncryption{Present: true, Rules: []EncryptionRule{rule}}
		st.Key = eventKeyFacts(rule, cfg, t.Region)
		if st.Key == nil && (rule.Algorithm == algKMS || rule.Algorithm == algKMSDSSE) && rule.KMSKeyID != "" &&
			!sameKey(rule.KMSKeyID, cfg.KMSKeys[t.Region]) && cfg.KeepCustomerManagedKeys() {
			live = "whether key " + rule.KMSKeyID + " is an enabled customer-managed key of this account and region is asked of KMS (kms:DescribeKey) live, and it is kept if so; here it is judged without that answer; " + live
		}
	case "DeleteBucketPolicy":
		st.Policy = BucketPolicyText{}
	case "PutBucketPolicy":
		raw := ev.ParamRaw("bucketPolicy")
		if len(raw) == 0 {
			return nil, "", nil
		}
		text := string(raw)
		var s string
		if json.Unmarshal(raw, &s) == nil {
			text = s
		}
		st.Policy = BucketPolicyText{Present: true, Text: text}
	case "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock":
		st.PublicAccessBlock = PublicAccessBlock{}
		if ev.Detail.EventName == "PutBucketPublicAccessBlock" {
			on := func(k string) bool { return ev.Param("PublicAccessBlockConfiguration."+k) == "true" }
			st.PublicAccessBlock = PublicAccessBlock{Present: true, BlockPublicAcls: on("BlockPublicAcls"), IgnorePublicAcls: on("IgnorePublicAcls"),
				BlockPublicPolicy: on("BlockPublicPolicy"), RestrictPublicBuckets: on("RestrictPublicBuckets")}
		}
	case "PutBucketOwnershipControls":
		st.Ownership = BucketOwnership{Present: true, Rule: ev.Param("OwnershipControls.Rule.ObjectOwnership")}
	case "DeleteBucketOwnershipControls":
		st.Ownership = BucketOwnership{}
	case "PutBucketAcl":
		grants, ok := cannedACL(string(ev.ParamRaw("x-amz-acl")))
		if !ok {
			return nil, "", nil
		}
		st.ACL = BucketACL{Grants: grants}
		// S3 takes an ACL only while ACLs are enabled.
		st.Ownership = BucketOwnership{Present: true, Rule: string(types.ObjectOwnershipObjectWriter)}
		live = "ACLs are taken as enabled (S3 accepts an ACL only then); " + live
	default:
		return nil, "", nil
	}
	if ev.Detail.EventName != "PutBucketPolicy" && ev.Detail.EventName != "DeleteBucketPolicy" && ev.Detail.EventName != "CreateBucket" {
		// gcguard's statements as it would have written them for this
		// state (the other-key Deny names the bucket's own key, if any).
		b := &bucketPlanner{st: st, cfg: cfg}
		own, _ := b.ownKey()
		opt := policy.BucketOptions{Account: cfg.Account, Bucket: t.Bucket, Region: t.Region, Partition: cfg.Partition,
			KMSKeyARN: cfg.KMSKeys[t.Region], BucketKeyARN: own, TrustedAccounts: cfg.TrustedAccounts, TrustedOrg: cfg.TrustedOrg}
		st.Policy = BucketPolicyText{}
		if p, err := policy.PlanBucketPolicy(nil, opt); err == nil && p.Changed {
			st.Policy = BucketPolicyText{Present: true, Text: string(p.Document)}
		}
	}
	return st, live, nil
}

// compliantBucketState is a bucket as gcguard leaves it.
func compliantBucketState(bucket, region string, cfg *config.Config) *BucketState {
	key := cfg.KMSKeys[region]
	var facts *KeyFacts
	ownKey := ""
	if key == "" {
		// No key configured (explain without one): the bucket is taken to
		// use an enabled customer-managed key of its own.
		ownKey = "arn:" + cfg.Partition + ":kms:" + region + ":" + cfg.Account + ":key/the-bucket-s-own-key"
		facts = &KeyFacts{ARN: ownKey, Manager: "CUSTOMER", State: "Enabled"}
		key = ownKey
	}
	st := &BucketState{Bucket: bucket, Region: region, Key: facts,
		Encryption:        BucketEncryption{Present: true, Rules: []EncryptionRule{{Algorithm: algKMS, KMSKeyID: key, BucketKey: boolPtr(true), Blocked: []string{blockSSEC}}}},
		PublicAccessBlock: PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
		Ownership:         BucketOwnership{Present: true, Rule: enforced},
	}
	return st
}

// eventEncryption reads the first ServerSideEncryptionConfiguration rule.
func eventEncryption(ev *cloudtrail.Event) (EncryptionRule, bool) {
	raw := ev.ParamRaw("ServerSideEncryptionConfiguration.Rule")
	type rule struct {
		eventSSERule
		BucketKey *bool `json:"BucketKeyEnabled"`
	}
	var rules []rule
	if json.Unmarshal(raw, &rules) != nil {
		var one rule
		if json.Unmarshal(raw, &one) != nil {
			return EncryptionRule{}, false
		}
		rules = []rule{one}
	}
	if len(rules) == 0 {
		return EncryptionRule{}, false
	}
	r := rules[0]
	return EncryptionRule{Algorithm: r.Default.Algorithm, KMSKeyID: r.Default.Key, BucketKey: r.BucketKey}, true
}

// eventKeyFacts answers what describeKey would without asking KMS: only
// for the aws/s3 alias and keys of other accounts.
func eventKeyFacts(r EncryptionRule, cfg *config.Config, region string) *KeyFacts {
	if !cfg.KeepCustomerManagedKeys() || r.KMSKeyID == "" || sameKey(r.KMSKeyID, cfg.KMSKeys[region]) {
		return nil
	}
	if strings.HasPrefix(r.KMSKeyID, "alias/aws/") || strings.Contains(r.KMSKeyID, ":alias/aws/") {
		return &KeyFacts{ARN: r.KMSKeyID, Manager: "AWS", State: "Enabled"}
	}
	if acct := arnAccount(r.KMSKeyID); acct != "" && acct != cfg.Account {
		return &KeyFacts{ARN: r.KMSKeyID, Error: "the key belongs to account " + acct}
	}
	return nil
}

// cannedACL returns the grants of a canned ACL header (CloudTrail records
// it as a string or a list); ok false for anything else.
func cannedACL(raw string) ([]Grant, bool) {
	all := Grant{Type: string(types.TypeGroup), URI: groupAllUsers}
	auth := Grant{Type: string(types.TypeGroup), URI: groupAuthUsers}
	with := func(g Grant, perm string) Grant { g.Permission = perm; return g }
	switch {
	case strings.Contains(raw, "public-read-write"):
		return []Grant{with(all, "READ"), with(all, "WRITE")}, true
	case strings.Contains(raw, "public-read"):
		return []Grant{with(all, "READ")}, true
	case strings.Contains(raw, "authenticated-read"):
		return []Grant{with(auth, "READ")}, true
	case strings.Contains(raw, "private"), strings.Contains(raw, "bucket-owner-full-control"):
		return nil, true
	}
	return nil, false
}
