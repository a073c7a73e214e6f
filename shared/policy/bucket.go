package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// BucketPolicyMaxBytes is S3's bucket-policy size limit (20 KB). S3 does
// not document whether whitespace counts, so plans measure the minified
// form they write, which is the smallest the policy can be sent as.
const BucketPolicyMaxBytes = 20 * 1024

// gcguard's fixed-Sid statements in a bucket policy. A statement under one
// of these Sids is gcguard's only when it is exactly one of gcguard's
// versions of it (see isGcguardStatement); anything else under such a Sid is
// the owner's, reported and never replaced, and gcguard's own statement
// then goes under the next free Sid of its slot (GcguardDenySSEC2, …).
const (
	SidDenyInsecureTransport = "GcguardDenyInsecureTransport"
	SidDenyNonKMSEncryption  = "GcguardDenyNonKMSEncryption"
	SidDenyKMSWithoutKeyID   = "GcguardDenyKMSWithoutKeyId"
	SidDenyOtherKMSKey       = "GcguardDenyOtherKMSKey"
	SidDenyCustomerKeys      = "GcguardDenySSEC"
	gcguardSidPrefix         = "Gcguard"
	condSecureTransport      = "aws:SecureTransport"
	condSSE                  = "s3:x-amz-server-side-encryption"
	condSSEKMSKeyID          = "s3:x-amz-server-side-encryption-aws-kms-key-id"
	condSSECustomerAlgorithm = "s3:x-amz-server-side-encryption-customer-algorithm"
)

// gcguardBucketSids are every Sid gcguard writes into bucket policies.
var gcguardBucketSids = []string{SidDenyInsecureTransport, SidDenyNonKMSEncryption, SidDenyKMSWithoutKeyID, SidDenyOtherKMSKey, SidDenyCustomerKeys}

// IsGcguardBucketSid reports whether a Sid is one of gcguard's base Sids.
// A Sid alone does not make a statement gcguard's: IsGcguardBucketStatement.
func IsGcguardBucketSid(sid string) bool { return slices.Contains(gcguardBucketSids, sid) }

// IsGcguardBucketStatement reports whether s is exactly one of gcguard's
// statements (any version gcguard writes) for the bucket of opt.
func IsGcguardBucketStatement(s *Statement, opt BucketOptions) bool {
	_, ok := gcguardStatementBase(s, opt.withDefaults())
	return ok
}

// BucketOptions describe the bucket a policy belongs to.
type BucketOptions struct {
	Account   string // the bucket owner's account ID
	Bucket    string // bucket name
	Region    string // the bucket's region (informational)
	Partition string // default "aws"
	// KMSKeyARN is the bucket region's allowed customer-managed key; uploads
	// naming another key are denied. "" leaves that statement out.
	KMSKeyARN string
	// BucketKeyARN is the bucket's own compliant customer-managed key (same
	// account and region, enabled; the rule checks with kms:DescribeKey).
	// When set, it is kept and the "other key" Deny names it instead of
	// KMSKeyARN.
	BucketKeyARN    string
	TrustedAccounts []string
	TrustedOrg      string
}

func (o BucketOptions) withDefaults() BucketOptions {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	return o
}

func (o BucketOptions) trusted(acct string) bool {
	return acct == o.Account || slices.Contains(o.TrustedAccounts, acct)
}

// BucketARN is the bucket's ARN; objects are BucketARN + "/*".
func (o BucketOptions) BucketARN() string {
	o = o.withDefaults()
	return "arn:" + o.Partition + ":s3:::" + o.Bucket
}

// BucketReport is the verdict on one bucket policy.
type BucketReport struct {
	Public                  bool              `json:"public"`
	ExternalAccounts        []string          `json:"external_accounts"` // sorted, never own/trusted
	OrgWide                 bool              `json:"org_wide"`
	DeniesInsecureTransport bool              `json:"denies_insecure_transport"`
	Unsure                  bool              `json:"unsure"`
	LogDelivery             bool              `json:"log_delivery"`
	Findings                []finding.Finding `json:"findings"`
}

// BucketPlan is the merge of gcguard's statements into the owner's policy.
type BucketPlan struct {
	Changed    bool              `json:"changed"`
	Document   json.RawMessage   `json:"document,omitempty"` // minified; only when Changed
	Findings   []finding.Finding `json:"findings"`
	Changes    []string          `json:"changes"`
	ReportOnly bool              `json:"report_only"`
	Reason     string            `json:"reason,omitempty"` // why ReportOnly
	// Held says what the merge leaves out and why (the upload Denies of a
	// log-delivery bucket, or of one whose owner's Denies would leave no
	// permitted upload), while the rest is still written.
	Held []string `json:"held,omitempty"`
	// Preview is what the rewrite (or the refused rewrite) does to access.
	Preview BucketPreview `json:"preview"`
}

// AnalyzeBucket judges a bucket policy; doc nil means the bucket has none.
func AnalyzeBucket(doc *Document, opt BucketOptions) BucketReport {
	return analyzeBucket(doc, opt).report
}

// GcguardBucketStatements returns gcguard's Deny statements for the
// bucket, in the order a merge appends them.
func GcguardBucketStatements(opt BucketOptions) []*Statement {
	opt = opt.withDefaults()
	bucket := opt.BucketARN()
	objects := bucket + "/*"
	star := func() *Principal { return &Principal{Wildcard: true} }
	put := func() *Values { return &Values{List: []string{"s3:PutObject"}, Single: true} }
	objRes := func() *Values { return &Values{List: []string{objects}, Single: true} }
	str := func(s ...string) []ConditionValue {
		out := make([]ConditionValue, len(s))
		for i, v := range s {
			out[i] = ConditionValue{Text: v}
		}
		return out
	}
	entry := func(key string, vals ...string) ConditionEntry {
		return ConditionEntry{Key: key, Values: str(vals...), Single: len(vals) == 1}
	}
	cond := func(blocks ...ConditionBlock) *Condition { return &Condition{Blocks: blocks} }
	block := func(op string, es ...ConditionEntry) ConditionBlock {
		return ConditionBlock{Operator: op, Entries: es}
	}
	out := []*Statement{
		{
			// Every request over plain HTTP, on the bucket and its objects.
			Sid: SidDenyInsecureTransport, HasSid: true, Effect: "Deny", Principal: star(),
			Action:    &Values{List: []string{"s3:*"}, Single: true},
			Resource:  &Values{List: []string{bucket, objects}},
			Condition: cond(block("Bool", entry(condSecureTransport, "false"))),
		},
		{
			// Uploads asking for SSE-S3 (AES256) or anything but SSE-KMS /
			// DSSE-KMS. StringNotEquals alone would also match uploads that
			// send no header (a missing key makes a negated operator true),
			// and those must keep working: default encryption applies. Null
			// false = the header is present.
			Sid: SidDenyNonKMSEncryption, HasSid: true, Effect: "Deny", Principal: star(),
			Action: put(), Resource: objRes(),
			Condition: cond(
				block("Null", entry(condSSE, "false")),
				block("StringNotEquals", entry(condSSE, "aws:kms", "aws:kms:dsse")),
			),
		},
		{
			// aws:kms or aws:kms:dsse without a key id: the S3 API reference
			// (PutObject, x-amz-server-side-encryption-aws-kms-key-id) says
			// S3 then uses the AWS managed key aws/s3, not the bucket's
			// default key, so such uploads would escape the customer-managed
			// key. Uploads without any encryption header are untouched.
			Sid: SidDenyKMSWithoutKeyID, HasSid: true, Effect: "Deny", Principal: star(),
			Action: put(), Resource: objRes(),
			Condition: cond(block("Null", entry(condSSE, "false"), entry(condSSEKMSKeyID, "true"))),
		},
	}
	if key := opt.uploadKey(); key != "" {
		allowed := []string{key}
		if _, _, _, _, res, ok := arnParts(key); ok {
			if id, ok := strings.CutPrefix(res, "key/"); ok && id != "" {
				// The header may name the key by ARN or by key ID (a UUID,
				// which no other account can choose).
				allowed = append(allowed, id)
			}
		}
		out = append(out, &Statement{
			Sid: SidDenyOtherKMSKey, HasSid: true, Effect: "Deny", Principal: star(),
			Action: put(), Resource: objRes(),
			Condition: cond(
				block("Null", entry(condSSEKMSKeyID, "false")),
				block("StringNotEquals", entry(condSSEKMSKeyID, allowed...)),
			),
		})
	}
	out = append(out, &Statement{
		// SSE-C (customer-provided keys); the bucket also blocks it with
		// BlockedEncryptionTypes, this covers buckets where that is unset.
		Sid: SidDenyCustomerKeys, HasSid: true, Effect: "Deny", Principal: star(),
		Action: put(), Resource: objRes(),
		Condition: cond(block("Null", entry(condSSECustomerAlgorithm, "false"))),
	})
	return out
}

// uploadKey is the key uploads may name: the bucket's own compliant key,
// else the configured one.
func (o BucketOptions) uploadKey() string {
	if o.BucketKeyARN != "" {
		return o.BucketKeyARN
	}
	return o.KMSKeyARN
}

// isUploadDenySid reports whether a gcguard Sid is one of its upload Denies
// (everything but the TLS Deny).
func isUploadDenySid(sid string) bool {
	return sid != SidDenyInsecureTransport && slices.Contains(gcguardBucketSids, sid)
}

// Validate reports what is wrong with the options, if anything.
func (o BucketOptions) Validate() error { return validateBucketOptions(o.withDefaults()) }

func validateBucketOptions(opt BucketOptions) error {
	if !isAccountID(opt.Account) {
		return fmt.Errorf("BucketOptions.Account %q is not a 12-digit account ID", opt.Account)
	}
	if opt.Bucket == "" || strings.ContainsAny(opt.Bucket, "/*?:\" ") {
		return fmt.Errorf("BucketOptions.Bucket %q is not a bucket name", opt.Bucket)
	}
	for name, k := range map[string]string{"KMSKeyARN": opt.KMSKeyARN, "BucketKeyARN": opt.BucketKeyARN} {
		if k == "" {
			continue
		}
		_, svc, _, acct, res, ok := arnParts(k)
		if !ok || svc != "kms" || !isAccountID(acct) || !strings.HasPrefix(res, "key/") || len(res) == len("key/") {
			return fmt.Errorf("BucketOptions.%s %q is not a KMS key ARN (arn:…:kms:region:account:key/id)", name, k)
		}
	}
	return nil
}
