package s3rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// BucketState is what S3 says about a bucket now. Each part records whether
// it exists at all, so a revert can delete what gcguard created.
type BucketState struct {
	Bucket string `json:"bucket"`
	Region string `json:"region"`
	// Unknown: the event lost its parameters and named no bucket.
	Unknown           bool              `json:"unknown,omitempty"`
	Encryption        BucketEncryption  `json:"encryption"`
	Policy            BucketPolicyText  `json:"policy"`
	PublicAccessBlock PublicAccessBlock `json:"public_access_block"`
	Ownership         BucketOwnership   `json:"ownership"`
	ACL               BucketACL         `json:"acl"`
	// Key is what KMS says about the default-encryption key when it is not
	// gcguard's (nil: not asked).
	Key *KeyFacts `json:"key,omitempty"`
	// CDKStaging names the CloudFormation evidence that this is the CDK
	// bootstrap staging bucket ("CDKToolkit/StagingBucket"), "" otherwise.
	CDKStaging string `json:"cdk_staging,omitempty"`
}

// KeyFacts is kms:DescribeKey's answer on the bucket's default key.
type KeyFacts struct {
	ARN     string `json:"arn,omitempty"`
	Manager string `json:"manager,omitempty"` // CUSTOMER or AWS
	State   string `json:"state,omitempty"`   // Enabled, Disabled, PendingDeletion…
	// Error says why the key could not be described (not found, access
	// denied): such a key is not compliant.
	Error string `json:"error,omitempty"`
}

// BucketEncryption is the default-encryption configuration. Present false:
// none at all (moto for a new bucket; real S3 always answers AES256).
type BucketEncryption struct {
	Present bool             `json:"present"`
	Rules   []EncryptionRule `json:"rules,omitempty"`
}

// EncryptionRule is one ServerSideEncryptionRule, blocked types included:
// PutBucketEncryption replaces the whole configuration.
type EncryptionRule struct {
	Algorithm string   `json:"algorithm,omitempty"`
	KMSKeyID  string   `json:"kms_key_id,omitempty"`
	BucketKey *bool    `json:"bucket_key,omitempty"`
	Blocked   []string `json:"blocked_encryption_types,omitempty"`
}

// BucketPolicyText is the bucket policy as S3 returns it.
type BucketPolicyText struct {
	Present bool   `json:"present"`
	Text    string `json:"text,omitempty"`
}

// PublicAccessBlock is the bucket's (or account's) four flags.
type PublicAccessBlock struct {
	Present               bool `json:"present"`
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// AllOn reports whether all four flags are on.
func (p PublicAccessBlock) AllOn() bool {
	return p.BlockPublicAcls && p.IgnorePublicAcls && p.BlockPublicPolicy && p.RestrictPublicBuckets
}

// BucketOwnership is the Object Ownership rule ("" when none is set).
type BucketOwnership struct {
	Present bool   `json:"present"`
	Rule    string `json:"rule,omitempty"`
}

// BucketACL is the bucket ACL.
type BucketACL struct {
	OwnerID   string  `json:"owner_id,omitempty"`
	OwnerName string  `json:"owner_name,omitempty"`
	Grants    []Grant `json:"grants,omitempty"`
}

// Grant is one ACL grant.
type Grant struct {
	Type        string `json:"type"` // CanonicalUser, Group, AmazonCustomerByEmail
	ID          string `json:"id,omitempty"`
	URI         string `json:"uri,omitempty"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Permission  string `json:"permission"`
}

// Resolve gives the target the bucket's real region (GetBucketLocation).
func (s *BucketState) Resolve(t guardrail.Target) guardrail.Target {
	if s.Region != "" {
		t.Region = s.Region
	}
	return t
}

// S3 error codes that mean "this part of the bucket is not configured".
const (
	codeNoEncryption = "ServerSideEncryptionConfigurationNotFoundError"
	codeNoPolicy     = "NoSuchBucketPolicy"
	codeNoPAB        = "NoSuchPublicAccessBlockConfiguration"
	codeNoOwnership  = "OwnershipControlsNotFoundError"
)

// Observe reads every part the plan judges. A missing part is a state, not
// an error; a missing bucket is NoSuchBucket, which ends the run quietly.
func (r *Bucket) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	if t.Bucket == "" {
		return &BucketState{Unknown: true, Region: t.Region}, nil
	}
	owner := aws.String(r.Config.Account)
	b := aws.String(t.Bucket)
	st := &BucketState{Bucket: t.Bucket, Region: t.Region}
	loc, err := r.S3(t.Region).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b, ExpectedBucketOwner: owner})
	if err != nil {
		return nil, fmt.Errorf("read location of bucket %s: %w", t.Bucket, err)
	}
	st.Region = regionOfLocation(loc.LocationConstraint)
	api := r.S3(st.Region)
	if st.CDKStaging, err = r.cdkStaging(ctx, st.Region, t.Bucket); err != nil {
		return nil, err
	}

	enc, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b, ExpectedBucketOwner: owner})
	switch {
	case awsapi.Code(err) == codeNoEncryption:
	case err != nil:
		return nil, fmt.Errorf("read encryption of bucket %s: %w", t.Bucket, err)
	case enc.ServerSideEncryptionConfiguration != nil:
		st.Encryption = encryptionFromSDK(enc.ServerSideEncryptionConfiguration)
	}

	if st.Key, err = r.describeKey(ctx, st); err != nil {
		return nil, err
	}

	pol, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b, ExpectedBucketOwner: owner})
	switch {
	case awsapi.Code(err) == codeNoPolicy:
	case err != nil:
		return nil, fmt.Errorf("read policy of bucket %s: %w", t.Bucket, err)
	default:
		st.Policy = BucketPolicyText{Present: true, Text: aws.ToString(pol.Policy)}
	}

	pab, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b, ExpectedBucketOwner: owner})
	switch {
	case awsapi.Code(err) == codeNoPAB:
	case err != nil:
		return nil, fmt.Errorf("read Block Public Access of bucket %s: %w", t.Bucket, err)
	case pab.PublicAccessBlockConfiguration != nil:
		st.PublicAccessBlock = pabFromSDK(pab.PublicAccessBlockConfiguration)
	}

	own, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b, ExpectedBucketOwner: owner})
	switch {
	case awsapi.Code(err) == codeNoOwnership:
	case err != nil:
		return nil, fmt.Errorf("read Object Ownership of bucket %s: %w", t.Bucket, err)
	case own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
		st.Ownership = BucketOwnership{Present: true, Rule: string(own.OwnershipControls.Rules[0].ObjectOwnership)}
	default:
		st.Ownership = BucketOwnership{Present: true}
	}

	acl, err := api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b, ExpectedBucketOwner: owner})
	if err != nil {
		return nil, fmt.Errorf("read ACL of bucket %s: %w", t.Bucket, err)
	}
	st.ACL = aclFromSDK(acl.Owner, acl.Grants)
	return st, nil
}

// describeKey asks KMS about the bucket's default-encryption key when it is
// a KMS key other than gcguard's and owners' keys may be kept. A key of
// another account is not asked about: it is never compliant.
func (r *Bucket) describeKey(ctx context.Context, st *BucketState) (*KeyFacts, error) {
	if r.KMS == nil || !r.Config.KeepCustomerManagedKeys() || !st.Encryption.Present || len(st.Encryption.Rules) == 0 {
		return nil, nil
	}
	rule := st.Encryption.Rules[0]
	if (rule.Algorithm != algKMS && rule.Algorithm != algKMSDSSE) || rule.KMSKeyID == "" || sameKey(rule.KMSKeyID, r.Config.KMSKeys[st.Region]) {
		return nil, nil
	}
	if strings.HasPrefix(rule.KMSKeyID, "alias/aws/") || strings.Contains(rule.KMSKeyID, ":alias/aws/") {
		// alias/aws/… is reserved for AWS managed keys (aws/s3): never
		// customer-managed, whatever a look-up would say.
		return &KeyFacts{ARN: rule.KMSKeyID, Manager: "AWS", State: "Enabled"}, nil
	}
	if acct := arnAccount(rule.KMSKeyID); acct != "" && acct != r.Config.Account {
		return &KeyFacts{ARN: rule.KMSKeyID, Error: "the key belongs to account " + acct}, nil
	}
	out, err := r.KMS(st.Region).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(rule.KMSKeyID)})
	switch {
	case awsapi.IsNotFound(err), awsapi.Code(err) == "AccessDeniedException", awsapi.Code(err) == "NotFoundException":
		return &KeyFacts{ARN: rule.KMSKeyID, Error: awsapi.Code(err)}, nil
	case err != nil:
		return nil, fmt.Errorf("describe the default-encryption key %s of bucket %s: %w", rule.KMSKeyID, st.Bucket, err)
	case out.KeyMetadata == nil:
		return &KeyFacts{ARN: rule.KMSKeyID, Error: "KMS returned no key metadata"}, nil
	}
	m := out.KeyMetadata
	return &KeyFacts{ARN: aws.ToString(m.Arn), Manager: string(m.KeyManager), State: string(m.KeyState)}, nil
}

// arnAccount is the account part of an ARN, "" for anything else.
func arnAccount(s string) string {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return ""
	}
	return p[4]
}

// cdkStaging asks CloudFormation whether the bucket is the CDK bootstrap
// staging bucket: the CDKToolkit stack's StagingBucket resource. A name
// never counts. The question names the stack rather than the bucket, which
// real CloudFormation and moto (no look-up by physical id) both answer.
func (r *Bucket) cdkStaging(ctx context.Context, region, bucket string) (string, error) {
	out, err := r.CFN(region).DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{
		StackName: aws.String(CDKToolkitStack), LogicalResourceId: aws.String("StagingBucket")})
	if err != nil {
		// CloudFormation answers ValidationError when there is no such stack.
		if awsapi.Code(err) == "ValidationError" || awsapi.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("ask CloudFormation whether bucket %s is the CDK staging bucket: %w", bucket, err)
	}
	for _, res := range out.StackResources {
		if aws.ToString(res.LogicalResourceId) == "StagingBucket" && aws.ToString(res.ResourceType) == "AWS::S3::Bucket" &&
			aws.ToString(res.PhysicalResourceId) == bucket {
			return CDKToolkitStack + "/StagingBucket", nil
		}
	}
	return "", nil
}

// CDKToolkitStack is the stack `cdk bootstrap` deploys.
const CDKToolkitStack = "CDKToolkit"

// regionOfLocation maps GetBucketLocation's answer to a region: us-east-1
// answers nothing, and the oldest eu-west-1 buckets answer "EU".
func regionOfLocation(c types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return string(c)
}

func encryptionFromSDK(c *types.ServerSideEncryptionConfiguration) BucketEncryption {
	e := BucketEncryption{Present: true}
	for _, r := range c.Rules {
		var er EncryptionRule
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			er.Algorithm, er.KMSKeyID = string(d.SSEAlgorithm), aws.ToString(d.KMSMasterKeyID)
		}
		er.BucketKey = r.BucketKeyEnabled
		if r.BlockedEncryptionTypes != nil {
			for _, t := range r.BlockedEncryptionTypes.EncryptionType {
				er.Blocked = append(er.Blocked, string(t))
			}
		}
		e.Rules = append(e.Rules, er)
	}
	return e
}

// toSDK renders the configuration exactly as recorded, blocked types included.
func (e BucketEncryption) toSDK() *types.ServerSideEncryptionConfiguration {
	c := &types.ServerSideEncryptionConfiguration{}
	for _, r := range e.Rules {
		sr := types.ServerSideEncryptionRule{BucketKeyEnabled: r.BucketKey}
		if r.Algorithm != "" {
			sr.ApplyServerSideEncryptionByDefault = &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(r.Algorithm)}
			if r.KMSKeyID != "" {
				sr.ApplyServerSideEncryptionByDefault.KMSMasterKeyID = aws.String(r.KMSKeyID)
			}
		}
		if len(r.Blocked) > 0 {
			sr.BlockedEncryptionTypes = &types.BlockedEncryptionTypes{}
			for _, t := range r.Blocked {
				sr.BlockedEncryptionTypes.EncryptionType = append(sr.BlockedEncryptionTypes.EncryptionType, types.EncryptionType(t))
			}
		}
		c.Rules = append(c.Rules, sr)
	}
	return c
}

func pabFromSDK(c *types.PublicAccessBlockConfiguration) PublicAccessBlock {
	return PublicAccessBlock{Present: true,
		BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
		BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
}

func (p PublicAccessBlock) toSDK() *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(p.BlockPublicAcls), IgnorePublicAcls: aws.Bool(p.IgnorePublicAcls),
		BlockPublicPolicy: aws.Bool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.Bool(p.RestrictPublicBuckets)}
}

func aclFromSDK(owner *types.Owner, grants []types.Grant) BucketACL {
	a := BucketACL{}
	if owner != nil {
		a.OwnerID, a.OwnerName = aws.ToString(owner.ID), aws.ToString(owner.DisplayName)
	}
	for _, g := range grants {
		gr := Grant{Permission: string(g.Permission)}
		if e := g.Grantee; e != nil {
			gr.Type, gr.ID, gr.URI = string(e.Type), aws.ToString(e.ID), aws.ToString(e.URI)
			gr.Email, gr.DisplayName = aws.ToString(e.EmailAddress), aws.ToString(e.DisplayName)
		}
		a.Grants = append(a.Grants, gr)
	}
	return a
}

func (a BucketACL) toSDK() *types.AccessControlPolicy {
	p := &types.AccessControlPolicy{Owner: &types.Owner{ID: nonEmpty(a.OwnerID)}, Grants: []types.Grant{}}
	for _, g := range a.Grants {
		p.Grants = append(p.Grants, types.Grant{Permission: types.Permission(g.Permission), Grantee: &types.Grantee{
			Type: types.Type(g.Type), ID: nonEmpty(g.ID), URI: nonEmpty(g.URI), EmailAddress: nonEmpty(g.Email)}})
	}
	return p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// Public ACL grantees, as S3 Block Public Access defines them.
const (
	groupAllUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// Public reports whether the grant is to everyone or to every AWS account.
func (g Grant) Public() bool {
	return g.Type == string(types.TypeGroup) && (g.URI == groupAllUsers || g.URI == groupAuthUsers)
}
