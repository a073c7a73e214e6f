// Package finding holds the vocabulary every part of gcguard speaks: the
// outcome of handling an event, the violation codes, and the one JSON finding
// shape shared by the CLI, audit records, notices and logs.
package finding

import "fmt"

// Outcome is what handling one event for one rule ended in.
type Outcome string

const (
	Fixed     Outcome = "fixed"     // enforce mode wrote the fix
	WouldFix  Outcome = "would_fix" // reported only: notify mode, or a plan gcguard may not apply
	Compliant Outcome = "compliant" // nothing to do
	Exempted  Outcome = "exempted"  // an active exemption covers the resource
	Skipped   Outcome = "skipped"   // never-touch, self-caused, failed or read-only call, resource gone
	Failed    Outcome = "failed"    // a write was attempted and did not take
)

// Outcomes lists every outcome, in a stable order for renderers and tests.
var Outcomes = []Outcome{Fixed, WouldFix, Compliant, Exempted, Skipped, Failed}

// Code names one kind of violation.
type Code string

const (
	AccessKeyCreated           Code = "access_key_created"
	AccessKeyReactivated       Code = "access_key_reactivated"
	RootAccessKeyCreated       Code = "root_access_key_created"
	IAMUserCreated             Code = "iam_user_created"
	LoginProfileCreated        Code = "login_profile_created"
	TrustPolicyOverbroad       Code = "trust_policy_overbroad"
	BucketEncryptionNotKMS     Code = "bucket_encryption_not_kms"
	BucketKeyWrong             Code = "bucket_key_wrong"
	BucketPolicyMissingTLSDeny Code = "bucket_policy_missing_tls_deny"
	BucketPublic               Code = "bucket_public"
	BucketACLPublic            Code = "bucket_acl_public"
	BucketPABOff               Code = "bucket_pab_off"
	AccountPABOff              Code = "account_pab_off"
	RequestParametersOmitted   Code = "request_parameters_omitted"
)

// Codes lists every violation code.
var Codes = []Code{
	AccessKeyCreated, AccessKeyReactivated, RootAccessKeyCreated, IAMUserCreated,
	LoginProfileCreated, TrustPolicyOverbroad, BucketEncryptionNotKMS, BucketKeyWrong,
	BucketPolicyMissingTLSDeny, BucketPublic, BucketACLPublic, BucketPABOff, AccountPABOff,
	RequestParametersOmitted,
}

// Valid reports whether c is one of the known codes.
func (c Code) Valid() bool {
	for _, k := range Codes {
		if k == c {
			return true
		}
	}
	return false
}

// Finding is one judgement about one part of a resource. Statement is the
// index of the policy statement it concerns (-1 when it concerns no
// statement); Principal is the principal as written in the policy.
// Code is a violation code or, for judgements that are not violations
// (a service principal without a source condition, say), a finer-grained
// analysis code documented where it is produced.
type Finding struct {
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	Principal string `json:"principal,omitempty"`
	Code      string `json:"code"`
	Reason    string `json:"reason"`
}

func (f Finding) String() string {
	if f.Statement >= 0 {
		return fmt.Sprintf("statement %d %s %s: %s (%s)", f.Statement, f.Sid, f.Principal, f.Reason, f.Code)
	}
	return fmt.Sprintf("%s (%s)", f.Reason, f.Code)
}
