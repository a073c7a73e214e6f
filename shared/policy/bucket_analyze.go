package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// Bucket analysis codes that are not violations (violations use the
// finding package's bucket_public and bucket_policy_missing_tls_deny).
const (
	BucketKindExternal    = "external_account" // cross-account grant: reported, kept
	BucketKindOrgWide     = "org_wide"         // only aws:PrincipalOrgID/OrgPaths of an untrusted org
	BucketKindLogDelivery = "log_delivery"     // a log-delivery principal: report-only bucket
)

// bucketPrincipal is the verdict on one principal of one statement.
type bucketPrincipal struct {
	typ, value  string
	public      bool
	reason      string
	accounts    []string // foreign accounts it grants to
	orgWide     bool
	logDelivery bool
	noSource    bool // service principal without a source condition
	unsure      string
}

type bucketStmt struct {
	allow      bool
	notPrinc   bool
	principals []bucketPrincipal
	public     int // number of public principals
	unsure     []string
	tlsDeny    bool
	narrowing  bool // a Deny whose conditions may make a public grant non-public
}

type bucketAnalysis struct {
	opt    BucketOptions
	doc    *Document
	stmts  []bucketStmt
	report BucketReport
}

// Log-delivery principals (DESIGN §2: their buckets keep their default
// encryption and get no upload Denies; BPA, public removal and the TLS Deny
// still apply). ALB/NLB access logs accept only SSE-S3; S3 server access
// logs need an SSE-S3 target; CloudTrail and Config write with their own
// encryption settings.
var logDeliveryServices = map[string]bool{
	"logging.s3.amazonaws.com":                       true, // S3 server access logs
	"delivery.logs.amazonaws.com":                    true, // CloudFront v2, VPC flow logs, WAF…
	"logdelivery.elasticloadbalancing.amazonaws.com": true, // ELB in newer regions
	"elasticloadbalancing.amazonaws.com":             true,
	"cloudtrail.amazonaws.com":                       true, // CloudTrail trail delivery
	"config.amazonaws.com":                           true, // AWS Config delivery channel
}

// sourceScopedDelivery are delivery services whose grants AWS documents
// with aws:SourceArn/aws:SourceAccount (CloudTrail, Config).
var sourceScopedDelivery = map[string]bool{"cloudtrail.amazonaws.com": true, "config.amazonaws.com": true}

// elbAccounts are the Elastic Load Balancing accounts that write access
// logs, per region (the ELB user guide's table). They are AWS's, so they
// are log delivery, not external accounts.
var elbAccounts = map[string]string{
	"127311923021": "us-east-1", "033677994240": "us-east-2", "027434742980": "us-west-1",
	"797873946194": "us-west-2", "098369216593": "af-south-1", "754344448648": "ap-east-1",
	"589379963580": "ap-southeast-3", "718504428378": "ap-south-1", "383597477331": "ap-northeast-3",
	"600734575887": "ap-northeast-2", "114774131450": "ap-southeast-1", "783225319266": "ap-southeast-2",
	"582318560864": "ap-northeast-1", "985666609251": "ca-central-1", "054676820928": "eu-central-1",
	"156460612806": "eu-west-1", "652711504416": "eu-west-2", "635631232127": "eu-south-1",
	"009996457667": "eu-west-3", "897822967062": "eu-north-1", "076674570225": "me-south-1",
	"507241528517": "sa-east-1", "048591011584": "us-gov-west-1", "190560391635": "us-gov-east-1",
	"638102146993": "cn-north-1", "037604701340": "cn-northwest-1",
}

// awsLogsDeliveryCanonical is CloudFront's legacy standard-logging
// account (awslogsdelivery) as a canonical user.
const awsLogsDeliveryCanonical = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"

// restrictions is what a statement's conditions fix about the request, in
// the terms of S3 Block Public Access ("The meaning of public"): only
// positive operators (not negated, not …IfExists, not ForAllValues:) with
// fixed values (no wildcard, no policy variable) count.
type restrictions struct {
	identity bool     // aws:PrincipalArn/Account, aws:userid, aws:Source{Arn,Account,Owner}
	network  bool     // aws:SourceIp (not too broad), aws:SourceVpc, aws:SourceVpce
	kmsKey   bool     // s3:x-amz-server-side-encryption-aws-kms-key-id
	org      []string // fixed aws:PrincipalOrgID values / org IDs of aws:PrincipalOrgPaths
	accounts []string // accounts fixed by aws:PrincipalAccount/PrincipalArn/SourceAccount/SourceOwner
	source   bool     // aws:SourceAccount/SourceArn/SourceOwner (service principals)
	unsure   []string
}

func (r restrictions) nonPublic() bool { return r.identity || r.network || r.kmsKey }

// Minimum CIDR prefix lengths for aws:SourceIp to restrict. S3's
// definition says only "a set of CIDRs"; a range wider than a /8 (IPv4)
// or /32 (IPv6, a whole RIR allocation) is treated as not restricting.
const (
	minIPv4Prefix = 8
	minIPv6Prefix = 32
)

func fixedValue(v ConditionValue, version string) bool {
	return !hasWildcard(v.Text) && !hasVariable(v.Text, version) && v.Text != ""
}

func collectRestrictions(c *Condition, version string) restrictions {
	var r restrictions
	if c == nil {
		return r
	}
	for _, b := range c.Blocks {
		op := ParseOperator(b.Operator)
		if !op.Known() {
			r.unsure = append(r.unsure, fmt.Sprintf("unknown condition operator %q", b.Operator))
			continue
		}
		if op.Negated() || op.IfExists || op.Set == "ForAllValues" {
			continue
		}
		for _, e := range b.Entries {
			if len(e.Values) == 0 {
				continue
			}
			key := strings.ToLower(e.Key)
			if key == "aws:sourceip" {
				if op.Base == "IpAddress" && allNarrowCIDRs(e.Values) {
					r.network = true
				}
				continue
			}
			if !positiveBases[op.Base] {
				continue
			}
			if key == "aws:principalorgpaths" {
				// Paths end in wildcards by design; the organization ID
				// before the first '/' must be literal.
				for _, v := range e.Values {
					org, _, ok := strings.Cut(v.Text, "/")
					if ok && !hasWildcard(org) && !hasVariable(org, version) && org != "" {
						r.org = append(r.org, org)
					}
				}
				continue
			}
			fixed := true
			for _, v := range e.Values {
				if !fixedValue(v, version) {
					fixed = false
					break
				}
			}
			vals := e.Strings()
			if !fixed {
				// A patterned aws:SourceArn with a literal account still
				// scopes a service principal to that account (CloudFront
				// OAC "arn:aws:cloudfront::<acct>:distribution/*"), though
				// it does not make "*" non-public.
				if key == "aws:sourcearn" && op.Like() {
					var accts []string
					for _, v := range vals {
						_, _, _, acct, _, ok := arnParts(v)
						if !ok || !isAccountID(acct) || hasVariable(v, version) {
							accts = nil
							break
						}
						accts = append(accts, acct)
					}
					if accts != nil {
						r.source = true
						r.accounts = append(r.accounts, accts...)
					}
				}
				continue
			}
			switch key {
			case "aws:principalarn":
				r.identity = true
				for _, v := range vals {
					if acct, ok := patternAccount(v); ok {
						r.accounts = append(r.accounts, acct)
					}
				}
			case "aws:principalaccount", "aws:sourceaccount", "aws:sourceowner":
				r.identity = true
				r.source = r.source || key != "aws:principalaccount"
				r.accounts = append(r.accounts, vals...)
			case "aws:sourcearn":
				r.identity, r.source = true, true
				for _, v := range vals {
					if _, _, _, acct, _, ok := arnParts(v); ok && isAccountID(acct) {
						r.accounts = append(r.accounts, acct)
					}
				}
			case "aws:userid":
				// A fixed value outside the pattern "AROLEID:*".
				for _, v := range vals {
					if !(strings.HasSuffix(v, ":*") && isUniqueID(strings.TrimSuffix(v, ":*"))) {
						r.identity = true
					}
				}
			case "s3:dataaccesspointarn", "s3:dataaccesspointaccount":
				r.identity = true
			case "aws:sourcevpc", "aws:sourcevpce":
				r.network = true
			case condSSEKMSKeyID:
				r.kmsKey = true
			case "aws:principalorgid":
				r.org = append(r.org, vals...)
			}
		}
	}
	return r
}

func allNarrowCIDRs(vals []ConditionValue) bool {
	for _, v := range vals {
		if pfx, err := netip.ParsePrefix(v.Text); err == nil {
			min := minIPv4Prefix
			if pfx.Addr().Is6() && !pfx.Addr().Is4In6() {
				min = minIPv6Prefix
			}
			if pfx.Bits() < min {
				return false
			}
			continue
		}
		if _, err := netip.ParseAddr(v.Text); err != nil {
			return false
		}
	}
	return true
}

// narrowingKeys are the keys a conditional Deny may use to turn a public
// grant into a non-public one ("deny unless through my VPC endpoint").
var narrowingKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourcearn": true,
	"aws:sourceaccount": true, "aws:sourceowner": true, "aws:principalarn": true,
	"aws:principalaccount": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:userid": true, "s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true,
	"aws:principaltype": true, "aws:principalisawsservice": true, "aws:referer": true,
}

func analyzeBucket(doc *Document, opt BucketOptions) *bucketAnalysis {
	opt = opt.withDefaults()
	a := &bucketAnalysis{opt: opt, doc: doc}
	r := &a.report
	r.ExternalAccounts = []string{}
	r.Findings = []finding.Finding{}
	if doc == nil {
		r.Findings = append(r.Findings, missingTLSFinding())
		return a
	}
	a.stmts = make([]bucketStmt, len(doc.Statements))
	for i, s := range doc.Statements {
		a.stmts[i] = a.statement(s, doc.Version)
	}

	anyPublic := false
	for i := range a.stmts {
		if a.stmts[i].public > 0 {
			anyPublic = true
		}
		if a.stmts[i].tlsDeny {
			r.DeniesInsecureTransport = true
		}
	}
	for i, s := range doc.Statements {
		sj := &a.stmts[i]
		for _, p := range sj.principals {
			f := finding.Finding{Statement: i, Sid: s.Sid, Principal: p.value}
			if p.logDelivery && p.unsure == "" && !p.public {
				r.LogDelivery = true
			}
			switch {
			case p.unsure != "":
				r.Unsure = true
				f.Code, f.Reason = KindUnsure, p.unsure
			case p.public:
				r.Public = true
				f.Code, f.Reason = string(finding.BucketPublic), KindPublic+": "+p.reason
			case p.logDelivery && len(p.accounts) == 0 && !p.noSource:
				f.Code, f.Reason = BucketKindLogDelivery, p.reason
			case len(p.accounts) > 0:
				r.ExternalAccounts = append(r.ExternalAccounts, p.accounts...)
				f.Code, f.Reason = BucketKindExternal, p.reason
			case p.orgWide:
				r.OrgWide = true
				f.Code, f.Reason = BucketKindOrgWide, p.reason
			case p.noSource:
				f.Code, f.Reason = KindServiceNoSource, p.reason
			default:
				continue
			}
			r.Findings = append(r.Findings, f)
		}
		if s.HasSid && strings.HasPrefix(s.Sid, gcguardSidPrefix) {
			if _, ours := gcguardStatementBase(s, opt); !ours {
				r.Findings = append(r.Findings, finding.Finding{Statement: i, Sid: s.Sid, Code: BucketKindReservedSid,
					Reason: "the owner's statement uses gcguard's reserved Sid prefix but is not gcguard's statement: kept as it is (never replaced, dropped or narrowed by gcguard); gcguard's own statement goes under the next free Sid of its slot"})
			}
		}
		if len(sj.unsure) > 0 {
			r.Unsure = true
			r.Findings = append(r.Findings, finding.Finding{Statement: i, Sid: s.Sid, Code: KindUnsure,
				Reason: "cannot judge this statement with certainty: " + strings.Join(sj.unsure, "; ")})
		}
		if sj.narrowing && anyPublic {
			r.Unsure = true
			r.Findings = append(r.Findings, finding.Finding{Statement: i, Sid: s.Sid, Code: KindUnsure,
				Reason: "a conditional Deny may already make the public grant non-public (e.g. deny unless through a VPC endpoint); removing the grant could break its intended use"})
		}
	}
	if len(doc.notes) > 0 {
		r.Unsure = true
		r.Findings = append(r.Findings, finding.Finding{Statement: -1, Code: KindUnsure,
			Reason: "cannot judge the document with certainty: " + strings.Join(doc.notes, "; ")})
	}
	if !r.DeniesInsecureTransport {
		r.Findings = append(r.Findings, missingTLSFinding())
	}
	slices.Sort(r.ExternalAccounts)
	r.ExternalAccounts = slices.Compact(r.ExternalAccounts)
	return a
}

func missingTLSFinding() finding.Finding {
	return finding.Finding{Statement: -1, Code: string(finding.BucketPolicyMissingTLSDeny),
		Reason: "no Deny of requests without TLS (aws:SecureTransport false) on the bucket and its objects"}
}

func (a *bucketAnalysis) statement(s *Statement, version string) bucketStmt {
	sj := bucketStmt{}
	sj.unsure = append(sj.unsure, s.notes...)
	if s.Principal != nil && s.NotPrincipal != nil {
		sj.unsure = append(sj.unsure, "statement has both Principal and NotPrincipal")
	}
	rs := collectRestrictions(s.Condition, version)
	sj.unsure = append(sj.unsure, rs.unsure...)
	switch s.Effect {
	case "Deny":
		sj.tlsDeny = a.isTLSDeny(s)
		if s.Condition != nil && (s.NotPrincipal != nil || anyonePrincipal(s.Principal)) {
			for _, b := range s.Condition.Blocks {
				for _, e := range b.Entries {
					if narrowingKeys[strings.ToLower(e.Key)] {
						sj.narrowing = true
					}
				}
			}
		}
		return sj
	case "Allow":
		sj.allow = true
	default:
		sj.unsure = append(sj.unsure, fmt.Sprintf("Effect %q is neither Allow nor Deny", s.Effect))
		return sj
	}
	switch {
	case s.NotPrincipal != nil:
		sj.notPrinc = true
		p := a.judgeAnyone("NotPrincipal", notPrincipalText(s.NotPrincipal), rs)
		if p.public {
			p.reason = "Allow with NotPrincipal lets in everyone not listed"
		}
		sj.principals = append(sj.principals, p)
	case s.Principal == nil:
		sj.unsure = append(sj.unsure, "Allow statement without Principal")
	case s.Principal.Wildcard:
		sj.principals = append(sj.principals, a.judgeAnyone("*", "*", rs))
	default:
		for _, e := range s.Principal.Entries {
			for _, v := range e.Values.List {
				sj.principals = append(sj.principals, a.judge(e.Type, v, rs))
			}
		}
	}
	for _, p := range sj.principals {
		if p.public && p.unsure == "" {
			sj.public++
		}
	}
	return sj
}

func anyonePrincipal(p *Principal) bool {
	return p != nil && (p.Wildcard || slices.Contains(p.Values("AWS"), "*"))
}

// judgeAnyone judges a principal that names everyone: public unless the
// conditions restrict it as S3 Block Public Access defines.
func (a *bucketAnalysis) judgeAnyone(typ, value string, rs restrictions) bucketPrincipal {
	p := bucketPrincipal{typ: typ, value: value}
	if rs.nonPublic() {
		p.accounts = a.foreign(rs.accounts)
		if len(p.accounts) > 0 {
			p.reason = "conditions grant to accounts that are neither this account nor trusted: " + strings.Join(p.accounts, ", ")
			return p
		}
		p.reason = "conditions restrict it to fixed principals, sources or networks"
		return p
	}
	if len(rs.org) > 0 {
		if a.opt.TrustedOrg != "" && !slices.ContainsFunc(rs.org, func(o string) bool { return o != a.opt.TrustedOrg }) {
			p.reason = "limited to the trusted organization"
			return p
		}
		p.orgWide = true
		p.reason = "only aws:PrincipalOrgID/PrincipalOrgPaths limit it: every account of the organization (in GCAS, thousands of other parties) may access; reported, not removed"
		return p
	}
	p.public = true
	p.reason = "any principal, including anonymous callers, may access (no condition fixes the caller, source or network)"
	return p
}

func (a *bucketAnalysis) judge(typ, v string, rs restrictions) bucketPrincipal {
	p := bucketPrincipal{typ: typ, value: v}
	switch typ {
	case "AWS":
		if v == "*" {
			return a.judgeAnyone(typ, v, rs)
		}
		if _, _, _, acct, res, ok := arnParts(v); ok && acct == "cloudfront" && strings.HasPrefix(res, "user/CloudFront Origin Access Identity ") {
			p.reason = "CloudFront origin access identity"
			return p
		}
		ap := classifyAWS(v)
		switch ap.kind {
		case awsInvalid:
			p.unsure = "not a recognizable AWS principal"
			return p
		case awsUniqueID:
			p.reason = "unique ID of a deleted principal: matches nobody"
			return p
		case awsAnyone:
			return a.judgeAnyone(typ, v, rs)
		}
		part := ap.partition
		if part == "" {
			part = a.opt.Partition
		}
		if region, ok := elbAccounts[ap.account]; ok && part == a.opt.Partition {
			p.logDelivery = true
			p.reason = "Elastic Load Balancing access-log account of " + region + " (ALB/NLB access logs accept only SSE-S3)"
			return p
		}
		if part != a.opt.Partition || !a.opt.trusted(ap.account) {
			p.accounts = []string{a.accountLabel(part, ap.account)}
			p.reason = "cross-account grant to " + p.accounts[0] + ", which is neither this account nor trusted; reported, not removed"
		}
		return p
	case "Service":
		if v == "" || hasWildcard(v) {
			return a.judgeAnyone(typ, v, rs)
		}
		if logDeliveryServices[strings.ToLower(v)] {
			p.logDelivery = true
			p.reason = "log-delivery service principal " + v
			if !sourceScopedDelivery[strings.ToLower(v)] {
				return p
			}
			// CloudTrail and Config act for any account that names the
			// bucket: their source conditions are still judged.
		}
		if !rs.source {
			p.noSource = true
			p.reason = "service principal without aws:SourceAccount or aws:SourceArn: the service may act for another account (for CloudFront OAC: any distribution)"
			return p
		}
		if f := a.foreign(rs.accounts); len(f) > 0 {
			p.accounts = f
			p.reason = "service acting for accounts that are neither this account nor trusted: " + strings.Join(f, ", ")
		}
		return p
	case "CanonicalUser":
		if v == awsLogsDeliveryCanonical {
			p.logDelivery = true
			p.reason = "CloudFront standard-logging account (awslogsdelivery)"
		}
		return p
	case "Federated":
		if v == "" || hasWildcard(v) {
			return a.judgeAnyone(typ, v, rs)
		}
		return p
	case "":
		p.unsure = "Principal is a bare string other than \"*\""
		return p
	}
	p.unsure = fmt.Sprintf("unknown principal type %q", typ)
	return p
}

func (a *bucketAnalysis) foreign(accts []string) []string {
	var out []string
	for _, acct := range accts {
		if _, elb := elbAccounts[acct]; elb || a.opt.trusted(acct) {
			continue
		}
		out = append(out, acct)
	}
	return uniqSorted(out)
}

func (a *bucketAnalysis) accountLabel(partition, acct string) string {
	if partition == a.opt.Partition {
		return acct
	}
	return partition + ":" + acct
}

// tlsSampleActions are what a TLS Deny must cover to count.
var tlsSampleActions = []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:PutBucketPolicy"}

// isTLSDeny recognizes the owner's own "deny without TLS" in its common
// variants: any Sid, Action s3:* or *, Resource the bucket and its objects
// (or broader), Principal "*" or {"AWS":"*"}, and a condition that holds
// exactly when aws:SecureTransport is false (Bool, BoolIfExists, string
// forms), and tests nothing else.
func (a *bucketAnalysis) isTLSDeny(s *Statement) bool {
	if s.Effect != "Deny" || s.NotPrincipal != nil || !anyonePrincipal(s.Principal) ||
		s.Action == nil || s.NotAction != nil || s.Resource == nil || s.NotResource != nil || s.Condition == nil {
		return false
	}
	for _, act := range tlsSampleActions {
		if !slices.ContainsFunc(s.Action.List, func(p string) bool { return globMatch(p, act, true) }) {
			return false
		}
	}
	bucket := a.opt.BucketARN()
	for _, res := range []string{bucket, bucket + "/some/key"} {
		if !slices.ContainsFunc(s.Resource.List, func(p string) bool { return globMatch(p, res, false) }) {
			return false
		}
	}
	for _, b := range s.Condition.Blocks {
		for _, e := range b.Entries {
			if !strings.EqualFold(e.Key, condSecureTransport) {
				return false
			}
		}
	}
	insecure, err1 := Evaluate(s.Condition, Context{condSecureTransport: {"false"}}, Version2012)
	secure, err2 := Evaluate(s.Condition, Context{condSecureTransport: {"true"}}, Version2012)
	return err1 == nil && err2 == nil && insecure && !secure
}
