package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// QuarantineSid labels the statement PlanTrust writes when nothing allowed
// is left: it names a role ARN that cannot exist ('!' is not allowed in
// role names), so it matches nobody while keeping the document valid.
const QuarantineSid = "GcguardQuarantine"

// TrustPlan is the minimal rewrite of a trust policy and what it does to
// access.
type TrustPlan struct {
	Changed    bool              `json:"changed"`
	Document   json.RawMessage   `json:"document,omitempty"` // minified; only when Changed
	Findings   []finding.Finding `json:"findings"`
	Changes    []string          `json:"changes"`
	ReportOnly bool              `json:"report_only"`
	Reason     string            `json:"reason,omitempty"` // why ReportOnly
	// Preview compares the proposed document with the live one; for a
	// plan that writes nothing it lists who keeps access.
	Preview Preview `json:"preview"`
}

func dropKind(kind string) bool {
	switch kind {
	case KindPublic, KindForeignAccount, KindOrgWide, KindFederatedUnrestricted:
		return true
	}
	return false
}

// PlanTrust proposes the minimal change that makes doc's trust clean, as
// DESIGN §2 "Trust tightening" says, and lets the access preview decide
// whether it may be written. Public, foreign, untrusted-org and
// unrestricted federated principals are dropped (statements left empty
// go); an account-wide account principal stays, restricted by
// ArnLike aws:PrincipalArn to the allowed principals it let in; allowed
// principals, the owner's named principals and trusted accounts that
// could assume through a dropped principal keep that path through a
// split-off statement with the same conditions; orphaned unique IDs are
// dropped; a document left empty gets a quarantine statement. sizeQuota
// (bytes, 0 = unchecked) is the account's AssumeRolePolicySizeQuota.
// Unsure analyses, and proposals the preview rejects, are report-only.
func PlanTrust(doc *Document, opt TrustOptions, sizeQuota int) (TrustPlan, error) {
	plan := TrustPlan{Findings: []finding.Finding{}, Changes: []string{}, Preview: emptyPreview()}
	if doc == nil {
		return plan, errors.New("plan trust: no document")
	}
	opt = opt.withDefaults()
	if !isAccountID(opt.Account) {
		return plan, fmt.Errorf("plan trust: TrustOptions.Account %q is not a 12-digit account ID", opt.Account)
	}
	j := judgeTrust(doc, opt)
	defer j.rs.release()
	plan.Findings = j.report.Findings
	plan.Preview = keepsOnly(j)
	if j.report.Unsure {
		plan.ReportOnly = true
		plan.Reason = "analysis is unsure: " + unsureReasons(j.report.Findings)
		return plan, nil
	}
	if !j.report.Overbroad() {
		if len(plan.Findings) > 0 {
			plan.ReportOnly = true
			plan.Reason = "findings that gcguard reports but never rewrites (" + KindServiceNoSource + ")"
		}
		return plan, nil
	}

	p := &planner{j: j, opt: opt, sids: map[string]bool{}, clean: map[int]bool{}}
	for _, pv := range j.pieces {
		if pv.kind == "" {
			for _, ci := range pv.classes {
				p.clean[ci] = true
			}
		}
	}
	for _, s := range doc.Statements {
		if s.HasSid {
			p.sids[s.Sid] = true
		}
	}
	out := doc.Clone()
	var stmts []*Statement
	for i, s := range out.Statements {
		kept, err := p.statement(i, s)
		if err != nil {
			return reportOnly(plan, err.Error()), nil
		}
		stmts = append(stmts, kept...)
	}
	stmts = p.dropUniqueIDs(stmts)
	if len(stmts) == 0 {
		stmts = []*Statement{p.quarantine()}
		p.change("no allowed principal could assume before: added quarantine statement %s, which matches nobody", QuarantineSid)
	}
	out.Statements = stmts
	if len(stmts) != 1 {
		out.SingleStatement = false
	}
	min := Minify(out)
	plan.Changes = p.changes

	if sizeQuota > 0 && len(min) > sizeQuota {
		return plan, fmt.Errorf("plan trust: rewritten policy is %d bytes minified, over the account's trust-policy size quota of %d bytes", len(min), sizeQuota)
	}
	if err := ValidateTrust(min); err != nil {
		if ValidateTrust(Minify(doc)) != nil {
			return reportOnly(plan, "the policy holds content IAM rejects in a trust policy, which gcguard keeps as the owner wrote it: "+err.Error()), nil
		}
		return plan, fmt.Errorf("plan trust: rewritten policy would be rejected by IAM: %w", err)
	}
	rd, err := Parse(min)
	if err != nil {
		return plan, fmt.Errorf("plan trust: rewritten policy does not parse: %w", err)
	}
	pv, problems := previewTrust(doc, rd, opt)
	plan.Preview = pv
	if rr := AnalyzeTrust(rd, opt); rr.Overbroad() || rr.Unsure {
		problems = append(problems, "the rewrite does not analyze clean: "+findingText(rr.Findings))
	}
	if len(problems) > 0 {
		return reportOnly(plan, "the access preview rejects the rewrite ("+pv.String()+"): "+strings.Join(problems, "; ")), nil
	}
	plan.Changed = true
	plan.Document = min
	return plan, nil
}

// reportOnly turns a plan into a report with its reason; the preview
// stays, so the reader sees what the rejected rewrite would have done.
func reportOnly(plan TrustPlan, reason string) TrustPlan {
	plan.ReportOnly = true
	plan.Reason = reason
	plan.Changes = []string{}
	plan.Changed = false
	plan.Document = nil
	return plan
}

func findingText(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Reason)
	}
	return strings.Join(out, "; ")
}

type planner struct {
	j       *trustJudgement
	clean   map[int]bool // classes let in through principals that stay
	opt     TrustOptions
	sids    map[string]bool
	changes []string
}

func (p *planner) change(format string, args ...any) {
	p.changes = append(p.changes, fmt.Sprintf(format, args...))
}

func (p *planner) uniqueSid(base string) string {
	sid := base
	for n := 2; p.sids[sid]; n++ {
		sid = base + strconv.Itoa(n)
	}
	p.sids[sid] = true
	return sid
}

func (p *planner) root() string { return rootARN(p.opt.Partition, p.opt.Account) }

// keepers returns, for the classes let in through a principal, the
// own-account patterns and trusted accounts whose access a rewrite must
// keep: allowed principals and the owner's named specific principals.
func (p *planner) keepers(pv pieceVerdict) (own, trusted []string) {
	rs := p.j.rs
	for _, ci := range pv.classes {
		c := &rs.classes[ci]
		if c.caller.Type != "AWS" || p.clean[ci] {
			continue // a principal that stays lets it in anyway
		}
		switch {
		case c.kind == kTrusted || c.kind == kTrustedOrg:
			if c.caller.Partition == p.opt.Partition && c.account != "" && isAccountID(c.account) {
				trusted = append(trusted, c.account)
			}
			continue
		case c.kind == kOwnNamed && c.pattern != "":
			own = append(own, c.pattern)
		}
		for _, a := range p.opt.AllowedPrincipals {
			if globMatch(a, c.caller.ID, false) && accountMatches(a, p.opt.Account) {
				own = append(own, a)
			}
		}
	}
	// Allowed patterns first, in configuration order, then named ones.
	var ordered []string
	for _, a := range p.opt.AllowedPrincipals {
		if slices.Contains(own, a) {
			ordered = append(ordered, a)
		}
	}
	for _, o := range own {
		if !slices.Contains(ordered, o) {
			ordered = append(ordered, o)
		}
	}
	return ordered, uniqKeepOrder(trusted)
}

// accountMatches reports whether pattern lies wholly inside account acct.
func accountMatches(pattern, acct string) bool {
	_, _, _, pacct, _, ok := arnParts(pattern)
	return ok && pacct == acct
}

// statement returns what statement i becomes: itself, nothing, or itself
// followed by split-off statements for this account and trusted accounts.
func (p *planner) statement(i int, s *Statement) ([]*Statement, error) {
	var pieces []pieceVerdict
	violated := false
	for _, pv := range p.j.pieces {
		if pv.stmt == i {
			pieces = append(pieces, pv)
			if violation(pv.kind) {
				violated = true
			}
		}
	}
	if !violated {
		return []*Statement{s}, nil
	}
	label := fmt.Sprintf("statement %d", i)
	if s.HasSid && s.Sid != "" {
		label += " (" + s.Sid + ")"
	}

	var restore, trusted, acctValues []string
	accountWide := false
	kept := &Principal{}
	byValue := map[int]pieceVerdict{}
	for _, pv := range pieces {
		byValue[pv.value2()] = pv
	}
	handle := func(pv pieceVerdict, v string) bool { // reports whether v stays
		own, tr := p.keepers(pv)
		switch {
		case dropKind(pv.kind):
			p.change("dropped principal %s from %s (%s)", v, label, pv.kind)
			restore = append(restore, own...)
			trusted = append(trusted, tr...)
		case pv.kind == KindAccountWide && len(own) == 0:
			p.change("dropped principal %s from %s (%s, and lets in no allowed principal)", v, label, pv.kind)
		case pv.kind == KindAccountWide:
			accountWide = true
			restore = append(restore, own...)
			if isAccountID(v) || strings.HasSuffix(v, ":root") && classifyAWS(v).kind == awsAccount {
				acctValues = append(acctValues, v)
			} else {
				p.change("replaced principal %s in %s with %s", v, label, p.root())
				acctValues = append(acctValues, p.root())
			}
		default:
			return true
		}
		return false
	}
	switch {
	case s.NotPrincipal != nil:
		handle(pieces[0], pieces[0].value)
		s.NotPrincipal = nil
	case s.Principal.Wildcard:
		if handle(pieces[0], "*") {
			kept.Wildcard = true
		}
	default:
		n := 0
		for _, e := range s.Principal.Entries {
			ne := PrincipalEntry{Type: e.Type, Values: Values{Single: e.Values.Single}}
			for _, v := range e.Values.List {
				if handle(byValue[n], v) {
					ne.Values.List = append(ne.Values.List, v)
				}
				n++
			}
			if len(ne.Values.List) > 0 {
				kept.Entries = append(kept.Entries, ne)
			}
		}
	}
	restore = uniqKeepOrder(restore)
	trusted = uniqKeepOrder(trusted)
	hasOther := kept.Wildcard || len(kept.Entries) > 0
	var out []*Statement
	if hasOther {
		s.Principal = kept
		out = append(out, s)
	}
	base := "Gcguard"
	if s.HasSid && s.Sid != "" {
		base = s.Sid + "Gcguard"
	}
	if len(restore) > 0 {
		if len(acctValues) == 0 {
			acctValues = []string{p.root()}
		}
		acctValues = uniqKeepOrder(acctValues)
		split := s.Clone()
		split.NotPrincipal = nil
		split.Principal = &Principal{Entries: []PrincipalEntry{{Type: "AWS", Values: Values{List: acctValues, Single: len(acctValues) == 1}}}}
		if err := addPrincipalArn(split, restore); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		why := "restricted by aws:PrincipalArn to " + strings.Join(restore, ", ")
		if !accountWide {
			why += " (principals that could assume through the dropped principals)"
		}
		if hasOther || len(out) > 0 {
			split.Sid, split.HasSid = p.uniqueSid(base+"AccountScoped"), true
			p.change("moved %s out of %s into new statement %s, %s", strings.Join(acctValues, ", "), label, split.Sid, why)
		} else {
			p.change("%s now trusts %s %s", label, strings.Join(acctValues, ", "), why)
		}
		out = append(out, split)
	}
	if len(trusted) > 0 {
		var roots []string
		for _, t := range trusted {
			roots = append(roots, rootARN(p.opt.Partition, t))
		}
		split := s.Clone()
		split.NotPrincipal = nil
		split.Principal = &Principal{Entries: []PrincipalEntry{{Type: "AWS", Values: Values{List: roots, Single: len(roots) == 1}}}}
		if len(out) > 0 {
			split.Sid, split.HasSid = p.uniqueSid(base+"Trusted"), true
		}
		p.change("trusted accounts %s keep, under the same conditions, the access they had through %s", strings.Join(trusted, ", "), label)
		out = append(out, split)
	}
	if len(out) == 0 {
		p.change("dropped %s: no principal left", label)
	}
	return out, nil
}

// value2 is the piece's principal index in written order (0 for "*" and
// NotPrincipal, which are alone in their statement).
func (pv pieceVerdict) value2() int {
	if pv.value == "*" && pv.typ == "*" {
		return 0
	}
	return pv.piece.value
}

// dropUniqueIDs removes AROA…/AIDA… principals: IAM's stand-ins for
// deleted principals, which match nobody and which IAM and S3 reject when
// the document is written back.
func (p *planner) dropUniqueIDs(stmts []*Statement) []*Statement {
	out := stmts[:0]
	for _, s := range stmts {
		if s.Principal != nil && !s.Principal.Wildcard {
			var entries []PrincipalEntry
			for _, e := range s.Principal.Entries {
				ne := e
				ne.Values.List = nil
				for _, v := range e.Values.List {
					if e.Type == "AWS" && classifyAWS(v).kind == awsUniqueID {
						p.change("dropped orphaned unique ID %s (a deleted principal: it grants nothing and IAM rejects it)", v)
						continue
					}
					ne.Values.List = append(ne.Values.List, v)
				}
				if len(ne.Values.List) > 0 {
					entries = append(entries, ne)
				}
			}
			if len(entries) == 0 {
				continue
			}
			s.Principal.Entries = entries
		}
		out = append(out, s)
	}
	return out
}

// addPrincipalArn ANDs "aws:PrincipalArn matches one of patterns" into the
// statement's conditions. A key may appear once per operator, and a second
// value under an existing key would OR (widen), so the condition goes
// under ArnLike or, if that already tests aws:PrincipalArn, StringLike:
// both certainly honour wildcards (sources disagree on ArnEquals).
func addPrincipalArn(s *Statement, patterns []string) error {
	vals := make([]ConditionValue, len(patterns))
	for i, p := range patterns {
		vals[i] = ConditionValue{Text: p}
	}
	entry := ConditionEntry{Key: "aws:PrincipalArn", Values: vals, Single: len(vals) == 1}
	if s.Condition == nil {
		s.Condition = &Condition{}
	}
	for _, op := range []string{"ArnLike", "StringLike"} {
		idx := -1
		taken := false
		for bi, b := range s.Condition.Blocks {
			if b.Operator != op {
				continue
			}
			idx = bi
			for _, e := range b.Entries {
				if strings.EqualFold(e.Key, "aws:PrincipalArn") {
					taken = true
				}
			}
		}
		if taken {
			continue
		}
		if idx >= 0 {
			s.Condition.Blocks[idx].Entries = append(s.Condition.Blocks[idx].Entries, entry)
		} else {
			s.Condition.Blocks = append(s.Condition.Blocks, ConditionBlock{Operator: op, Entries: []ConditionEntry{entry}})
		}
		return nil
	}
	return errors.New("aws:PrincipalArn is already tested under ArnLike and StringLike; cannot add a restriction without widening")
}

func (p *planner) quarantine() *Statement {
	return &Statement{
		Sid: p.uniqueSid(QuarantineSid), HasSid: true,
		Effect:    "Allow",
		Principal: &Principal{Entries: []PrincipalEntry{{Type: "AWS", Values: Values{List: []string{p.root()}, Single: true}}}},
		Action:    &Values{List: []string{"sts:AssumeRole"}, Single: true},
		Condition: &Condition{Blocks: []ConditionBlock{{Operator: "StringEquals", Entries: []ConditionEntry{{
			Key:    "aws:PrincipalArn",
			Values: []ConditionValue{{Text: "arn:" + p.opt.Partition + ":iam::" + p.opt.Account + ":role/gcguard-quarantine/no-principal-matches!"}},
			Single: true,
		}}}}},
	}
}
