package notify

import (
	"bytes"
	"encoding/json"
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

// The sample lines are the rules' own wording (shared/rules), so the
// samples show what a real notice says, and the Japanese rendering of each
// line is the one a real notice gets.
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
		n.Findings = []finding.Finding{{Statement: -1, Code: string(finding.AccessKeyCreated), Reason: "access key AKIAQEXAMPLE7KEY4XYZ of IAM user batch-uploader is Active"}}
		n.Actions = []string{"delete access key AKIAQEXAMPLE7KEY4XYZ of IAM user batch-uploader"}
		n.Before, n.After = "access key AKIAQEXAMPLE7KEY4XYZ of IAM user batch-uploader: Active", "access key AKIAQEXAMPLE7KEY4XYZ of IAM user batch-uploader: deleted"
		n.Irreversible = "a deleted access key cannot be restored; if the key was approved, add an exemption and create a new key"
	case "iamuser":
		n.EventName = "CreateLoginProfile"
		n.Resource, n.Kind, n.Name = "arn:aws:iam::123456789012:user/contractor-sato", "user", "contractor-sato"
		n.Violations = []finding.Code{finding.LoginProfileCreated}
		n.Findings = []finding.Finding{{Statement: -1, Code: string(finding.LoginProfileCreated), Reason: "IAM user contractor-sato has a console password"}}
		n.Actions = []string{"delete the console password (login profile) of IAM user contractor-sato"}
		n.Before, n.After = "IAM user contractor-sato: console password set", "IAM user contractor-sato: no console password"
		n.Irreversible = "a deleted console password cannot be restored; an administrator can set a new one"
	case "roletrust":
		n.EventName = "UpdateAssumeRolePolicy"
		n.Resource, n.Kind, n.Name = "arn:aws:iam::123456789012:role/app-deploy", "role", "app-deploy"
		n.Violations = []finding.Code{finding.TrustPolicyOverbroad}
		n.Findings = []finding.Finding{
			{Statement: 0, Sid: "AllowAccount", Principal: "arn:aws:iam::123456789012:root", Code: "account_wide", Reason: "every IAM principal of this account may assume (no condition pins the caller)"},
			{Statement: 1, Principal: "arn:aws:iam::999988887777:root", Code: "foreign_account", Reason: "account 999988887777 is neither this account nor trusted"},
		}
		n.Actions = []string{
			"update the trust policy of role app-deploy (iam:UpdateAssumeRolePolicy):",
			"statement 0 (AllowAccount) now trusts arn:aws:iam::123456789012:root restricted by aws:PrincipalArn to arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*",
			"dropped principal arn:aws:iam::999988887777:root from statement 1 (foreign_account)",
			"dropped statement 1: no principal left",
		}
		n.Before = "trust policy of role app-deploy:\n" + indentJSON(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}`)
		n.After = "trust policy of role app-deploy:\n" + indentJSON(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}}]}`)
		n.Preview = &Preview{
			Loses: []string{"arn:aws:iam::999988887777:root", "arn:aws:iam::123456789012:role/app-ci-runner"},
			Keeps: []string{"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AWSAdministratorAccess_0123456789abcdef"},
		}
		n.RevertCommand = "x"
		n.Stack = "app-prod-iam"
	case "bucket":
		const key = "arn:aws:kms:ap-northeast-1:123456789012:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
		n.EventName = "PutBucketEncryption"
		n.Region = "ap-northeast-1"
		n.Resource, n.Kind, n.Name = "arn:aws:s3:::juminhyo-archive-prod", "bucket", "juminhyo-archive-prod"
		n.Violations = []finding.Code{finding.BucketPABOff, finding.BucketACLPublic, finding.BucketEncryptionNotKMS, finding.BucketPolicyMissingTLSDeny}
		n.Findings = []finding.Finding{
			{Statement: -1, Code: string(finding.BucketPABOff), Reason: "Block Public Access is not fully on for the bucket: off: BlockPublicPolicy, RestrictPublicBuckets"},
			{Statement: -1, Code: string(finding.BucketACLPublic), Reason: "ACLs are enabled (Object Ownership ObjectWriter): any bucket or object ACL can make data public"},
			{Statement: -1, Code: string(finding.BucketEncryptionNotKMS), Reason: "default encryption is AES256, not SSE-KMS"},
			{Statement: -1, Code: string(finding.BucketPolicyMissingTLSDeny), Reason: "no Deny of requests without TLS (aws:SecureTransport false) on the bucket and its objects"},
		}
		n.Actions = []string{
			"turn on all four Block Public Access settings of the bucket",
			"set Object Ownership to BucketOwnerEnforced (ACLs disabled)",
			"set default encryption to aws:kms key " + key + ", bucket key on, SSE-C blocked",
			"write the bucket policy: added GcguardDenyInsecureTransport; added GcguardDenyNonKMSEncryption; added GcguardDenySSEC",
		}
		n.Before = "Block Public Access: off: BlockPublicPolicy, RestrictPublicBuckets\nObject Ownership: ObjectWriter\ndefault encryption: AES256\nbucket policy: 1 statement(s) [AppRead], 312 bytes"
		n.After = "Block Public Access: all four on\nObject Ownership: BucketOwnerEnforced\ndefault encryption: aws:kms key " + key + ", bucket key on, SSE-C blocked\n" +
			"bucket policy: 4 statement(s) [AppRead, GcguardDenyInsecureTransport, GcguardDenyNonKMSEncryption, GcguardDenySSEC], 1288 bytes"
		n.RevertCommand = "x"
		n.Stack = "juminhyo-storage"
	case "accountpab":
		n.EventName = "DeleteAccountPublicAccessBlock"
		n.Resource, n.Kind, n.Name = "arn:aws:s3:us-east-1:123456789012:account/123456789012", "account", "123456789012"
		n.Violations = []finding.Code{finding.AccountPABOff}
		n.Findings = []finding.Finding{{Statement: -1, Code: string(finding.AccountPABOff), Reason: "account-level Block Public Access is not fully on: not set (all off)"}}
		n.Actions = []string{"turn on all four account-level Block Public Access settings"}
		n.Before = "account 123456789012 Block Public Access: not set (all off)"
		n.After = "account 123456789012 Block Public Access: all four on"
		n.RevertCommand = "x"
	}
	return n
}

func indentJSON(s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

// SampleRootKey is the critical notice for a root access key: gcguard
// cannot delete it, only the root user can.
func SampleRootKey() *Notice {
	n := sampleFixed("accesskey")
	n.Outcome, n.Severity = finding.WouldFix, Critical
	n.AuditID = "20261124T061402Z-9b8a7c6d"
	n.Actor = cloudtrail.Actor{Kind: cloudtrail.ActorRoot, Name: "root", ARN: "arn:aws:iam::123456789012:root", Account: sampleAccount}
	n.Resource, n.Name = "arn:aws:iam::123456789012:root", "root"
	n.Violations = []finding.Code{finding.RootAccessKeyCreated}
	n.Findings = []finding.Finding{{Statement: -1, Code: string(finding.RootAccessKeyCreated), Reason: "the root user has an access key"}}
	n.Actions, n.After, n.Irreversible, n.RevertCommand = nil, "", "", ""
	n.Before = "root user has 1 access key(s)"
	n.Reason = "only the root user can delete the root user's access keys: sign in as root, open Security credentials and delete the key"
	return n
}

// SampleDeployment is the deployment lines a configured account adds to
// every notice (notices.systemName, notices.environment, notices.contact).
func SampleDeployment(lang string) Deployment {
	if Lang(lang) == English {
		return Deployment{SystemName: "Resident records system", Environment: "production", Contact: "Information Policy Division, Example City: gcguard desk (ext. 1234, security@city.example.lg.jp)"}
	}
	return Deployment{SystemName: "住民記録システム", Environment: "本番", Contact: "〇〇市 情報政策課 gcguard 運用窓口（内線 1234、security@city.example.lg.jp）"}
}

// DocSample is one sample notice the documentation shows: an e-mail as an
// officer receives it, subject first.
type DocSample struct {
	File string // under docs/samples/
	Lang string
	Text string
}

// DocSamples are the README's and docs/notices.md's sample e-mails: a
// trust-policy fix and an access-key deletion, in Japanese and English,
// with the deployment lines a configured account adds and the actor's
// address masked. TestDocsSamples keeps docs/samples/ equal to them.
func DocSamples() []DocSample {
	var out []DocSample
	for _, rule := range []string{"roletrust", "accesskey"} {
		for _, lang := range []string{Japanese, English} {
			n := Sample(rule, finding.Fixed)
			SampleDeployment(lang).Apply(n)
			n = Masked(n)
			out = append(out, DocSample{
				File: "notice-" + rule + "-fixed." + lang + ".txt",
				Lang: lang,
				Text: wordsFor(lang).subjectLabel + Subject(n, lang) + "\n\n" + Text(n, lang),
			})
		}
	}
	return out
}
