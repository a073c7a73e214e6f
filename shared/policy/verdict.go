package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// Verdicts on a trust policy, derived from which caller classes of the
// representative requests (requests.go) the policy allows (eval.go), and
// through which principal of which statement.

// Analysis kinds: what one principal of one statement amounts to. The
// first five are violations (finding code trust_policy_overbroad, the kind
// leading the reason); the last two are findings of their own.
const (
	KindPublic                = "public"
	KindForeignAccount        = "foreign_account"
	KindOrgWide               = "org_wide"
	KindAccountWide           = "account_wide"
	KindFederatedUnrestricted = "federated_unrestricted"
	KindServiceNoSource       = "service_no_source"
	KindUnsure                = "unsure"
)

// TrustOptions describe the account a trust policy belongs to.
type TrustOptions struct {
	Account           string   // this account's ID
	TrustedAccounts   []string // other accounts allowed to assume (e.g. GCAS's)
	TrustedOrg        string   // organization ID treated as trusted; "" = none
	AllowedPrincipals []string // ARN patterns; default this account's SSO roles
	Partition         string   // default "aws"
}

func (o TrustOptions) withDefaults() TrustOptions {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if len(o.AllowedPrincipals) == 0 && o.Account != "" {
		o.AllowedPrincipals = []string{"arn:" + o.Partition + ":iam::" + o.Account + ":role/aws-reserved/sso.amazonaws.com/*"}
	}
	return o
}

// TrustReport is the verdict on one trust policy.
type TrustReport struct {
	Public                bool              `json:"public"`
	ExternalAccounts      []string          `json:"external_accounts"` // sorted, never own/trusted
	OrgWide               bool              `json:"org_wide"`
	AccountWide           bool              `json:"account_wide"`
	UnrestrictedFederated bool              `json:"unrestricted_federated"`
	Unsure                bool              `json:"unsure"`
	Findings              []finding.Finding `json:"findings"`
}

// Overbroad reports whether the policy lets in more than it should.
func (r TrustReport) Overbroad() bool {
	return r.Public || len(r.ExternalAccounts) > 0 || r.OrgWide || r.AccountWide || r.UnrestrictedFederated
}

// FindingKind returns the analysis kind of a finding produced here.
func FindingKind(f finding.Finding) string {
	if f.Code == string(finding.TrustPolicyOverbroad) {
		if k, _, ok := strings.Cut(f.Reason, ":"); ok {
			return k
		}
	}
	return f.Code
}

func violation(kind string) bool {
	switch kind {
	case KindPublic, KindForeignAccount, KindOrgWide, KindAccountWide, KindFederatedUnrestricted:
		return true
	}
	return false
}

// violating reports whether a class getting in is a violation.
func (c *class) violating() bool {
	switch c.kind {
	case kForeignAny, kForeign, kOrgMember, kOwnAny, kServiceAny, kTenantAny, kProviderAny:
		return true
	}
	return false
}

// pieceVerdict is the verdict on one principal of one Allow statement.
type pieceVerdict struct {
	piece
	value    string // the principal as written
	typ      string
	kind     string // "" when fine
	reason   string
	accounts []string
	classes  []int // classes allowed through it
	noSource bool  // a named service acting for a foreign account gets in
	unknown  bool  // an unmodelled OIDC platform gets in
}

// trustJudgement is everything judged about one document.
type trustJudgement struct {
	opt     TrustOptions
	doc     *Document
	rs      *requestSet
	allowed []bool // per request
	pieces  []pieceVerdict
	report  TrustReport
}

// AnalyzeTrust judges who may assume a role under doc.
func AnalyzeTrust(doc *Document, opt TrustOptions) TrustReport {
	j := judgeTrust(doc, opt.withDefaults())
	j.rs.release()
	return j.report
}

// judgeTrust evaluates doc over the requests derived from it.
func judgeTrust(doc *Document, opt TrustOptions) *trustJudgement {
	j := &trustJudgement{opt: opt, doc: doc, allowed: make([]bool, 0, 128)}
	type hit struct {
		p     piece
		class int
	}
	var hits []hit
	var buf []piece
	cm := newClassMatcher(doc)
	j.rs = streamRequests(opt, func(req *Request, _ *class, class int) {
		var dec Decision
		dec, buf = cm.eval(req, class, buf[:0])
		j.allowed = append(j.allowed, dec == Allowed)
		if dec != Allowed {
			return
		}
		for _, p := range buf {
			hits = append(hits, hit{p, class})
		}
	}, doc)
	for si, s := range doc.Statements {
		if s.Effect != "Allow" {
			continue
		}
		for _, pv := range statementPieces(s, si) {
			for _, h := range hits {
				if h.p == pv.piece {
					pv.classes = append(pv.classes, h.class)
				}
			}
			slices.Sort(pv.classes)
			pv.classes = slices.Compact(pv.classes)
			j.judgePiece(&pv)
			j.pieces = append(j.pieces, pv)
		}
	}
	j.buildReport()
	return j
}

// statementPieces lists the principals of an Allow statement in written order.
func statementPieces(s *Statement, si int) []pieceVerdict {
	switch {
	case s.NotPrincipal != nil:
		return []pieceVerdict{{piece: piece{si, -1}, typ: "NotPrincipal", value: notPrincipalText(s.NotPrincipal)}}
	case s.Principal == nil:
		return nil
	case s.Principal.Wildcard:
		return []pieceVerdict{{piece: piece{si, -1}, typ: "*", value: "*"}}
	}
	var out []pieceVerdict
	n := 0
	for _, e := range s.Principal.Entries {
		for _, v := range e.Values.List {
			out = append(out, pieceVerdict{piece: piece{si, n}, typ: e.Type, value: v})
			n++
		}
	}
	return out
}

func notPrincipalText(p *Principal) string {
	if p.Wildcard {
		return "NotPrincipal *"
	}
	var parts []string
	for _, e := range p.Entries {
		parts = append(parts, e.Values.List...)
	}
	return "NotPrincipal " + strings.Join(parts, ",")
}

// judgePiece names the worst class kind let in through one principal.
func (j *trustJudgement) judgePiece(pv *pieceVerdict) {
	var has [kProvider + 1]bool
	var foreign []string
	var examples []string
	for _, ci := range pv.classes {
		c := &j.rs.classes[ci]
		if c.violating() && c.allowedByPattern(j.opt) {
			continue // configuration allows it, however broad the pattern
		}
		has[c.kind] = true
		if c.kind == kForeign && c.account != "" {
			foreign = append(foreign, c.account)
		}
		if c.kind == kProvider && c.prov == nil && c.caller.Type == "Federated" && c.host != "" && !strings.Contains(c.caller.ID, ":saml-provider/") {
			pv.unknown = true
		}
		if c.violating() && len(examples) < 3 {
			examples = append(examples, c.label)
		}
	}
	pv.noSource = has[kServiceForeign]
	who := strings.Join(uniqKeepOrder(examples), "; ")
	switch {
	case has[kForeignAny] || has[kServiceAny] || has[kProviderAny]:
		pv.kind = KindPublic
		pv.reason = "any principal may assume (" + who + "); sts:ExternalId and caller-chosen keys do not narrow it"
	case has[kTenantAny]:
		pv.kind = KindFederatedUnrestricted
		pv.reason = "any tenant of the identity platform may assume: no condition pins a claim the platform fixes (" + who + ")"
	case len(foreign) > 0:
		pv.kind = KindForeignAccount
		pv.accounts = uniqSorted(foreign)
		pv.reason = "principals of accounts that are neither this account nor trusted may assume: " + strings.Join(pv.accounts, ", ")
	case has[kOrgMember]:
		pv.kind = KindOrgWide
		pv.reason = "every account of an untrusted organization may assume (" + who + ")"
	case has[kOwnAny] && !has[kTrustedOrg]:
		// Letting in the whole trusted organization lets in this account
		// too; configuration trusts it as a whole.
		pv.kind = KindAccountWide
		pv.reason = "every IAM principal of this account may assume (no condition pins the caller)"
	}
}

func (j *trustJudgement) buildReport() {
	r := &j.report
	r.ExternalAccounts = []string{}
	r.Findings = []finding.Finding{}
	for _, pv := range j.pieces {
		s := j.doc.Statements[pv.stmt]
		f := finding.Finding{Statement: pv.stmt, Sid: s.Sid, Principal: pv.value}
		if pv.kind != "" {
			f.Code = string(finding.TrustPolicyOverbroad)
			f.Reason = pv.kind + ": " + pv.reason
			r.Findings = append(r.Findings, f)
			switch pv.kind {
			case KindPublic:
				r.Public = true
			case KindForeignAccount:
				r.ExternalAccounts = append(r.ExternalAccounts, pv.accounts...)
			case KindOrgWide:
				r.OrgWide = true
			case KindAccountWide:
				r.AccountWide = true
			case KindFederatedUnrestricted:
				r.UnrestrictedFederated = true
			}
		}
		if pv.noSource && pv.typ == "Service" {
			f.Code = KindServiceNoSource
			f.Reason = "service principal without a working aws:SourceAccount or aws:SourceArn condition: the service may act on another account's behalf (confused deputy)"
			r.Findings = append(r.Findings, f)
		}
		if pv.unknown {
			f.Code = KindUnsure
			f.Reason = "identity provider " + pv.value + " is not in gcguard's provider table: who controls its claims is not modelled"
			r.Findings = append(r.Findings, f)
			r.Unsure = true
		}
	}
	notes := append(Unmodelled(j.doc), j.rs.notes...)
	for _, n := range uniqKeepOrder(notes) {
		r.Unsure = true
		st := noteStatement(n)
		if st >= 0 {
			_, n, _ = strings.Cut(n, ": ")
		}
		r.Findings = append(r.Findings, finding.Finding{Statement: st, Code: KindUnsure, Reason: "not modelled: " + n})
	}
	r.ExternalAccounts = uniqSorted(r.ExternalAccounts)
	if r.ExternalAccounts == nil {
		r.ExternalAccounts = []string{}
	}
}

// noteStatement recovers the statement index a note starts with.
func noteStatement(n string) int {
	var i int
	if _, err := fmt.Sscanf(n, "statement %d:", &i); err == nil {
		return i
	}
	return -1
}

func uniqSorted(s []string) []string {
	s = append([]string(nil), s...)
	slices.Sort(s)
	return slices.Compact(s)
}

func uniqKeepOrder(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func unsureReasons(fs []finding.Finding) string {
	var rs []string
	for _, f := range fs {
		if f.Code == KindUnsure {
			if f.Statement >= 0 {
				rs = append(rs, fmt.Sprintf("statement %d: %s", f.Statement, f.Reason))
			} else {
				rs = append(rs, f.Reason)
			}
		}
	}
	return strings.Join(rs, "; ")
}
