package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// A small reference model of how S3 decides a request against a bucket
// policy alone, used to check merges semantically: Deny overrides Allow,
// and a merge must neither turn a Deny into anything else nor an implicit
// deny into an Allow.

type decision uint8

const (
	implicitDeny decision = iota
	allowed
	denied
)

func (d decision) String() string { return [...]string{"implicit", "allow", "deny"}[d] }

type s3Request struct {
	typ      string // AWS, Service, CanonicalUser; AWS with arn "anonymous" for anonymous callers
	arn      string
	account  string
	action   string
	resource string
	ctx      Context
}

func (r s3Request) String() string {
	return fmt.Sprintf("%s %s %s %s %v", r.typ, r.arn, r.action, r.resource, r.ctx)
}

func (r s3Request) asTrust() request {
	return request{typ: r.typ, arn: r.arn, account: r.account, action: r.action, ctx: r.ctx}
}

func bucketStatementApplies(s *Statement, req s3Request, version string) (bool, error) {
	switch {
	case s.Action != nil:
		if !slices.ContainsFunc(s.Action.List, func(a string) bool { return globMatch(a, req.action, true) }) {
			return false, nil
		}
	case s.NotAction != nil:
		if slices.ContainsFunc(s.NotAction.List, func(a string) bool { return globMatch(a, req.action, true) }) {
			return false, nil
		}
	}
	switch {
	case s.Resource != nil:
		if !slices.ContainsFunc(s.Resource.List, func(p string) bool { return globMatch(p, req.resource, false) }) {
			return false, nil
		}
	case s.NotResource != nil:
		if slices.ContainsFunc(s.NotResource.List, func(p string) bool { return globMatch(p, req.resource, false) }) {
			return false, nil
		}
	}
	switch {
	case s.NotPrincipal != nil:
		if principalMatches(s.NotPrincipal, req.asTrust()) {
			return false, nil
		}
	case !principalMatches(s.Principal, req.asTrust()):
		return false, nil
	}
	return Evaluate(s.Condition, req.ctx, version)
}

// simulateBucket decides req under the policy (nil: no policy). A
// condition that cannot be evaluated makes an Allow not apply and a Deny
// apply, the same way before and after a merge.
func simulateBucket(d *Document, req s3Request) decision {
	if d == nil {
		return implicitDeny
	}
	out := implicitDeny
	for _, s := range d.Statements {
		ok, err := bucketStatementApplies(s, req, d.Version)
		switch s.Effect {
		case "Deny":
			if ok || err != nil {
				return denied
			}
		case "Allow":
			if ok && err == nil {
				out = allowed
			}
		}
	}
	return out
}

// widens reports whether after lets through something before did not.
func widens(before, after decision) bool {
	return (before == denied && after != denied) || (before == implicitDeny && after == allowed)
}

const (
	simKey      = "arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	simOtherKey = "arn:aws:kms:ap-northeast-1:111111111111:key/99999999-0000-0000-0000-000000000000"
)

// sseVariants are the encryption headers an upload may send.
var sseVariants = []Context{
	{},
	{condSSE: {"AES256"}},
	{condSSE: {"aws:kms"}},
	{condSSE: {"aws:kms"}, condSSEKMSKeyID: {simKey}},
	{condSSE: {"aws:kms:dsse"}, condSSEKMSKeyID: {"1234abcd-12ab-34cd-56ef-1234567890ab"}},
	{condSSE: {"aws:kms"}, condSSEKMSKeyID: {simOtherKey}},
	{condSSECustomerAlgorithm: {"AES256"}},
}

// sampleS3Requests builds callers that exercise a bucket policy: anonymous,
// own, trusted and foreign principals, services and CloudFront, the
// principals the policy names, over TLS and not, with and without the
// condition values the policy mentions, for reads, writes (with every
// encryption header variant) and bucket operations.
func sampleS3Requests(d *Document, opt BucketOptions) []s3Request {
	opt = opt.withDefaults()
	type caller struct{ typ, arn, account string }
	own, tr, foreign := opt.Account, "222222222222", "999999999999"
	callers := []caller{
		{"AWS", "anonymous", ""},
		{"AWS", "arn:aws:iam::" + own + ":role/app", own},
		{"AWS", "arn:aws:iam::" + own + ":role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AWSAdministratorAccess_0123456789abcdef", own},
		{"AWS", "arn:aws:iam::" + tr + ":role/ops", tr},
		{"AWS", "arn:aws:iam::" + foreign + ":role/vendor", foreign},
		{"Service", "cloudfront.amazonaws.com", ""},
		{"Service", "logging.s3.amazonaws.com", ""},
	}
	if d != nil {
		for _, s := range d.Statements {
			for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
				if p == nil {
					continue
				}
				for _, e := range p.Entries {
					for _, v := range e.Values.List {
						switch {
						case e.Type == "AWS" && !hasWildcard(v):
							acct := v
							if _, _, _, a, _, ok := arnParts(v); ok {
								acct = a
							}
							arn := v
							if isAccountID(v) {
								arn = "arn:aws:iam::" + v + ":role/someone"
							}
							callers = append(callers, caller{"AWS", arn, acct})
						case e.Type == "Service" || e.Type == "CanonicalUser":
							callers = append(callers, caller{e.Type, v, ""})
						}
					}
				}
			}
		}
	}
	mentioned := map[string][]string{}
	if d != nil {
		for _, s := range d.Statements {
			if s.Condition == nil {
				continue
			}
			for _, b := range s.Condition.Blocks {
				for _, e := range b.Entries {
					k := strings.ToLower(e.Key)
					for _, v := range e.Values {
						t := strings.ReplaceAll(strings.ReplaceAll(v.Text, "*", "x"), "?", "x")
						if pfx, err := netip.ParsePrefix(t); err == nil {
							t = pfx.Addr().String()
						}
						mentioned[k] = append(mentioned[k], t)
					}
				}
			}
		}
	}
	bucket := opt.BucketARN()
	object := bucket + "/AWSLogs/" + own + "/prefix-0001/file.txt"
	ops := []struct{ action, resource string }{
		{"s3:GetObject", object}, {"s3:PutObject", object}, {"s3:ListBucket", bucket},
		{"s3:DeleteObject", object}, {"s3:PutBucketPolicy", bucket}, {"s3:GetBucketAcl", bucket},
	}
	var reqs []s3Request
	for _, c := range callers {
		for _, op := range ops {
			sses := sseVariants[:1]
			if op.action == "s3:PutObject" {
				sses = sseVariants
			}
			for _, tls := range []string{"true", "false"} {
				for _, sse := range sses {
					for variant := 0; variant < 3; variant++ {
						ctx := Context{condSecureTransport: {tls}}
						for k, v := range sse {
							ctx[k] = v
						}
						if c.typ == "AWS" && c.account != "" {
							ctx["aws:PrincipalArn"] = []string{c.arn}
							ctx["aws:PrincipalAccount"] = []string{c.account}
							org := "o-other456"
							if c.account == own || c.account == tr {
								org = "o-trusted123"
							}
							ctx["aws:PrincipalOrgID"] = []string{org}
						}
						if variant > 0 {
							for k, vs := range mentioned {
								if _, set := ctx.lookup(k); set {
									continue
								}
								v := vs[0]
								if variant == 2 {
									v = vs[len(vs)-1]
								}
								ctx[k] = []string{v}
							}
						}
						reqs = append(reqs, s3Request{typ: c.typ, arn: c.arn, account: c.account, action: op.action, resource: op.resource, ctx: ctx})
					}
				}
			}
		}
	}
	return reqs
}
