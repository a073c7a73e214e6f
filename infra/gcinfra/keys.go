package gcinfra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DataKeyProps configures gcguard's own data key.
type DataKeyProps struct {
	Account, Partition, Region string
}

// NewDataKey is the CMK for gcguard's own data in a region: topic, audit
// table, on-failure queue, log groups. The services that write with it on
// gcguard's behalf (EventBridge and CloudWatch into the topic and queue,
// CloudWatch Logs into log groups) are granted by service principal, as
// the SNS and SQS encryption guides show it: these services use the key only
// for resources that name it, and the topic and queue policies pin the
// publishing account.
func NewDataKey(scope constructs.Construct, id string, p DataKeyProps) awskms.Key {
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String("gcguard: topic, audit table, queues and logs"),
		EnableKeyRotation: jsii.Bool(true),
		Alias:             jsii.String("alias/gcguard/data"),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	denyGrantsToNonServices(key)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ServicesDeliverToGcguard"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
	}), jsii.Bool(false))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("LogsEncryptGcguardLogGroups"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(fmt.Sprintf("logs.%s.amazonaws.com", p.Region)), nil)},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", p.Partition, p.Region, p.Account),
		}},
	}), jsii.Bool(false))
	return key
}

// S3KeyProps configures a region's S3 key.
type S3KeyProps struct {
	Account, Partition, Region string
	// Accounts and ServicePrincipals are the configured extra grants.
	Accounts          []string
	ServicePrincipals []string
}

// s3KeyActions are what aws/s3 lets the account's principals do through S3.
var s3KeyActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}

// NewS3Key is the region's customer-managed key the bucket rule puts on
// buckets. Its policy is modeled on aws/s3: any principal of the account
// may use it, but only through S3 in this region, so existing readers and
// writers of a bucket keep working when the rule switches its encryption.
func NewS3Key(scope constructs.Construct, id string, p S3KeyProps) awskms.Key {
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String("gcguard: default encryption of S3 buckets in " + p.Region),
		EnableKeyRotation: jsii.Bool(true),
		Alias:             jsii.String("alias/gcguard/s3"),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	denyGrantsToNonServices(key)
	via := fmt.Sprintf("s3.%s.amazonaws.com", p.Region)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AccountPrincipalsThroughS3"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings(s3KeyActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"kms:CallerAccount": p.Account, "kms:ViaService": via}},
	}), jsii.Bool(false))
	if len(p.Accounts) > 0 {
		principals := make([]awsiam.IPrincipal, len(p.Accounts))
		for i, a := range p.Accounts {
			principals[i] = awsiam.NewAccountPrincipal(jsii.String(a))
		}
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("GrantedAccountsThroughS3"),
			Principals: &principals,
			Actions:    jsii.Strings(s3KeyActions...),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"kms:ViaService": via}},
		}), jsii.Bool(false))
	}
	if len(p.ServicePrincipals) > 0 {
		principals := make([]awsiam.IPrincipal, len(p.ServicePrincipals))
		for i, s := range p.ServicePrincipals {
			principals[i] = awsiam.NewServicePrincipal(jsii.String(s), nil)
		}
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("GrantedServices"),
			Principals: &principals,
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.Account}},
		}), jsii.Bool(false))
	}
	return key
}

// denyGrantsToNonServices lets grants on the key be created only for AWS
// services (DynamoDB, Lambda and S3 create grants on callers' behalf), so
// nobody can hand the key on to a principal the policy does not name
// (Control Tower CT.KMS.PR.3).
func denyGrantsToNonServices(key awskms.Key) {
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("GrantsOnlyForAWSServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	}), jsii.Bool(false))
}

// MacKeyProps configures the HMAC key.
type MacKeyProps struct {
	// Users are the roles that may GenerateMac/VerifyMac: gcguard's function
	// roles and the revert role.
	Users []string
}

// MacActions are what gcguard's roles do with the MAC key.
var MacActions = []string{"kms:GenerateMac", "kms:VerifyMac"}

// NewMacKey is the HMAC key that authenticates the audit items, holds,
// leases and exemptions gcguard acts on. The account keeps key management
// (CDK's default statement, so the key can never become unmanageable);
// using the key is denied to every principal but Users, whatever identity
// policies say, so nobody else can forge or check a MAC. KMS rotates only
// symmetric encryption keys (cdk-nag's KMS5 does not apply).
func NewMacKey(scope constructs.Construct, id string, p MacKeyProps) awskms.Key {
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:   jsii.String("gcguard: HMAC of audit items, holds, leases and exemptions"),
		KeySpec:       awskms.KeySpec_HMAC_256,
		KeyUsage:      awskms.KeyUsage_GENERATE_VERIFY_MAC,
		Alias:         jsii.String("alias/gcguard/mac"),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	denyGrantsToNonServices(key)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyGcguardUsesTheMacKey"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings(MacActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": p.Users}},
	}), jsii.Bool(false))
	return key
}
