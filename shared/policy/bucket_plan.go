package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// PlanBucketPolicy merges gcguard's fixed-Sid Deny statements into the
// owner's bucket policy and removes public grants per principal (DESIGN §2,
// §3 "Merge, don't replace"); doc nil means the bucket has no policy.
//
// Every other owner statement is kept, in order, with its unknown members;
// a statement goes only when every principal in it was public. Cross-account
// and organization-wide grants are reported, not removed. Nothing is
// rewritten when the analysis is unsure or the bucket is a log-delivery
// bucket (ReportOnly with Reason), or when the merged policy would exceed
// BucketPolicyMaxBytes (ReportOnly; Changes then lists what the merge would
// have done). Planning the output again changes nothing.
func PlanBucketPolicy(doc *Document, opt BucketOptions) (BucketPlan, error) {
	plan := BucketPlan{Findings: []finding.Finding{}, Changes: []string{}}
	opt = opt.withDefaults()
	if err := validateBucketOptions(opt); err != nil {
		return plan, fmt.Errorf("plan bucket policy: %w", err)
	}
	a := analyzeBucket(doc, opt)
	plan.Findings = a.report.Findings
	switch {
	case a.report.LogDelivery:
		plan.ReportOnly = true
		plan.Reason = "log-delivery bucket (" + logDeliveryWho(a) + "): reported only, since delivery services need their own encryption and policy (ALB/NLB access logs accept only SSE-S3)"
		return plan, nil
	case a.report.Unsure:
		plan.ReportOnly = true
		plan.Reason = "analysis is unsure: " + unsureReasons(a.report.Findings)
		return plan, nil
	}

	var out *Document
	if doc == nil {
		out = &Document{Version: Version2012, HasVersion: true, Statements: []*Statement{}}
		plan.Changes = append(plan.Changes, "the bucket had no policy: created one")
	} else {
		out = doc.Clone()
	}
	var changes []string
	want := GcguardBucketStatements(opt)
	wanted := map[string]bool{}
	for _, g := range want {
		wanted[g.Sid] = true
	}
	seen := map[string]bool{}
	kept := make([]*Statement, 0, len(out.Statements)+len(want))
	for i, s := range out.Statements {
		// gcguard owns its Sids: the first statement under a configured
		// one is replaced below; duplicates and statements for settings
		// no longer configured (the other-key Deny without a key) go.
		if s.HasSid && slices.Contains(gcguardBucketSids, s.Sid) {
			switch {
			case !wanted[s.Sid]:
				changes = append(changes, "removed "+s.Sid+", which the configuration no longer asks for")
				continue
			case seen[s.Sid]:
				changes = append(changes, fmt.Sprintf("removed statement %d, a duplicate of %s", i, s.Sid))
				continue
			}
			seen[s.Sid] = true
			kept = append(kept, s)
			continue
		}
		if a.stmts[i].public == 0 {
			kept = append(kept, s)
			continue
		}
		if ns, ch := removePublic(i, s, a.stmts[i]); ns != nil {
			kept = append(kept, ns)
			changes = append(changes, ch...)
		} else {
			changes = append(changes, ch...)
		}
	}
	if out.SingleStatement && len(kept) != 1 {
		out.SingleStatement = false
	}
	out.Statements = kept
	for _, g := range want {
		existed := out.StatementBySid(g.Sid) >= 0
		ch, err := out.UpsertStatement(g)
		if err != nil {
			return plan, fmt.Errorf("plan bucket policy: %w", err)
		}
		switch {
		case ch && existed:
			changes = append(changes, "replaced "+g.Sid+", which differed from gcguard's")
		case ch:
			changes = append(changes, "added "+g.Sid)
		}
	}
	plan.Changes = append(plan.Changes, changes...)
	if len(changes) == 0 {
		plan.Changes = []string{}
		return plan, nil
	}
	min := Minify(out)
	if len(min) > BucketPolicyMaxBytes {
		plan.ReportOnly = true
		plan.Reason = fmt.Sprintf("the merged policy would be %d bytes minified, over S3's bucket-policy limit of %d bytes: make room in the owner's statements", len(min), BucketPolicyMaxBytes)
		return plan, nil
	}
	rd, err := Parse(min)
	if err != nil {
		return plan, fmt.Errorf("plan bucket policy: merged policy does not parse: %w", err)
	}
	if rr := AnalyzeBucket(rd, opt); rr.Public || rr.Unsure || !rr.DeniesInsecureTransport {
		return plan, errors.New("plan bucket policy: merged policy still does not analyze clean: " + findingsText(rr.Findings))
	}
	plan.Changed = true
	plan.Document = min
	return plan, nil
}

// removePublic returns statement i without its public principals (nil when
// none is left) and the changes made.
func removePublic(i int, s *Statement, sj bucketStmt) (*Statement, []string) {
	label := fmt.Sprintf("statement %d", i)
	if s.HasSid && s.Sid != "" {
		label += " (" + s.Sid + ")"
	}
	if sj.notPrinc || s.Principal.Wildcard {
		who := "*"
		if sj.notPrinc {
			who = sj.principals[0].value
		}
		return nil, []string{fmt.Sprintf("removed public principal %s from %s", who, label),
			fmt.Sprintf("dropped %s: no principal left", label)}
	}
	var changes []string
	np := &Principal{}
	k := 0
	for _, e := range s.Principal.Entries {
		ne := PrincipalEntry{Type: e.Type, Values: Values{Single: e.Values.Single}}
		for _, v := range e.Values.List {
			j := sj.principals[k]
			k++
			if j.public && j.unsure == "" {
				changes = append(changes, fmt.Sprintf("removed public principal %s from %s", principalLabel(e.Type, v), label))
				continue
			}
			ne.Values.List = append(ne.Values.List, v)
		}
		if len(ne.Values.List) > 0 {
			np.Entries = append(np.Entries, ne)
		}
	}
	if len(np.Entries) == 0 {
		return nil, append(changes, fmt.Sprintf("dropped %s: no principal left", label))
	}
	s.Principal = np
	return s, changes
}

func principalLabel(typ, v string) string {
	if typ == "AWS" {
		return v
	}
	return typ + ":" + v
}

func logDeliveryWho(a *bucketAnalysis) string {
	var who []string
	for _, sj := range a.stmts {
		for _, p := range sj.principals {
			if p.logDelivery {
				who = append(who, p.value)
			}
		}
	}
	return strings.Join(uniqKeepOrder(who), ", ")
}

func findingsText(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return strings.Join(out, "; ")
}
