package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// A pure evaluator of bucket-policy requests (DESIGN §2a). It answers, for
// one concrete request, what the bucket policy alone decides: explicit Deny
// beats Allow, Allow beats the implicit deny. Identity policies are not
// modelled: a request the bucket policy does not allow may still be allowed
// for the bucket's own account by its IAM policies, and the preview reads
// "not allowed" as "the bucket policy no longer grants it".

// BucketDecision is the bucket policy's answer to one request.
type BucketDecision uint8

const (
	BucketImplicitDeny BucketDecision = iota // no statement applies
	BucketAllow                              // an Allow applies, no Deny does
	BucketDeny                               // an explicit Deny applies
)

func (d BucketDecision) String() string {
	switch d {
	case BucketAllow:
		return "allow"
	case BucketDeny:
		return "deny"
	}
	return "implicit deny"
}

// Request principal kinds.
const (
	ReqAnonymous = "anonymous" // no credentials
	ReqAWS       = "aws"       // an IAM principal (root, role, session, user)
	ReqService   = "service"   // an AWS service principal
	ReqCanonical = "canonical" // a canonical user (ACL-era log delivery)
	ReqFederated = "federated" // a federated principal
)

// ReqPrincipal is who sends a request.
type ReqPrincipal struct {
	Kind    string
	Account string // the principal's account (AWS); the account the service acts for (Service)
	ARN     string // AWS: the principal's ARN (a role's ARN for its sessions); other kinds: the name or ID
	OrgID   string // the principal's organization, "" for none
	Type    string // aws:PrincipalType: Account, AssumedRole, User, AWSService…
	// Label names the class in a preview ("anonymous", "own SSO role"…).
	Label string
	// Public: the class stands for anyone (anonymous, an arbitrary foreign
	// account): access it keeps is public access.
	Public bool
	// Own: the bucket owner's account, whose IAM policies also grant.
	Own bool
}

// BucketRequest is one concrete request to the bucket or its objects.
type BucketRequest struct {
	Principal ReqPrincipal
	Action    string // s3:GetObject…
	Resource  string // the bucket ARN or an object ARN
	TLS       bool
	// Upload encryption headers: SSE is x-amz-server-side-encryption
	// ("" absent), KMSKeyID its key id header ("" absent), SSEC whether an
	// SSE-C customer algorithm is sent.
	SSE      string
	KMSKeyID string
	SSEC     bool
	// Extra sets further condition keys (a constant a statement names, or
	// a value matching none); Absent removes keys the request would carry.
	Extra  Context
	Absent []string
	// Variant names what Extra/Absent change ("" for the base request).
	Variant string
}

// context builds the request context the conditions see.
func (r BucketRequest) context() Context {
	c := Context{}
	c["aws:SecureTransport"] = []string{boolText(r.TLS)}
	p := r.Principal
	switch p.Kind {
	case ReqAWS:
		c["aws:PrincipalAccount"] = []string{p.Account}
		c["aws:PrincipalArn"] = []string{p.ARN}
		c["aws:PrincipalIsAWSService"] = []string{"false"}
		if p.Type != "" {
			c["aws:PrincipalType"] = []string{p.Type}
		}
		if p.OrgID != "" {
			c["aws:PrincipalOrgID"] = []string{p.OrgID}
		}
	case ReqService:
		c["aws:PrincipalIsAWSService"] = []string{"true"}
		c["aws:PrincipalServiceName"] = []string{p.ARN}
		if p.Account != "" {
			c["aws:SourceAccount"] = []string{p.Account}
		}
	case ReqCanonical, ReqFederated:
		c["aws:PrincipalIsAWSService"] = []string{"false"}
	}
	if r.SSE != "" {
		c[condSSE] = []string{r.SSE}
	}
	if r.KMSKeyID != "" {
		c[condSSEKMSKeyID] = []string{r.KMSKeyID}
	}
	if r.SSEC {
		c[condSSECustomerAlgorithm] = []string{"AES256"}
	}
	for k, v := range r.Extra {
		for ck := range c {
			if strings.EqualFold(ck, k) {
				delete(c, ck)
			}
		}
		c[k] = v
	}
	for _, k := range r.Absent {
		for ck := range c {
			if strings.EqualFold(ck, k) {
				delete(c, ck)
			}
		}
	}
	return c
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// EvaluateBucketRequest decides one request against a bucket policy (nil:
// no policy, nothing granted). A condition the evaluator cannot compute
// (a malformed value) is taken as holding for a Deny and failing for an
// Allow: the answer never grants more than the policy could.
func EvaluateBucketRequest(doc *Document, r BucketRequest) BucketDecision {
	d, _ := evaluateBucket(doc, r, r.context())
	return d
}

// evaluateBucket also returns the indexes of the Allow statements that apply.
func evaluateBucket(doc *Document, r BucketRequest, ctx Context) (BucketDecision, []int) {
	if doc == nil {
		return BucketImplicitDeny, nil
	}
	var allows []int
	for i, s := range doc.Statements {
		deny := s.Effect == "Deny"
		if !deny && s.Effect != "Allow" {
			continue
		}
		if !stmtPrincipalMatches(s, r.Principal) || !stmtActionMatches(s, r.Action) || !stmtResourceMatches(s, r.Resource) {
			continue
		}
		ok, err := Evaluate(s.Condition, ctx, doc.Version)
		if err != nil {
			ok = deny
		}
		if !ok {
			continue
		}
		if deny {
			return BucketDeny, nil
		}
		allows = append(allows, i)
	}
	if len(allows) > 0 {
		return BucketAllow, allows
	}
	return BucketImplicitDeny, nil
}

func stmtActionMatches(s *Statement, action string) bool {
	switch {
	case s.Action != nil:
		return slices.ContainsFunc(s.Action.List, func(p string) bool { return globMatch(p, action, true) })
	case s.NotAction != nil:
		return !slices.ContainsFunc(s.NotAction.List, func(p string) bool { return globMatch(p, action, true) })
	}
	return false
}

func stmtResourceMatches(s *Statement, res string) bool {
	switch {
	case s.Resource != nil:
		return slices.ContainsFunc(s.Resource.List, func(p string) bool { return globMatch(p, res, false) })
	case s.NotResource != nil:
		return !slices.ContainsFunc(s.NotResource.List, func(p string) bool { return globMatch(p, res, false) })
	}
	return false
}

func stmtPrincipalMatches(s *Statement, p ReqPrincipal) bool {
	switch {
	case s.Principal != nil:
		return bucketPrincipalMatches(s.Principal, p)
	case s.NotPrincipal != nil:
		// NotPrincipal in a Deny exempts the listed; in an Allow it lets
		// in everyone else. Either way it applies to whom it does not name.
		return !bucketPrincipalMatches(s.NotPrincipal, p)
	}
	return false
}

// principalMatches reports whether a Principal element names p.
func bucketPrincipalMatches(pr *Principal, p ReqPrincipal) bool {
	if pr.Wildcard {
		return true
	}
	for _, e := range pr.Entries {
		for _, v := range e.Values.List {
			if bucketPrincipalValueMatches(e.Type, v, p) {
				return true
			}
		}
	}
	return false
}

func bucketPrincipalValueMatches(typ, v string, p ReqPrincipal) bool {
	switch typ {
	case "AWS":
		if v == "*" {
			return true // everyone, anonymous callers included
		}
		if p.Kind != ReqAWS {
			return false
		}
		if isAccountID(v) {
			return p.Account == v
		}
		if isUniqueID(v) {
			return false // an orphaned unique ID names nobody
		}
		_, svc, _, acct, res, ok := arnParts(v)
		if !ok || (svc != "iam" && svc != "sts") {
			return false
		}
		if res == "root" {
			return globMatch(acct, p.Account, false)
		}
		if globMatch(v, p.ARN, false) {
			return true
		}
		// A role principal also names its sessions; the request carries
		// the role's ARN (aws:PrincipalArn's value for a session).
		return false
	case "Service":
		return p.Kind == ReqService && strings.EqualFold(v, p.ARN)
	case "CanonicalUser":
		return p.Kind == ReqCanonical && v == p.ARN
	case "Federated":
		return p.Kind == ReqFederated && v == p.ARN
	}
	return false
}

// representativeValue turns a condition constant into a value that matches
// it: a CIDR becomes its first address, wildcards become literal text.
func representativeValue(v string) string {
	if pfx, err := netip.ParsePrefix(v); err == nil {
		return pfx.Addr().String()
	}
	r := strings.NewReplacer("*", "x", "?", "x")
	return r.Replace(v)
}
