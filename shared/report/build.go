package report

import (
	"sort"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// ExistingKeyReason is what a scan says of an access key that existed
// before gcguard: deleting it is a person's decision, not gcguard's.
const ExistingKeyReason = "an existing access key: a person decides whether to delete it or, " +
	"if the Digital Agency approved it, to record the approval as an exemption (gcguard exempt add)"

// critical codes are the ones that expose the account or its data now.
var critical = map[finding.Code]bool{
	finding.RootAccessKeyCreated: true, finding.BucketPublic: true, finding.BucketACLPublic: true,
}

func severityOf(codes []finding.Code, planCritical bool) Severity {
	if planCritical {
		return Critical
	}
	for _, c := range codes {
		if critical[c] {
			return Critical
		}
	}
	if len(codes) > 0 {
		return High
	}
	return Info
}

// FromSweep builds a scan report from a sweep run. rules names every rule
// the sweep was to assess, so a rule with nothing to list still shows as
// assessed (0) rather than missing.
func FromSweep(account string, rules []string, rep *guardrail.SweepReport, deployed, now time.Time) Model {
	m := Model{Kind: "scan", Account: account, Generated: now, Deployed: deployed, Counts: rep.Counts, Errors: rep.Errors}
	sums := map[string]*RuleSummary{}
	sum := func(rule string) *RuleSummary {
		if s, ok := sums[rule]; ok {
			return s
		}
		s := &RuleSummary{Rule: rule, BySeverity: map[Severity]int{}}
		sums[rule] = s
		return s
	}
	for _, r := range rules {
		sum(r)
	}
	for k, n := range rep.Counts {
		rule, outcome, _ := strings.Cut(k, "/")
		if finding.Outcome(outcome) == finding.Failed {
			sum(rule).NotAssessed += n
		} else {
			sum(rule).Assessed += n
		}
	}
	for rule, why := range rep.Unlisted {
		sum(rule).Unlisted = why
	}
	for _, res := range rep.Results {
		m.Rows = append(m.Rows, scanRow(res))
	}
	for _, s := range sums {
		m.Summary.Rules = append(m.Summary.Rules, *s)
	}
	m.Finish()
	return m
}

func scanRow(res guardrail.Result) Row {
	r := Row{Rule: res.Rule, Resource: res.Target.ARN, Outcome: res.Outcome, Reason: res.Reason,
		Violations: []finding.Code{}, Findings: []finding.Finding{}}
	if r.Reason == guardrail.DryRunReason {
		r.Reason = "" // a scan never changes anything; the findings say why
	}
	if res.Target.AccessKeyID != "" {
		// One user may have two keys: the key is the resource.
		r.Resource += " (" + res.Target.AccessKeyID + ")"
	}
	planCritical := false
	if p := res.Plan; p != nil {
		if p.Violations != nil {
			r.Violations = p.Violations
		}
		if p.Findings != nil {
			r.Findings = p.Findings
		}
		r.Actions, r.Before, r.After, planCritical = p.Actions, p.Before, p.After, p.Critical
		if p.ReportOnly != "" && r.Reason == "" {
			r.Reason = p.ReportOnly
		}
	}
	r.Severity = severityOf(r.Violations, planCritical)
	switch res.Outcome {
	case finding.Failed:
		r.Severity, r.Status = NotAssessed, Unassessed
	case finding.Exempted:
		r.Severity, r.Status = Info, Exempted
	case finding.Skipped, finding.Compliant:
		r.Severity, r.Status = Info, Note
	default:
		r.Status = Violation
		switch {
		case strings.HasPrefix(res.Reason, guardrail.PreexistingReason) && res.Rule == "accesskey":
			r.Status, r.Actions, r.Reason = Existing, nil, ExistingKeyReason
		case strings.HasPrefix(res.Reason, guardrail.PreexistingReason):
			r.Status = Existing
			if res.Plan != nil && res.Plan.ReportOnly != "" {
				r.Reason += "; " + res.Plan.ReportOnly
			}
		case res.Plan != nil && res.Plan.ReportOnly != "":
			r.Status = ReportOnly
		}
	}
	return r
}

// FromRecords builds a history report from audit records.
func FromRecords(account string, recs []*audit.Record, now time.Time) Model {
	m := Model{Kind: "history", Account: account, Generated: now}
	rules := map[string]bool{}
	for _, rec := range recs {
		r := Row{Rule: rec.Rule, Resource: rec.Resource, Outcome: rec.Outcome, Violations: rec.Violations,
			Findings: rec.Findings, Actions: rec.Actions, Before: rec.BeforeText, After: rec.AfterText,
			AuditID: rec.ID, Time: rec.Created, Actor: rec.Actor.Name, Reason: rec.Error}
		if r.Violations == nil {
			r.Violations = []finding.Code{}
		}
		if r.Findings == nil {
			r.Findings = []finding.Finding{}
		}
		if m.Account == "" {
			m.Account = rec.Account
		}
		r.Severity = severityOf(r.Violations, false)
		switch {
		case rec.RevertOf != "":
			r.Status, r.Severity = Revert, Info
			r.Reason = strings.TrimSpace("reverts " + rec.RevertOf + " " + r.Reason)
		case rec.Status == audit.Failed:
			r.Status, r.Severity = Failed, Critical
		case rec.Status == audit.Reverted:
			r.Status = Reverted
		case rec.Status == audit.Reported:
			r.Status = Reported
		default:
			r.Status = Applied
		}
		rules[rec.Rule] = true
		m.Rows = append(m.Rows, r)
	}
	names := make([]string, 0, len(rules))
	for r := range rules {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, n := range names {
		m.Summary.Rules = append(m.Summary.Rules, RuleSummary{Rule: n})
	}
	m.Finish()
	for i := range m.Summary.Rules {
		for _, r := range m.Rows {
			if r.Rule == m.Summary.Rules[i].Rule {
				m.Summary.Rules[i].Assessed++
			}
		}
	}
	return m
}
