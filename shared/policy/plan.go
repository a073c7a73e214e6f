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

// TrustPlan is the minimal rewrite of a trust policy.
type TrustPlan struct {
	Changed    bool              `json:"changed"`
	Document   json.RawMessage   `json:"document,omitempty"` // minified; only when Changed
	Findings   []finding.Finding `json:"findings"`
	Changes    []string          `json:"changes"`
	ReportOnly bool              `json:"report_only"`
	Reason     string            `json:"reason,omitempty"` // why ReportOnly
}

func dropKind(kind string) bool {
	switch kind {
	case KindPublic, KindForeignAccount, KindOrgWide, KindFederatedUnrestricted:
		return true
	}
	return false
}

// PlanTrust computes the minimal change that makes doc's trust clean, as
// DESIGN §2 "Trust tightening" says: public, foreign, untrusted-org and
// unrestricted federated principals are dropped (statements left empty
// go); an account-wide account principal stays, restricted by
// ArnLike aws:PrincipalArn to the allowed principals; allowed principals
// that could assume through a dropped principal keep that path through
// the account principal; a document left empty gets a quarantine
// statement. sizeQuota (bytes, 0 = unchecked) is the account's
// AssumeRolePolicySizeQuota. Unsure analyses are reported, never rewritten.
func PlanTrust(doc *Document, opt TrustOptions, sizeQuota int) (TrustPlan, error) {
	plan := TrustPlan{Findings: []finding.Finding{}, Changes: []string{}}
	if doc == nil {
		return plan, errors.New("plan trust: no document")
	}
	opt = opt.withDefaults()
	if !isAccountID(opt.Account) {
		return plan, fmt.Errorf("plan trust: TrustOptions.Account %q is not a 12-digit account ID", opt.Account)
	}
	a := analyzeTrust(doc, opt)
	plan.Findings = a.report.Findings
	if a.report.Unsure {
		plan.ReportOnly = true
		plan.Reason = "analysis is unsure: " + unsureReasons(a.report.Findings)
		return plan, nil
	}
	if !a.report.Overbroad() {
		if len(plan.Findings) > 0 {
			plan.ReportOnly = true
			plan.Reason = "findings that gcguard reports but never rewrites (" + KindServiceNoSource + ")"
		}
		return plan, nil
	}

	p := &planner{a: a, opt: opt, sids: map[string]bool{}}
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
			plan.ReportOnly = true
			plan.Reason = err.Error()
			plan.Changes = []string{}
			return plan, nil
		}
		stmts = append(stmts, kept...)
	}
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
			plan.ReportOnly = true
			plan.Reason = "the policy holds content IAM rejects in a trust policy, which gcguard keeps as the owner wrote it: " + err.Error()
			plan.Changes = []string{}
			return plan, nil
		}
		return plan, fmt.Errorf("plan trust: rewritten policy would be rejected by IAM: %w", err)
	}
	rd, err := Parse(min)
	if err != nil {
		return plan, fmt.Errorf("plan trust: rewritten policy does not parse: %w", err)
	}
	if rr := AnalyzeTrust(rd, opt); rr.Overbroad() || rr.Unsure {
		return plan, fmt.Errorf("plan trust: rewritten policy still does not analyze clean: %v", rr.Findings)
	}
	plan.Changed = true
	plan.Document = min
	return plan, nil
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

type planner struct {
	a       *trustAnalysis
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

// statement returns what statement i becomes: itself, nothing, or itself
// followed by a split-off account statement.
func (p *planner) statement(i int, s *Statement) ([]*Statement, error) {
	sj := p.a.stmts[i]
	violated := false
	for _, j := range sj.principals {
		if violation(j.kind) {
			violated = true
		}
	}
	if !sj.grants || !violated {
		return []*Statement{s}, nil
	}
	label := fmt.Sprintf("statement %d", i)
	if s.HasSid && s.Sid != "" {
		label += " (" + s.Sid + ")"
	}

	if sj.notPrinc {
		j := sj.principals[0]
		s.NotPrincipal = nil
		if len(j.overlap) == 0 {
			p.change("dropped %s: Allow with %s lets in everyone not listed", label, j.value)
			return nil, nil
		}
		s.Principal = &Principal{Entries: []PrincipalEntry{{Type: "AWS", Values: Values{List: []string{p.root()}, Single: true}}}}
		if err := addPrincipalArn(s, j.overlap); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		p.change("replaced %s in %s with %s restricted by aws:PrincipalArn to %s", j.value, label, p.root(), strings.Join(j.overlap, ", "))
		return []*Statement{s}, nil
	}

	// Walk the principals in written order, matching judgements one by one.
	var restore, scoped []string
	var acctValues []string
	accountWide := false
	kept := &Principal{}
	k := 0
	if s.Principal.Wildcard {
		j := sj.principals[0]
		switch {
		case dropKind(j.kind):
			p.change("dropped principal * from %s (%s)", label, j.kind)
			restore = append(restore, j.overlap...)
		case j.kind == KindAccountWide:
			accountWide = true
			acctValues = append(acctValues, p.root())
			scoped = append(scoped, j.overlap...)
		default:
			kept.Wildcard = true
		}
	} else {
		for _, e := range s.Principal.Entries {
			ne := PrincipalEntry{Type: e.Type, Values: Values{Single: e.Values.Single}}
			for _, v := range e.Values.List {
				j := sj.principals[k]
				k++
				switch {
				case dropKind(j.kind):
					p.change("dropped principal %s from %s (%s)", v, label, j.kind)
					restore = append(restore, j.overlap...)
				case j.kind == KindAccountWide && len(j.overlap) == 0:
					p.change("dropped principal %s from %s (%s, and covers no allowed principal)", v, label, j.kind)
				case j.kind == KindAccountWide:
					accountWide = true
					scoped = append(scoped, j.overlap...)
					if isAccountID(v) || strings.HasSuffix(v, ":root") && classifyAWS(v).kind == awsAccount {
						acctValues = append(acctValues, v)
					} else {
						p.change("replaced principal %s in %s with %s", v, label, p.root())
						acctValues = append(acctValues, p.root())
					}
				default:
					ne.Values.List = append(ne.Values.List, v)
				}
			}
			if len(ne.Values.List) > 0 {
				kept.Entries = append(kept.Entries, ne)
			}
		}
	}
	hasOther := kept.Wildcard || len(kept.Entries) > 0

	// The account principal is restricted to the allowed principals it
	// covered (account-wide) or that could assume through dropped ones,
	// in configuration order.
	var patterns []string
	for _, a := range p.opt.AllowedPrincipals {
		if slices.Contains(scoped, a) || slices.Contains(restore, a) {
			patterns = append(patterns, a)
		}
	}
	if len(patterns) == 0 {
		if !hasOther {
			p.change("dropped %s: no principal left", label)
			return nil, nil
		}
		s.Principal = kept
		return []*Statement{s}, nil
	}
	if len(acctValues) == 0 {
		acctValues = []string{p.root()}
	}
	acctValues = uniqKeepOrder(acctValues)
	acct := &Principal{Entries: []PrincipalEntry{{Type: "AWS", Values: Values{List: acctValues, Single: len(acctValues) == 1}}}}
	why := "restricted by aws:PrincipalArn to " + strings.Join(patterns, ", ")
	if !accountWide {
		why += " (allowed principals that could assume through the dropped principals)"
	}
	if !hasOther {
		s.Principal = acct
		if err := addPrincipalArn(s, patterns); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		p.change("%s now trusts %s %s", label, strings.Join(acctValues, ", "), why)
		return []*Statement{s}, nil
	}
	// Other principals stay untouched in the original statement; the
	// account principal moves to a copy so the added condition binds
	// only it.
	split := s.Clone()
	s.Principal = kept
	split.Principal = acct
	base := "GcguardAccountScoped"
	if s.HasSid && s.Sid != "" {
		base = s.Sid + base
	}
	split.Sid, split.HasSid = p.uniqueSid(base), true
	if err := addPrincipalArn(split, patterns); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	p.change("moved %s out of %s into new statement %s, %s", strings.Join(acctValues, ", "), label, split.Sid, why)
	return []*Statement{s, split}, nil
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
