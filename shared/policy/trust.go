package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

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

func (o TrustOptions) trusted(acct string) bool {
	return acct == o.Account || slices.Contains(o.TrustedAccounts, acct)
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

// judgement is the verdict on one principal value of one statement.
type judgement struct {
	typ      string // AWS, Service, Federated… ("*" for the bare wildcard)
	value    string
	kind     string // "" when fine
	reason   string
	accounts []string // foreign accounts, for foreign_account
	// overlap: allowed principal patterns this principal could have
	// matched, so a rewrite can keep them.
	overlap []string
}

type stmtJudgement struct {
	grants     bool // an Allow that grants an assume action
	notPrinc   bool // Allow with NotPrincipal
	principals []judgement
	unsure     []string
}

type trustAnalysis struct {
	opt    TrustOptions
	doc    *Document
	stmts  []stmtJudgement
	report TrustReport
}

// AnalyzeTrust judges who may assume a role under doc.
func AnalyzeTrust(doc *Document, opt TrustOptions) TrustReport {
	return analyzeTrust(doc, opt).report
}

const (
	actAssumeRole = 1 << iota
	actSAML
	actWebIdentity
	actAll = actAssumeRole | actSAML | actWebIdentity
)

var assumeActions = [...]string{"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity"}

// actionMask returns which assume actions a statement covers.
func actionMask(s *Statement) int {
	m := 0
	switch {
	case s.Action != nil:
		for i, a := range assumeActions {
			for _, p := range s.Action.List {
				if globMatch(p, a, true) {
					m |= 1 << i
					break
				}
			}
		}
	case s.NotAction != nil:
		for i, a := range assumeActions {
			excluded := false
			for _, p := range s.NotAction.List {
				if globMatch(p, a, true) {
					excluded = true
					break
				}
			}
			if !excluded {
				m |= 1 << i
			}
		}
	default:
		m = actAll // no action at all: invalid; judge as if it granted
	}
	return m
}

func principalKey(typ, v, partition string) string {
	if typ == "AWS" && isAccountID(v) {
		v = rootARN(partition, v)
	}
	return typ + "|" + v
}

// denies summarizes Deny statements: what they remove for certain, and
// whether some remove principals in ways this package does not model.
type denies struct {
	all     int            // assume actions denied to everyone, unconditionally
	exact   map[string]int // principal key → assume actions denied to it
	complex []int          // statements whose effect depends on conditions
}

func collectDenies(d *Document, partition string) denies {
	dn := denies{exact: map[string]int{}}
	for i, s := range d.Statements {
		if s.Effect != "Deny" {
			continue
		}
		m := actionMask(s)
		if m == 0 {
			continue
		}
		if s.Condition != nil || s.NotPrincipal != nil || s.Principal == nil {
			dn.complex = append(dn.complex, i)
			continue
		}
		if s.Principal.Wildcard || slices.Contains(s.Principal.Values("AWS"), "*") {
			dn.all |= m
			continue
		}
		for _, e := range s.Principal.Entries {
			for _, v := range e.Values.List {
				dn.exact[principalKey(e.Type, v, partition)] |= m
			}
		}
	}
	return dn
}

func analyzeTrust(doc *Document, opt TrustOptions) *trustAnalysis {
	opt = opt.withDefaults()
	a := &trustAnalysis{opt: opt, doc: doc, stmts: make([]stmtJudgement, len(doc.Statements))}
	r := &a.report
	r.ExternalAccounts = []string{}
	r.Findings = []finding.Finding{}
	dn := collectDenies(doc, opt.Partition)
	version := doc.Version
	anyViolation := false

	for i, s := range doc.Statements {
		sj := &a.stmts[i]
		sj.unsure = append(sj.unsure, s.notes...)
		switch s.Effect {
		case "Allow":
		case "Deny":
			continue
		default:
			sj.unsure = append(sj.unsure, fmt.Sprintf("Effect %q is neither Allow nor Deny", s.Effect))
		}
		mask := actionMask(s)
		if mask == 0 {
			continue
		}
		sj.grants = true
		if s.Action == nil && s.NotAction == nil {
			sj.unsure = append(sj.unsure, "statement has no Action")
		}
		ps := collectPins(s.Condition, version)
		sj.unsure = append(sj.unsure, ps.unsure...)
		neutral := func(typ, v string) bool {
			return mask&^dn.all == 0 || mask&^(dn.all|dn.exact[principalKey(typ, v, opt.Partition)]) == 0
		}
		switch {
		case s.NotPrincipal != nil:
			sj.notPrinc = true
			j := judgement{typ: "NotPrincipal", value: notPrincipalText(s.NotPrincipal), kind: KindPublic,
				reason: "Allow with NotPrincipal lets in everyone not listed"}
			if mask&^dn.all == 0 {
				j.kind, j.reason = "", "denied to everyone by a Deny statement"
			} else {
				j.overlap = a.notPrincipalOverlap(s.NotPrincipal, sj)
			}
			sj.principals = append(sj.principals, j)
		case s.Principal == nil:
			sj.unsure = append(sj.unsure, "Allow statement without Principal")
		case s.Principal.Wildcard:
			j := a.judgeAWS("*", ps)
			j.typ = "*"
			if neutral("AWS", "*") {
				j.kind, j.reason = "", "denied by a Deny statement"
			}
			sj.principals = append(sj.principals, j)
		default:
			for _, e := range s.Principal.Entries {
				for _, v := range e.Values.List {
					j := a.judge(e.Type, v, ps)
					if j.kind != "" && j.kind != KindUnsure && neutral(e.Type, v) {
						j.kind, j.reason = "", "denied by a Deny statement"
					}
					sj.principals = append(sj.principals, j)
				}
			}
		}
		for _, j := range sj.principals {
			if violation(j.kind) {
				anyViolation = true
			}
		}
	}

	// Findings, in statement order; statement-level doubts make a
	// violation unsure (it might be narrower than it looks).
	for i, s := range doc.Statements {
		sj := &a.stmts[i]
		stmtViolation := false
		for _, j := range sj.principals {
			if j.kind == "" {
				continue
			}
			f := finding.Finding{Statement: i, Sid: s.Sid, Principal: j.value}
			switch {
			case violation(j.kind):
				stmtViolation = true
				f.Code = string(finding.TrustPolicyOverbroad)
				f.Reason = j.kind + ": " + j.reason
				switch j.kind {
				case KindPublic:
					r.Public = true
				case KindForeignAccount:
					r.ExternalAccounts = append(r.ExternalAccounts, j.accounts...)
				case KindOrgWide:
					r.OrgWide = true
				case KindAccountWide:
					r.AccountWide = true
				case KindFederatedUnrestricted:
					r.UnrestrictedFederated = true
				}
			default:
				if j.kind == KindUnsure {
					r.Unsure = true
				}
				f.Code, f.Reason = j.kind, j.reason
			}
			r.Findings = append(r.Findings, f)
		}
		if stmtViolation && len(sj.unsure) > 0 {
			r.Unsure = true
			r.Findings = append(r.Findings, finding.Finding{Statement: i, Sid: s.Sid, Code: KindUnsure,
				Reason: "cannot judge this statement with certainty: " + strings.Join(sj.unsure, "; ")})
		}
	}
	if anyViolation {
		for _, i := range dn.complex {
			r.Unsure = true
			r.Findings = append(r.Findings, finding.Finding{Statement: i, Sid: doc.Statements[i].Sid, Code: KindUnsure,
				Reason: "a conditional Deny (or one with NotPrincipal) may already remove the principals judged overbroad"})
		}
		if len(doc.notes) > 0 {
			r.Unsure = true
			r.Findings = append(r.Findings, finding.Finding{Statement: -1, Code: KindUnsure,
				Reason: "cannot judge the document with certainty: " + strings.Join(doc.notes, "; ")})
		}
	}
	slices.Sort(r.ExternalAccounts)
	r.ExternalAccounts = slices.Compact(r.ExternalAccounts)
	return a
}

func notPrincipalText(p *Principal) string {
	var parts []string
	if p.Wildcard {
		return "NotPrincipal *"
	}
	for _, e := range p.Entries {
		parts = append(parts, e.Values.List...)
	}
	return "NotPrincipal " + strings.Join(parts, ",")
}

func (a *trustAnalysis) judge(typ, v string, ps *pins) judgement {
	switch typ {
	case "AWS":
		return a.judgeAWS(v, ps)
	case "Service":
		return a.judgeService(v, ps)
	case "Federated":
		return a.judgeFederated(v, ps)
	case "CanonicalUser":
		return judgement{typ: typ, value: v, kind: KindUnsure, reason: "CanonicalUser names an S3 canonical user; its account cannot be told from the ID"}
	case "":
		return judgement{typ: typ, value: v, kind: KindUnsure, reason: "Principal is a bare string other than \"*\""}
	}
	return judgement{typ: typ, value: v, kind: KindUnsure, reason: fmt.Sprintf("unknown principal type %q", typ)}
}

// allowedOverlap returns the allowed patterns f accepts, in configuration
// order: those a rewrite may keep because they could assume before.
func (a *trustAnalysis) allowedOverlap(f func(allowed string) bool) []string {
	var out []string
	for _, p := range a.opt.AllowedPrincipals {
		if f(p) {
			out = append(out, p)
		}
	}
	return out
}

// accountMatches reports whether an allowed pattern lies wholly inside
// account acct (its account part is that literal ID).
func accountMatches(pattern, acct string) bool {
	_, _, _, pacct, _, ok := arnParts(pattern)
	return ok && pacct == acct
}

func (a *trustAnalysis) judgeAWS(v string, ps *pins) judgement {
	j := judgement{typ: "AWS", value: v}
	ap := classifyAWS(v)
	opt := a.opt
	switch ap.kind {
	case awsInvalid:
		j.kind, j.reason = KindUnsure, "not a recognizable AWS principal"
		return j
	case awsUniqueID:
		j.reason = "unique ID of a deleted principal: matches nobody"
		return j
	}
	principalAcct := ap.account
	if ap.partition == "" { // bare IDs and "*" live in the configured partition
		ap.partition = opt.Partition
	}
	partitionOK := ap.partition == opt.Partition

	// Which principal-ARN pin values could this principal satisfy?
	covers := func(pv pinValue) bool {
		switch ap.kind {
		case awsAnyone:
			return ap.arn == "" || globsIntersect(ap.arn, pv.pattern())
		case awsAccount:
			pacct, _ := patternAccount(pv.pattern())
			return globMatch(pacct, principalAcct, false) || globMatch(principalAcct, pacct, false)
		default:
			return globsIntersect(ap.arn, pv.pattern())
		}
	}
	foreignOf := func(accts []string) []string {
		var out []string
		for _, acct := range accts {
			if !partitionOK || !opt.trusted(acct) {
				out = append(out, a.accountLabel(ap.partition, acct))
			}
		}
		return out
	}

	// 1. aws:PrincipalArn naming specific principals.
	for _, set := range ps.principalArn {
		pinning := true
		for _, pv := range set {
			if !specificArnPin(pv, opt.AllowedPrincipals) {
				pinning = false
				break
			}
		}
		if !pinning {
			continue
		}
		var compatible []pinValue
		for _, pv := range set {
			if covers(pv) && accountsAllow(ps.account, pv) {
				compatible = append(compatible, pv)
			}
		}
		if len(compatible) == 0 {
			j.reason = "conditions name no principal this Principal covers"
			return j
		}
		var accts []string
		for _, pv := range compatible {
			acct, _ := patternAccount(pv.pattern())
			accts = append(accts, acct)
		}
		if f := foreignOf(accts); len(f) > 0 {
			j.kind, j.accounts = KindForeignAccount, uniqSorted(f)
			j.reason = "aws:PrincipalArn names principals of accounts that are neither this account nor trusted: " + strings.Join(j.accounts, ", ")
			j.overlap = a.allowedOverlap(func(p string) bool {
				for _, pv := range compatible {
					if globSubset(p, pv.pattern()) && withinPrincipal(ap, p) {
						return true
					}
				}
				return false
			})
			return j
		}
		j.reason = "aws:PrincipalArn names specific principals"
		return j
	}

	// 2. aws:PrincipalAccount with literal account IDs; an
	// aws:PrincipalArn like "arn:aws:iam::111111111111:role/*" pins no
	// principal but still pins the account.
	acctSets := ps.account
	for _, set := range ps.principalArn {
		derived := make([]pinValue, 0, len(set))
		for _, pv := range set {
			acct, literal := patternAccount(pv.text)
			if !literal {
				derived = nil
				break
			}
			derived = append(derived, pinValue{text: acct})
		}
		if derived != nil {
			acctSets = append(acctSets, derived)
		}
	}
	for _, set := range acctSets {
		literal := true
		var accts []string
		for _, pv := range set {
			if !pv.exact() || !isAccountID(pv.text) {
				literal = false
				break
			}
			accts = append(accts, pv.text)
		}
		if !literal {
			continue
		}
		if ap.kind != awsAnyone {
			if !slices.Contains(accts, principalAcct) {
				j.reason = "aws:PrincipalAccount excludes this principal's account"
				return j
			}
			accts = []string{principalAcct}
		}
		if f := foreignOf(accts); len(f) > 0 {
			j.kind, j.accounts = KindForeignAccount, uniqSorted(f)
			j.reason = "principals of accounts that are neither this account nor trusted may assume: " + strings.Join(j.accounts, ", ")
			j.overlap = a.allowedOverlap(func(p string) bool {
				if !withinPrincipal(ap, p) {
					return false
				}
				for _, acct := range accts {
					if accountMatches(p, acct) {
						return true
					}
				}
				return false
			})
			return j
		}
		if ap.kind == awsSpecific || !slices.Contains(accts, opt.Account) || a.useridPinned(ps) {
			j.reason = "limited to trusted accounts' specific principals"
			return j
		}
		j.kind = KindAccountWide
		j.reason = "conditions limit it to this account only, which still lets every IAM principal of it assume"
		j.overlap = a.scopeOverlap(ap)
		return j
	}

	// 3. No principal-pinning condition: the Principal speaks for itself.
	switch ap.kind {
	case awsAnyone:
		if a.useridPinned(ps) {
			j.kind, j.reason = KindUnsure, "aws:userid pins a unique ID, but not the account it belongs to"
			return j
		}
		if len(ps.orgID) > 0 || len(ps.orgPaths) > 0 {
			if a.orgTrusted(ps) {
				j.reason = "limited to the trusted organization"
				return j
			}
			j.kind = KindOrgWide
			j.reason = "only aws:PrincipalOrgID/PrincipalOrgPaths limit it: every account of the organization may assume"
			return j
		}
		j.kind = KindPublic
		j.reason = "any AWS principal may assume (no condition pins the caller; sts:ExternalId does not)"
		j.overlap = a.allowedOverlap(func(p string) bool { return withinPrincipal(ap, p) })
		return j
	case awsAccount:
		if !partitionOK || !opt.trusted(principalAcct) {
			j.kind, j.accounts = KindForeignAccount, []string{a.accountLabel(ap.partition, principalAcct)}
			j.reason = "account " + principalAcct + " is neither this account nor trusted"
			return j
		}
		if principalAcct != opt.Account {
			j.reason = "trusted account"
			return j
		}
		if a.useridPinned(ps) {
			j.reason = "aws:userid pins a specific principal by unique ID"
			return j
		}
		j.kind = KindAccountWide
		j.reason = "every IAM principal of this account may assume (no condition pins the caller)"
		j.overlap = a.scopeOverlap(ap)
		return j
	default: // awsSpecific
		if !partitionOK || !opt.trusted(principalAcct) {
			j.kind, j.accounts = KindForeignAccount, []string{a.accountLabel(ap.partition, principalAcct)}
			j.reason = "principal of account " + principalAcct + ", which is neither this account nor trusted"
			return j
		}
		j.reason = "specific principal"
		return j
	}
}

// withinPrincipal reports whether every principal matching allowed
// pattern p is covered by the written principal ap.
func withinPrincipal(ap awsPrincipal, p string) bool {
	if pp, _, _, _, _, ok := arnParts(p); !ok || (ap.partition != "" && pp != ap.partition) {
		return false
	}
	_, _, _, _, res, _ := arnParts(ap.arn)
	switch {
	case ap.arn == "" && ap.kind == awsAnyone:
		return true
	case ap.kind == awsAccount && (ap.arn == "" || res == "root"):
		return accountMatches(p, ap.account)
	default:
		return globSubset(p, ap.arn)
	}
}

// scopeOverlap returns the allowed patterns an account-wide principal
// covers: all of its account's for "*", a bare ID or :root; for a pattern
// such as arn:aws:iam::111111111111:user/*, only those it intersects.
func (a *trustAnalysis) scopeOverlap(ap awsPrincipal) []string {
	return a.allowedOverlap(func(p string) bool { return withinPrincipal(ap, p) })
}

// accountsAllow reports whether every aws:PrincipalAccount key admits the
// account of an ARN pin value (keys AND together).
func accountsAllow(sets [][]pinValue, pv pinValue) bool {
	acct, literal := patternAccount(pv.pattern())
	if !literal {
		return true
	}
	for _, set := range sets {
		ok := false
		for _, v := range set {
			if v.vary || globMatch(v.text, acct, false) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (a *trustAnalysis) useridPinned(ps *pins) bool {
	return anySet(ps.userid, useridPinned)
}

func (a *trustAnalysis) orgTrusted(ps *pins) bool {
	org := a.opt.TrustedOrg
	if org == "" {
		return false
	}
	if anySet(ps.orgID, func(v pinValue) bool { return v.exact() && v.text == org }) {
		return true
	}
	return anySet(ps.orgPaths, func(v pinValue) bool {
		return !v.vary && strings.HasPrefix(literalPrefix(v.text), org+"/")
	})
}

func (a *trustAnalysis) notPrincipalOverlap(np *Principal, sj *stmtJudgement) []string {
	// Restoring allowed principals is only safe when NotPrincipal does not
	// already exclude some of them.
	for _, v := range np.Values("AWS") {
		for _, p := range a.opt.AllowedPrincipals {
			if v == "*" || globsIntersect(v, p) {
				sj.unsure = append(sj.unsure, "NotPrincipal excludes some allowed principals")
				return nil
			}
		}
	}
	return append([]string(nil), a.opt.AllowedPrincipals...)
}

func (a *trustAnalysis) judgeService(v string, ps *pins) judgement {
	j := judgement{typ: "Service", value: v}
	if v == "" || hasWildcard(v) {
		j.kind, j.reason = KindPublic, "wildcard service principal"
		return j
	}
	if len(ps.sourceAccount) > 0 || len(ps.sourceArn) > 0 {
		j.reason = "service principal limited by aws:SourceAccount/aws:SourceArn"
		return j
	}
	j.kind = KindServiceNoSource
	j.reason = "service principal without aws:SourceAccount or aws:SourceArn: the service may act on another account's behalf (confused deputy)"
	return j
}

// GitHub claims that pin a repository (STS exposes sub and, since 2026,
// repository, repository_id, job_workflow_ref among others).
var githubRepoClaims = []string{"sub", "repository", "repository_id", "job_workflow_ref", "repository_owner", "repository_owner_id"}

func (a *trustAnalysis) judgeFederated(v string, ps *pins) judgement {
	j := judgement{typ: "Federated", value: v}
	if v == "" || hasWildcard(v) {
		j.kind, j.reason = KindPublic, "wildcard federated principal"
		return j
	}
	host, kind, acct, part := providerHost(v)
	if kind == "" && host == "" {
		j.kind, j.reason = KindUnsure, "not a recognizable identity provider"
		return j
	}
	if kind == "saml" || kind == "oidc" {
		if !isAccountID(acct) || part != a.opt.Partition || !a.opt.trusted(acct) {
			j.kind, j.accounts = KindForeignAccount, []string{a.accountLabel(part, acct)}
			j.reason = "identity provider of account " + acct + ", which is neither this account nor trusted"
			return j
		}
	}
	if kind == "saml" {
		// The account's own IdP decides which roles its assertions name;
		// SAML:aud only checks the sign-in endpoint.
		j.reason = "SAML provider of this account"
		return j
	}
	lh := strings.ToLower(host)
	claim := func(name string, ok func(pinValue) bool) bool {
		return anySet(ps.claims[lh+":"+name], func(v pinValue) bool { return !v.vary && ok(v) })
	}
	notAll := func(v pinValue) bool { return v.exact() || literalPrefix(v.text) != "" }
	switch {
	case strings.HasPrefix(lh, "token.actions.githubusercontent.com"):
		for _, c := range githubRepoClaims {
			if claim(c, func(v pinValue) bool { return githubClaimNarrow(c, v) }) {
				j.reason = "GitHub Actions limited by " + c
				return j
			}
		}
		j.kind = KindFederatedUnrestricted
		j.reason = "GitHub Actions OIDC without a sub or repository condition: any repository's workflow may assume (aud alone is the known vulnerable pattern)"
	case lh == "cognito-identity.amazonaws.com":
		if claim("aud", func(v pinValue) bool { return v.exact() }) {
			j.reason = "Cognito limited to identity pools by aud"
			return j
		}
		j.kind = KindFederatedUnrestricted
		j.reason = "Cognito without an exact cognito-identity.amazonaws.com:aud: identities of any identity pool may assume"
	case strings.HasPrefix(lh, "oidc.eks.") && strings.Contains(lh, ".amazonaws.com/id/"):
		if claim("sub", func(v pinValue) bool {
			return v.exact() || len(literalPrefix(v.text)) > len("system:serviceaccount:")
		}) {
			j.reason = "EKS limited by service account (sub)"
			return j
		}
		j.kind = KindFederatedUnrestricted
		j.reason = "EKS OIDC without a sub condition: every service account of the cluster may assume"
	default:
		if claim("sub", notAll) || claim("aud", func(v pinValue) bool {
			return notAll(v) && !strings.EqualFold(v.text, "sts.amazonaws.com")
		}) {
			j.reason = "identity provider limited by sub or aud"
			return j
		}
		j.kind = KindFederatedUnrestricted
		j.reason = "identity provider without a sub or client-specific aud condition: any identity it issues may assume"
	}
	return j
}

// githubClaimNarrow reports whether a claim value pins at least the
// repository owner: the owner part must be literal and complete.
func githubClaimNarrow(claim string, v pinValue) bool {
	if v.exact() {
		return v.text != ""
	}
	lp := literalPrefix(v.text)
	switch claim {
	case "sub":
		if rest, ok := strings.CutPrefix(lp, "repo:"); ok {
			return strings.Contains(rest, "/") && !strings.HasPrefix(rest, "/")
		}
		// Customized subjects ("repository_owner_id:123:…"): a claim name
		// and a literal value.
		_, val, ok := strings.Cut(lp, ":")
		return ok && val != ""
	case "repository", "job_workflow_ref":
		i := strings.IndexByte(lp, '/')
		return i > 0
	}
	return false
}

// accountLabel names an account for ExternalAccounts: the bare ID in this
// partition, "<partition>:<ID>" in another (the same digits there are a
// different account).
func (a *trustAnalysis) accountLabel(partition, acct string) string {
	if partition == a.opt.Partition {
		return acct
	}
	return partition + ":" + acct
}

func uniqSorted(s []string) []string {
	s = append([]string(nil), s...)
	slices.Sort(s)
	return slices.Compact(s)
}
