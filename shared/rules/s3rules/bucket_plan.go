package s3rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/policy"
)

// Encryption settings gcguard writes and accepts.
const (
	algKMS     = string(types.ServerSideEncryptionAwsKms)
	algKMSDSSE = string(types.ServerSideEncryptionAwsKmsDsse)
	blockSSEC  = string(types.EncryptionTypeSseC)
	enforced   = string(types.ObjectOwnershipBucketOwnerEnforced)
)

// bucketParts is one state of every part gcguard may write; nil parts are
// not touched. Plan.Prior holds the parts as they were, Plan.Desired as
// they will be, so a revert restores exactly the parts that changed.
type bucketParts struct {
	Bucket            string             `json:"bucket"`
	Region            string             `json:"region"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	ACL               *BucketACL         `json:"acl,omitempty"`
	Ownership         *BucketOwnership   `json:"ownership,omitempty"`
	Encryption        *BucketEncryption  `json:"encryption,omitempty"`
	Policy            *BucketPolicyText  `json:"policy,omitempty"`
}

// bucketPlanner collects one bucket's plan part by part.
type bucketPlanner struct {
	st         *BucketState
	cfg        *config.Config
	violations []finding.Code
	findings   []finding.Finding
	actions    []string
	before     []string
	after      []string
	held       []string // parts reported, not written, and why
	preview    *notify.Preview
	public     bool // something public stays unless written
	prior      bucketParts
	desired    bucketParts
}

func (b *bucketPlanner) violate(code finding.Code, reason string) {
	if !slices.Contains(b.violations, code) {
		b.violations = append(b.violations, code)
	}
	b.findings = append(b.findings, finding.Finding{Statement: -1, Code: string(code), Reason: reason})
}

// Plan decides from live state alone: parts that already comply are left
// alone, so a second run (or gcguard's own event) writes nothing.
func (r *Bucket) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	st, ok := in.State.(*BucketState)
	if !ok {
		return guardrail.Plan{}, fmt.Errorf("bucket: unexpected state %T", in.State)
	}
	if st.Unknown {
		return guardrail.Plan{
			Violations: []finding.Code{finding.RequestParametersOmitted},
			Findings: []finding.Finding{{Statement: -1, Code: string(finding.RequestParametersOmitted),
				Reason: "CloudTrail omitted the request parameters: the event does not say which bucket changed"}},
			ReportOnly: "the event names no bucket; the next sweep reads every bucket's live state",
		}, nil
	}
	b := &bucketPlanner{st: st, cfg: in.Config,
		prior: bucketParts{Bucket: st.Bucket, Region: st.Region}, desired: bucketParts{Bucket: st.Bucket, Region: st.Region}}
	key := in.Config.KMSKeys[st.Region]
	opt := policy.BucketOptions{Account: in.Config.Account, Bucket: st.Bucket, Region: st.Region, Partition: in.Config.Partition,
		KMSKeyARN: key, TrustedAccounts: in.Config.TrustedAccounts, TrustedOrg: in.Config.TrustedOrg}
	ownKey, _ := b.ownKey()
	opt.BucketKeyARN = ownKey
	logDelivery := b.logDelivery(opt)

	b.planPublicAccessBlock()
	cleaned := b.planACL()
	b.planOwnership(cleaned)
	b.planEncryption(key, logDelivery)
	b.planPolicy(opt)

	p := guardrail.Plan{Violations: b.violations, Findings: b.findings,
		Before: strings.Join(b.before, "\n"), After: strings.Join(b.after, "\n"), Preview: b.preview}
	if p.Empty() {
		return guardrail.Plan{}, nil
	}
	switch {
	case st.CDKStaging != "":
		p.ReportOnly = "the CDK bootstrap staging bucket (" + st.CDKStaging + " per CloudFormation) is never changed by gcguard: " +
			"its configuration belongs to the CDKToolkit stack; to comply, run cdk bootstrap --bootstrap-kms-key-id <this region's gcguard key ARN>"
	case len(b.actions) == 0:
		p.ReportOnly = strings.Join(b.held, "; ")
	default:
		p.Actions = b.actions
		p.Prior, p.Desired = guardrail.JSON(b.prior), guardrail.JSON(b.desired)
		p.Change = b.desired
		if len(b.held) > 0 {
			p.After += "\nnot changed (reported): " + strings.Join(b.held, "; ")
		}
		return p, nil
	}
	p.After = "unchanged"
	p.Critical = b.public
	return p, nil
}

func (b *bucketPlanner) planPublicAccessBlock() {
	cur := b.st.PublicAccessBlock
	if cur.AllOn() {
		return
	}
	b.violate(finding.BucketPABOff, "Block Public Access is not fully on for the bucket: "+describePAB(cur))
	want := PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	b.prior.PublicAccessBlock, b.desired.PublicAccessBlock = &cur, &want
	b.actions = append(b.actions, "turn on all four Block Public Access settings of the bucket")
	b.before = append(b.before, "Block Public Access: "+describePAB(cur))
	b.after = append(b.after, "Block Public Access: "+describePAB(want))
}

// planACL removes public grants where ACLs still take effect, and returns
// the ACL as it will be.
func (b *bucketPlanner) planACL() BucketACL {
	cur := b.st.ACL
	if b.st.Ownership.Rule == enforced {
		return cur // ACLs are disabled: S3 ignores every grant
	}
	want := BucketACL{OwnerID: cur.OwnerID, OwnerName: cur.OwnerName}
	var removed []string
	for _, g := range cur.Grants {
		if g.Public() {
			removed = append(removed, grantName(g)+" "+g.Permission)
			continue
		}
		want.Grants = append(want.Grants, g)
	}
	if len(removed) == 0 {
		return cur
	}
	b.public = true
	b.violate(finding.BucketACLPublic, "the bucket ACL grants "+strings.Join(removed, ", "))
	b.prior.ACL, b.desired.ACL = &cur, &want
	b.actions = append(b.actions, "remove the public ACL grants ("+strings.Join(removed, ", ")+")")
	b.before = append(b.before, "ACL: "+describeACL(cur))
	b.after = append(b.after, "ACL: "+describeACL(want))
	return want
}

// planOwnership disables ACLs (BucketOwnerEnforced). S3 refuses that while
// the ACL grants anyone outside the account, and dropping such a grant
// would take access away, so then it is reported instead.
func (b *bucketPlanner) planOwnership(acl BucketACL) {
	cur := b.st.Ownership
	if cur.Rule == enforced {
		return
	}
	name := orNone(cur.Rule)
	for _, g := range acl.Grants {
		if g.Type != string(types.TypeCanonicalUser) || g.ID != acl.OwnerID {
			b.findings = append(b.findings, finding.Finding{Statement: -1, Code: "bucket_acl_grants_outside_account",
				Reason: "ACLs stay enabled (Object Ownership " + name + "): the ACL grants " + grantName(g) + " " + g.Permission + ", and S3 refuses BucketOwnerEnforced while it does"})
			return
		}
	}
	b.violate(finding.BucketACLPublic, "ACLs are enabled (Object Ownership "+name+"): any bucket or object ACL can make data public")
	want := BucketOwnership{Present: true, Rule: enforced}
	b.prior.Ownership, b.desired.Ownership = &cur, &want
	b.actions = append(b.actions, "set Object Ownership to BucketOwnerEnforced (ACLs disabled)")
	b.before = append(b.before, "Object Ownership: "+name)
	b.after = append(b.after, "Object Ownership: "+enforced)
}

// logDelivery reports whether the bucket policy grants a log-delivery
// service (ALB/NLB, CloudFront, S3 server access logs, CloudTrail, Config).
func (b *bucketPlanner) logDelivery(opt policy.BucketOptions) bool {
	if !b.st.Policy.Present {
		return false
	}
	doc, err := policy.Parse([]byte(b.st.Policy.Text))
	return err == nil && policy.AnalyzeBucket(doc, opt).LogDelivery
}

// ownKey returns the bucket's own default-encryption key when it is
// compliant (s3Keys any-customer-managed: an enabled customer-managed key
// of this account in the bucket's region, per kms:DescribeKey), else "" and
// why not ("" when KMS was not asked).
func (b *bucketPlanner) ownKey() (string, string) {
	k := b.st.Key
	if k == nil || !b.cfg.KeepCustomerManagedKeys() {
		return "", ""
	}
	region, acct := "", arnAccount(k.ARN)
	if p := strings.SplitN(k.ARN, ":", 6); len(p) == 6 {
		region = p[3]
	}
	switch {
	case k.Manager == "AWS":
		return "", "key " + k.ARN + " is AWS-managed (aws/s3), not customer-managed"
	case k.Error != "":
		return "", "key " + k.ARN + " cannot be used as the bucket's own key (" + k.Error + ")"
	case acct != b.cfg.Account:
		return "", "key " + k.ARN + " belongs to another account"
	case region != b.st.Region:
		return "", "key " + k.ARN + " is not in the bucket's region " + b.st.Region
	case k.Manager != "CUSTOMER":
		return "", "key " + k.ARN + " is AWS-managed (aws/s3), not customer-managed"
	case k.State != "Enabled":
		return "", "key " + k.ARN + " is " + k.State + ", not Enabled"
	}
	return k.ARN, ""
}

func (b *bucketPlanner) planEncryption(key string, logDelivery bool) {
	cur := b.st.Encryption
	var r EncryptionRule
	if cur.Present && len(cur.Rules) > 0 {
		r = cur.Rules[0]
	}
	keyOK := key != "" && sameKey(r.KMSKeyID, key)
	own, whyNot := b.ownKey()
	target := key
	if own != "" && (r.Algorithm == algKMS || r.Algorithm == algKMSDSSE) {
		// The owner's enabled customer-managed key is kept, never swapped
		// for gcguard's; it stays written as the owner wrote it.
		keyOK, target = true, r.KMSKeyID
	}
	// S3 answers NONE when SSE-C is explicitly allowed. An answer without
	// the element (moto always; configurations older than the setting) is
	// not judged alone: gcguard's policy also denies SSE-C uploads, and
	// every configuration gcguard writes blocks SSE-C.
	sseCAllowed := len(r.Blocked) > 0 && !slices.Contains(r.Blocked, blockSSEC)
	var problems []string
	code := finding.BucketKeyWrong
	switch {
	case r.Algorithm != algKMS && r.Algorithm != algKMSDSSE:
		code = finding.BucketEncryptionNotKMS
		problems = append(problems, "default encryption is "+orNone(r.Algorithm)+", not SSE-KMS")
	case !keyOK:
		msg := "default encryption uses key " + orNone(r.KMSKeyID) + ", not the region's customer-managed key"
		if whyNot != "" {
			msg += " (" + whyNot + ")"
		}
		problems = append(problems, msg)
	}
	if r.Algorithm == algKMS && (r.BucketKey == nil || !*r.BucketKey) {
		problems = append(problems, "S3 Bucket Key is off")
	}
	if sseCAllowed {
		if len(problems) == 0 {
			code = finding.BucketEncryptionNotKMS
		}
		problems = append(problems, "SSE-C uploads are allowed (BlockedEncryptionTypes "+strings.Join(r.Blocked, ",")+")")
	}
	if len(problems) == 0 {
		return
	}
	b.violate(code, strings.Join(problems, "; "))
	if k := b.st.Key; k != nil && k.Error == "AccessDeniedException" {
		// An own key gcguard may not describe may well be compliant:
		// never swap it unverified.
		b.held = append(b.held, "encryption: key "+k.ARN+" cannot be checked (its key policy does not let gcguard call kms:DescribeKey): reported, not replaced")
		b.before = append(b.before, "default encryption: "+describeEncryption(cur))
		return
	}
	if logDelivery {
		b.held = append(b.held, "encryption: log-delivery bucket: its default encryption is kept, since delivery services need it (ALB/NLB access logs and S3 server access logs accept only SSE-S3)")
		b.before = append(b.before, "default encryption: "+describeEncryption(cur))
		return
	}
	if target == "" {
		b.held = append(b.held, "encryption: no customer-managed key is configured for region "+b.st.Region+" ("+config.EnvKMSKeys+")")
		b.before = append(b.before, "default encryption: "+describeEncryption(cur))
		return
	}
	// aws:kms:dsse stays (a stronger choice the owner made; no bucket key there).
	want := EncryptionRule{Algorithm: algKMS, KMSKeyID: target, BucketKey: boolPtr(true)}
	if r.Algorithm == algKMSDSSE {
		want = EncryptionRule{Algorithm: algKMSDSSE, KMSKeyID: target}
	}
	want.Blocked = []string{blockSSEC}
	for _, t := range r.Blocked {
		if t != blockSSEC && t != string(types.EncryptionTypeNone) {
			want.Blocked = append(want.Blocked, t)
		}
	}
	desired := BucketEncryption{Present: true, Rules: []EncryptionRule{want}}
	b.prior.Encryption, b.desired.Encryption = &cur, &desired
	b.actions = append(b.actions, "set default encryption to "+describeEncryption(desired))
	b.before = append(b.before, "default encryption: "+describeEncryption(cur))
	b.after = append(b.after, "default encryption: "+describeEncryption(desired))
}

// planPolicy merges gcguard's statements through the policy package; the
// merge carries its access preview, which goes into After (the audit
// record and the notice).
func (b *bucketPlanner) planPolicy(opt policy.BucketOptions) {
	cur := b.st.Policy
	var doc *policy.Document
	if cur.Present {
		d, err := policy.Parse([]byte(cur.Text))
		if err != nil {
			b.violate(finding.BucketPolicyMissingTLSDeny, "the bucket policy cannot be read: "+err.Error())
			b.held = append(b.held, "policy: it cannot be parsed, so gcguard does not rewrite it")
			return
		}
		doc = d
	}
	rep := policy.AnalyzeBucket(doc, opt)
	plan, err := policy.PlanBucketPolicy(doc, opt)
	if err != nil {
		plan = policy.BucketPlan{ReportOnly: true, Reason: err.Error(), Findings: rep.Findings}
	}
	// The policy package explains per statement; the generic line is only
	// for a verdict it gave no finding for.
	explained := map[string]bool{}
	for _, f := range plan.Findings {
		if c := finding.Code(f.Code); c.Valid() && !slices.Contains(b.violations, c) {
			b.violations = append(b.violations, c)
		}
		explained[f.Code] = true
		b.findings = append(b.findings, f)
	}
	if rep.Public {
		b.public = true
		if !explained[string(finding.BucketPublic)] {
			b.violate(finding.BucketPublic, "the bucket policy grants public access")
		}
	}
	if !rep.DeniesInsecureTransport && !explained[string(finding.BucketPolicyMissingTLSDeny)] {
		b.violate(finding.BucketPolicyMissingTLSDeny, "the bucket policy does not deny requests without TLS")
	}
	for _, h := range plan.Held {
		b.held = append(b.held, "policy: "+h)
	}
	switch {
	case plan.ReportOnly:
		b.held = append(b.held, "policy: "+plan.Reason)
		return
	case !plan.Changed:
		return
	}
	if !slices.Contains(b.violations, finding.BucketPolicyMissingTLSDeny) && !slices.Contains(b.violations, finding.BucketPublic) {
		b.violate(finding.BucketPolicyMissingTLSDeny, "gcguard's Deny statements are missing from the bucket policy or differ")
	}
	want := BucketPolicyText{Present: true, Text: string(plan.Document)}
	b.prior.Policy, b.desired.Policy = &cur, &want
	b.actions = append(b.actions, "write the bucket policy: "+strings.Join(plan.Changes, "; "))
	b.before = append(b.before, "bucket policy: "+describePolicy(cur))
	b.after = append(b.after, "bucket policy: "+describePolicy(want))
	b.preview = &notify.Preview{Loses: plan.Preview.Loses, Keeps: plan.Preview.Keeps, Gains: plan.Preview.Gains}
}

// sameKey compares a configured key ARN with what the bucket names: the ARN
// itself, or its bare key id. Aliases never count (they resolve in the
// caller's account, and aws/s3 is not customer-managed).
func sameKey(have, want string) bool {
	if have == "" || want == "" {
		return false
	}
	if have == want {
		return true
	}
	_, id, ok := strings.Cut(want, ":key/")
	return ok && have == id
}

func boolPtr(v bool) *bool { return &v }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func describePAB(p PublicAccessBlock) string {
	if !p.Present {
		return "not set (all off)"
	}
	if p.AllOn() {
		return "all four on"
	}
	var off []string
	for name, on := range map[string]bool{"BlockPublicAcls": p.BlockPublicAcls, "IgnorePublicAcls": p.IgnorePublicAcls,
		"BlockPublicPolicy": p.BlockPublicPolicy, "RestrictPublicBuckets": p.RestrictPublicBuckets} {
		if !on {
			off = append(off, name)
		}
	}
	slices.Sort(off)
	return "off: " + strings.Join(off, ", ")
}

func grantName(g Grant) string {
	switch {
	case g.URI != "":
		return g.URI[strings.LastIndex(g.URI, "/")+1:]
	case g.Email != "":
		return g.Email
	case g.DisplayName != "":
		return g.DisplayName
	}
	return "canonical user " + g.ID
}

func describeACL(a BucketACL) string {
	if len(a.Grants) == 0 {
		return "no grants"
	}
	var s []string
	for _, g := range a.Grants {
		name := grantName(g)
		if g.Type == string(types.TypeCanonicalUser) && g.ID == a.OwnerID {
			name = "owner"
		}
		s = append(s, name+" "+g.Permission)
	}
	return strings.Join(s, ", ")
}

func describeEncryption(e BucketEncryption) string {
	if !e.Present || len(e.Rules) == 0 {
		return "none configured"
	}
	r := e.Rules[0]
	s := orNone(r.Algorithm)
	if r.KMSKeyID != "" {
		s += " key " + r.KMSKeyID
	}
	if r.Algorithm == algKMS {
		if r.BucketKey != nil && *r.BucketKey {
			s += ", bucket key on"
		} else {
			s += ", bucket key off"
		}
	}
	switch {
	case slices.Contains(r.Blocked, blockSSEC):
		s += ", SSE-C blocked"
	case len(r.Blocked) > 0:
		s += ", SSE-C allowed"
	}
	return s
}

func describePolicy(p BucketPolicyText) string {
	if !p.Present {
		return "none"
	}
	doc, err := policy.Parse([]byte(p.Text))
	if err != nil {
		return fmt.Sprintf("%d bytes (unreadable)", len(p.Text))
	}
	var sids []string
	for _, s := range doc.Statements {
		sids = append(sids, orNone(s.Sid))
	}
	return fmt.Sprintf("%d statement(s) [%s], %d bytes", len(doc.Statements), strings.Join(sids, ", "), len(p.Text))
}
