package notify

import (
	"time"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

// Rules are the rule names of gcguard v1, in the order notices are shown.
var Rules = []string{"accesskey", "iamuser", "roletrust", "bucket", "accountpab"}

// SampleTime is when every sample event happened: 15:14 JST.
var SampleTime = time.Date(2026, 11, 24, 6, 14, 0, 0, time.UTC)

const sampleAccount = "123456789012"

var sampleActor = cloudtrail.Actor{
	Kind:    cloudtrail.ActorSSOUser,
	Name:    "taro.yamada@lg.id.cloud.go.jp",
	Email:   "taro.yamada@lg.id.cloud.go.jp",
	ARN:     "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AWSAdministratorAccess_0123456789abcdef",
	Account: sampleAccount,
}

// Sample is a realistic notice for a rule and outcome, the way the engine
// fills it. The demo, the documentation and the golden tests render these.
func Sample(rule string, outcome finding.Outcome) *Notice {
	n := sampleFixed(rule)
	n.Outcome = outcome
	const auditID = "20261124T061402Z-3f9a1c2e"
	switch outcome {
	case finding.Fixed:
	case finding.WouldFix:
		n.Mode = "notify"
		n.RevertCommand = ""
		n.Irreversible = ""
		n.Reason = "rule is in notify mode: nothing is changed"
	case finding.Compliant:
		n.AuditID, n.Violations, n.Findings, n.Actions = "", nil, nil, nil
		n.Before, n.After, n.RevertCommand, n.Irreversible = "", "", "", ""
		n.Severity = Info
	case finding.Exempted:
		n.Severity = Info
		n.RevertCommand, n.Irreversible = "", ""
		n.Reason = "exempted until 2027-03-31 (JST) by approval DA-2026-0142"
	case finding.Skipped:
		n.AuditID, n.Actions, n.Before, n.After, n.RevertCommand, n.Irreversible = "", nil, "", "", "", ""
		n.Severity = Info
		n.Reason = "held until 2026-11-24T07:10:00Z after revert 20261124T060955Z-7c1d2e3f"
	case finding.Failed:
		n.Severity = Critical
		n.RevertCommand, n.Irreversible = "", ""
		n.Reason = "apply: operation error " + sampleAPI[rule] + ": AccessDenied: User is not authorized to perform this action (explicit deny in a service control policy)"
	}
	if n.AuditID != "" {
		n.AuditID = auditID
		if n.RevertCommand != "" {
			n.RevertCommand = "gcguard revert " + auditID
		}
	}
	return n
}

var sampleAPI = map[string]string{
	"accesskey":  "IAM: DeleteAccessKey",
	"iamuser":    "IAM: DeleteLoginProfile",
	"roletrust":  "IAM: UpdateAssumeRolePolicy",
	"bucket":     "S3: PutBucketEncryption",
	"accountpab": "S3 Control: PutPublicAccessBlock",
}

func sampleFixed(rule string) *Notice {
	n := &Notice{
		AuditID: "x", Rule: rule, Mode: "enforce", Severity: Warning, Outcome: finding.Fixed,
		Account: sampleAccount, Region: "us-east-1", EventID: "7d2f0c7a-1b3c-4e5f-8a9b-0c1d2e3f4a5b",
		EventTime: SampleTime, Actor: sampleActor,
	}
	switch rule {
	case "accesskey":
		n.EventName = "CreateAccessKey"
		n.Resource, n.Kind, n.Name = "arn:aws:iam::123456789012:user/batch-uploader", "access_key", "AKIAQEXAMPLE7KEY4XYZ (batch-uploader)"
		n.Violations = []finding.Code{finding.AccessKeyCreated}
		n.Actions = []string{"Deleted access key AKIAQEXAMPLE7KEY4XYZ of IAM user batch-uploader (the user's other keys were not touched)"}
		n.Before, n.After = "access key AKIAQEXAMPLE7KEY4XYZ: Active (created 2026-11-24 06:14:00 UTC)", "access key AKIAQEXAMPLE7KEY4XYZ: deleted"
		n.Irreversible = "a deleted access key cannot be restored; if the Digital Agency approved a key for this user, add an exemption and create a new key"
	case "iamuser":
		n.EventName = "CreateLoginProfile"
		n.Resource, n.Kind, n.Name = "arn:aws:iam::123456789012:user/contractor-sato", "user", "contractor-sato"
		n.Violations = []finding.Code{finding.IAMUserCreated, finding.LoginProfileCreated}
		n.Actions = []string{"Deleted the console password (login profile) of IAM user contractor-sato"}
		n.Before, n.After = "IAM user contractor-sato: console password set, MFA none", "IAM user contractor-sato: no console password"
		n.Irreversible = "a deleted console password cannot be restored; a revert would need a new password, which gcguard does not create"
	case "roletrust":
		n.EventName = "UpdateAssumeRolePolicy"
		n.Resource, n.Kind, n.Name = "arn:aws:iam::123456789012:role/app-deploy", "role", "app-deploy"
		n.Violations = []finding.Code{finding.TrustPolicyOverbroad}
		n.Findings = []finding.Finding{
			{Statement: 0, Sid: "AllowAccount", Principal: "arn:aws:iam::123456789012:root", Code: "account_wide", Reason: "any IAM principal of the account may assume the role"},
			{Statement: 1, Principal: "arn:aws:iam::999988887777:root", Code: "foreign_account", Reason: "account 999988887777 is neither this account nor trusted"},
		}
		n.Actions = []string{
			"Statement 0: kept the account principal and added ArnLike aws:PrincipalArn = arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*",
			"Statement 1: removed principal arn:aws:iam::999988887777:root (the statement had nothing else and was removed)",
		}
		n.Before = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}`
		n.After = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}}]}`
		n.RevertCommand = "x"
		n.Stack = "app-prod-iam"
	case "bucket":
		n.EventName = "PutBucketEncryption"
		n.Region = "ap-northeast-1"
		n.Resource, n.Kind, n.Name = "arn:aws:s3:::juminhyo-archive-prod", "bucket", "juminhyo-archive-prod"
		n.Violations = []finding.Code{finding.BucketEncryptionNotKMS, finding.BucketPolicyMissingTLSDeny, finding.BucketPABOff}
		n.Actions = []string{
			"Set default encryption to aws:kms with key arn:aws:kms:ap-northeast-1:123456789012:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d and S3 Bucket Key on (SSE-C stays blocked)",
			"Added the deny statements gcguard-DenyInsecureTransport and gcguard-DenyOtherEncryption to the bucket policy (owner statements kept)",
			"Turned on all four Block Public Access settings of the bucket",
		}
		n.Before = "encryption: AES256 (SSE-S3); policy: 1 owner statement, no TLS deny; Block Public Access: BlockPublicPolicy=false, RestrictPublicBuckets=false"
		n.After = "encryption: aws:kms with the gcguard key, Bucket Key on; policy: owner statement + 2 gcguard deny statements; Block Public Access: all on"
		n.RevertCommand = "x"
		n.Stack = "juminhyo-storage"
	case "accountpab":
		n.EventName = "DeleteAccountPublicAccessBlock"
		n.Resource, n.Kind, n.Name = "arn:aws:s3:us-east-1:123456789012:account/123456789012", "account", "123456789012"
		n.Violations = []finding.Code{finding.AccountPABOff}
		n.Actions = []string{"Turned on all four account-level S3 Block Public Access settings"}
		n.Before = "BlockPublicAcls=false IgnorePublicAcls=false BlockPublicPolicy=false RestrictPublicBuckets=false (no configuration)"
		n.After = "BlockPublicAcls=true IgnorePublicAcls=true BlockPublicPolicy=true RestrictPublicBuckets=true"
		n.RevertCommand = "x"
	}
	return n
}

// SampleRootKey is the critical notice for a root access key: gcguard
// cannot delete it, only the root user can.
func SampleRootKey() *Notice {
	n := sampleFixed("accesskey")
	n.Outcome, n.Severity = finding.WouldFix, Critical
	n.AuditID = "20261124T061402Z-9b8a7c6d"
	n.Actor = cloudtrail.Actor{Kind: cloudtrail.ActorRoot, Name: "root", ARN: "arn:aws:iam::123456789012:root", Account: sampleAccount}
	n.Resource, n.Name = "arn:aws:iam::123456789012:root", "AKIAQROOTEXAMPLE2KEY (root)"
	n.Violations = []finding.Code{finding.RootAccessKeyCreated}
	n.Actions = []string{"Sign in as the root user now and delete access key AKIAQROOTEXAMPLE2KEY (Security credentials > Access keys)"}
	n.Before, n.After, n.Irreversible, n.RevertCommand = "", "", "", ""
	n.Reason = "only the root user can delete a root access key"
	return n
}
