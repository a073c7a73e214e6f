package s3rules

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// BucketAPI is the part of the S3 client the bucket rule uses.
type BucketAPI interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	DeleteBucketEncryption(ctx context.Context, in *s3.DeleteBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketEncryptionOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(ctx context.Context, in *s3.DeletePublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.DeletePublicAccessBlockOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
	DeleteBucketOwnershipControls(ctx context.Context, in *s3.DeleteBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketOwnershipControlsOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	PutBucketAcl(ctx context.Context, in *s3.PutBucketAclInput, optFns ...func(*s3.Options)) (*s3.PutBucketAclOutput, error)
}

var _ BucketAPI = (*s3.Client)(nil)

// KeyAPI is the part of the KMS client the bucket rule uses: whether the
// bucket's own default-encryption key is an enabled customer-managed key.
type KeyAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

var _ KeyAPI = (*kms.Client)(nil)

// BucketSpec: every bucket gets SSE-KMS with the region's key (SSE-C
// blocked), gcguard's Deny statements merged into its policy, no public
// grants, ACLs disabled and Block Public Access on.
var BucketSpec = guardrail.Spec{
	Name:        "bucket",
	Summary:     "S3 buckets: SSE-KMS with the region's key and SSE-C blocked, TLS-only merged policy, nothing public, ACLs disabled, Block Public Access on",
	DefaultMode: config.Enforce,
	Scope:       guardrail.ScopeRegional,
	Triggers: []guardrail.Trigger{{Source: "aws.s3", EventNames: []string{
		"CreateBucket", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketPolicy", "DeleteBucketPolicy",
		"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutBucketAcl",
		"PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
	}}},
	Permissions: []guardrail.Permission{
		// IAM action names per API (S3 User Guide, "Required permissions for
		// Amazon S3 API operations"): Put/DeleteBucketEncryption are both
		// s3:PutEncryptionConfiguration, Put/DeletePublicAccessBlock are
		// s3:PutBucketPublicAccessBlock, Put/DeleteBucketOwnershipControls are
		// s3:PutBucketOwnershipControls.
		{Actions: []string{
			"s3:GetBucketLocation",
			"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
			"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
			"s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
			"s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls",
			"s3:GetBucketAcl", "s3:PutBucketAcl",
		}, Resources: []string{"arn:${Partition}:s3:::*"}},
		// Whether a bucket's own default-encryption key is an enabled
		// customer-managed key of this account (s3Keys any-customer-managed).
		{Actions: []string{"kms:DescribeKey"}, Resources: []string{"arn:${Partition}:kms:*:${Account}:key/*"}},
		// CDK staging-bucket evidence and the sweep's bucket list; neither
		// DescribeStackResources nor ListAllMyBuckets takes a resource.
		{Actions: []string{"cloudformation:DescribeStackResources", "s3:ListAllMyBuckets"}, Resources: []string{"*"}},
	},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: BucketSpec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return NewBucket(d.AWS, d.Config), nil
	}})
}

// KindBucket is the target kind of this rule.
const KindBucket = "bucket"

// Bucket is the bucket rule. Clients are per region: a bucket is only
// served by its own region's endpoint.
type Bucket struct {
	S3  func(region string) BucketAPI
	CFN func(region string) guardrail.CloudFormationAPI
	// KMS describes the bucket's own key; nil: no key but gcguard's counts.
	KMS    func(region string) KeyAPI
	Config *config.Config
}

// NewBucket builds the rule with one client per region, made on first use.
func NewBucket(cfg aws.Config, c *config.Config) *Bucket {
	s3s := newPerRegion(func(region string) BucketAPI { return s3client.New(cfg, region) })
	cfns := newPerRegion(func(region string) guardrail.CloudFormationAPI {
		return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
			if region != "" {
				o.Region = region
			}
		})
	})
	kmss := newPerRegion(func(region string) KeyAPI {
		return kms.NewFromConfig(cfg, func(o *kms.Options) {
			if region != "" {
				o.Region = region
			}
		})
	})
	return &Bucket{S3: s3s.get, CFN: cfns.get, KMS: kmss.get, Config: c}
}

// Spec implements guardrail.Rule.
func (*Bucket) Spec() guardrail.Spec { return BucketSpec }

// Match names the bucket. Oversized records lose requestParameters: then the
// bucket is unknown and the plan says so (request_parameters_omitted).
func (*Bucket) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	t := guardrail.Target{Kind: KindBucket, Region: ruleutil.FirstNonEmpty(ev.Detail.AWSRegion, ev.Region)}
	t.Bucket = ruleutil.FirstNonEmpty(ev.Param("bucketName"), bucketFromHost(ev.Host()))
	if t.Bucket == "" && !ev.ParamsOmitted() {
		return t, fmt.Errorf("the %s event names no bucket", ev.Detail.EventName)
	}
	t.ARN = BucketARN(ruleutil.PartitionOf(ev), t.Bucket)
	return t, nil
}

// BucketARN is a bucket's ARN, the identity the lease, audit and exemptions use.
func BucketARN(partition, bucket string) string {
	return "arn:" + partition + ":s3:::" + bucket
}

// bucketFromHost reads a virtual-hosted bucket name (bucket.s3.region.amazonaws.com).
func bucketFromHost(host string) string {
	for _, sep := range []string{".s3.", ".s3-"} {
		if i := strings.Index(host, sep); i > 0 {
			return host[:i]
		}
	}
	return ""
}

// Explain judges the event alone; most of a bucket's state is only known
// live, and the reason says so.
func (*Bucket) Explain(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) guardrail.Explanation {
	live := "; gcguard re-reads the bucket's live state before deciding anything else"
	act := func(code finding.Code, why string) guardrail.Explanation {
		return guardrail.Explanation{Act: true, Violations: []finding.Code{code}, Reason: why + live}
	}
	if t.Bucket == "" {
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.RequestParametersOmitted},
			Reason: "CloudTrail omitted the parameters: the bucket is unknown, so gcguard reports and changes nothing; the sweep reads every bucket"}
	}
	switch ev.Detail.EventName {
	case "CreateBucket":
		return guardrail.Explanation{Act: true, Reason: "new bucket " + t.Bucket + ": gcguard sets SSE-KMS with the region's key (SSE-C blocked), merges its TLS and encryption Deny statements into the policy, disables ACLs and turns on Block Public Access, for whatever the live state lacks"}
	case "DeleteBucketEncryption":
		return act(finding.BucketEncryptionNotKMS, "default encryption removed (S3 falls back to SSE-S3): gcguard sets SSE-KMS with the region's key")
	case "PutBucketEncryption":
		return explainEncryption(ev, cfg.KMSKeys[t.Region], act)
	case "DeleteBucketPolicy":
		return act(finding.BucketPolicyMissingTLSDeny, "bucket policy deleted: gcguard writes back its Deny statements, and nothing else")
	case "PutBucketPolicy":
		raw := ev.ParamRaw("bucketPolicy")
		doc, err := policy.Parse(raw)
		if err != nil {
			return guardrail.Explanation{Act: true, Reason: "the event's policy cannot be read (" + err.Error() + ")" + live}
		}
		rep := policy.AnalyzeBucket(doc, policy.BucketOptions{Account: cfg.Account, Bucket: t.Bucket, Region: t.Region,
			Partition: cfg.Partition, KMSKeyARN: cfg.KMSKeys[t.Region], TrustedAccounts: cfg.TrustedAccounts, TrustedOrg: cfg.TrustedOrg})
		var codes []finding.Code
		var why []string
		if rep.LogDelivery {
			return guardrail.Explanation{Act: true, Reason: "log-delivery bucket: gcguard reports and does not change it"}
		}
		if rep.Public {
			codes, why = append(codes, finding.BucketPublic), append(why, "the policy grants public access: gcguard removes those grants and keeps every other statement")
		}
		if !rep.DeniesInsecureTransport {
			codes, why = append(codes, finding.BucketPolicyMissingTLSDeny), append(why, "the policy does not deny requests without TLS: gcguard merges its Deny statements in")
		}
		if len(codes) == 0 {
			return guardrail.Explanation{Reason: "the policy is not public and denies requests without TLS" + live}
		}
		return guardrail.Explanation{Act: true, Violations: codes, Reason: strings.Join(why, "; ") + live}
	case "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock":
		for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
			if ev.Param("PublicAccessBlockConfiguration."+k) != "true" {
				return act(finding.BucketPABOff, "Block Public Access turned off for the bucket: gcguard turns all four settings on")
			}
		}
		return guardrail.Explanation{Reason: "all four Block Public Access settings were turned on" + live}
	case "PutBucketAcl":
		if acl := ev.Param("x-amz-acl"); strings.Contains(acl, "public") || strings.Contains(acl, "authenticated") ||
			strings.Contains(string(ev.ParamRaw("AccessControlPolicy")), "/global/") {
			return act(finding.BucketACLPublic, "the bucket ACL grants public access: gcguard removes the public grants and disables ACLs")
		}
		return guardrail.Explanation{Act: true, Reason: "bucket ACL changed: gcguard removes public grants where ACLs are enabled" + live}
	case "PutBucketOwnershipControls", "DeleteBucketOwnershipControls":
		if ev.Param("OwnershipControls.Rule.ObjectOwnership") == enforced {
			return guardrail.Explanation{Reason: "ACLs were disabled (BucketOwnerEnforced)" + live}
		}
		return act(finding.BucketACLPublic, "ACLs were enabled: gcguard sets Object Ownership back to BucketOwnerEnforced unless the ACL grants outside the account")
	}
	return guardrail.Explanation{Act: true, Reason: "the judgement needs live state" + live}
}

// eventSSERule is one ServerSideEncryptionConfiguration.Rule as CloudTrail
// records it (XML names; the Rule is an object or a list).
type eventSSERule struct {
	Default struct {
		Algorithm string `json:"SSEAlgorithm"`
		Key       string `json:"KMSMasterKeyID"`
	} `json:"ApplyServerSideEncryptionByDefault"`
}

func explainEncryption(ev *cloudtrail.Event, key string, act func(finding.Code, string) guardrail.Explanation) guardrail.Explanation {
	raw := ev.ParamRaw("ServerSideEncryptionConfiguration.Rule")
	var rules []eventSSERule
	if json.Unmarshal(raw, &rules) != nil {
		var one eventSSERule
		if json.Unmarshal(raw, &one) == nil {
			rules = []eventSSERule{one}
		}
	}
	if len(rules) == 0 {
		return guardrail.Explanation{Act: true, Reason: "the event's encryption configuration cannot be read; gcguard re-reads the bucket's live state"}
	}
	r := rules[0].Default
	switch {
	case r.Algorithm != algKMS && r.Algorithm != algKMSDSSE:
		return act(finding.BucketEncryptionNotKMS, "default encryption set to "+orNone(r.Algorithm)+": gcguard sets SSE-KMS with the region's key, SSE-C blocked")
	case key == "":
		return act(finding.BucketKeyWrong, "no customer-managed key is configured for this region: gcguard reports only")
	case !sameKey(r.Key, key):
		return act(finding.BucketKeyWrong, "default encryption uses key "+orNone(r.Key)+", not the region's customer-managed key: gcguard sets the configured key")
	}
	return guardrail.Explanation{Reason: "SSE-KMS with the region's key; gcguard checks the bucket key and SSE-C blocking from live state"}
}
