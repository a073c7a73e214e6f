package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// PlanBucketPolicy merges gcguard's fixed-Sid Deny statements into the
// owner's bucket policy and removes public grants per principal (DESIGN §2,
// §2a, §3 "Merge, don't replace"); doc nil means the bucket has no policy.
//
// Every other owner statement is kept, in order, with its unknown members;
// a statement goes only when every principal in it was public, and orphaned
// unique IDs (which S3 rejects) are dropped. Cross-account and
// organization-wide grants are reported, not removed. A log-delivery bucket
// gets no upload Denies (Held says so); its TLS Deny and public removal
// still apply. Every rewrite is proven by an access preview (Preview):
// nothing gains access, nothing allowed and compliant loses it, every
// violation is denied and every principal that could upload still can.
// When only the upload path fails, the upload Denies are held and the rest
// is written; otherwise the plan is ReportOnly with the preview's reason.
// Nothing is rewritten when the analysis is unsure or the merge would
// exceed BucketPolicyMaxBytes. Planning the output again changes nothing.
func PlanBucketPolicy(doc *Document, opt BucketOptions) (BucketPlan, error) {
	plan := BucketPlan{Findings: []finding.Finding{}, Changes: []string{}, Preview: emptyBucketPreview()}
	opt = opt.withDefaults()
	if err := validateBucketOptions(opt); err != nil {
		return plan, fmt.Errorf("plan bucket policy: %w", err)
	}
	a := analyzeBucket(doc, opt)
	plan.Findings = a.report.Findings
	if a.report.Unsure {
		plan.ReportOnly = true
		plan.Reason = "analysis is unsure: " + unsureReasons(a.report.Findings)
		plan.Preview = PreviewBucketChange(doc, doc, opt)
		return plan, nil
	}
	uploads := true
	if a.report.LogDelivery {
		uploads = false
		plan.Held = append(plan.Held, "upload Denies not added: log-delivery bucket ("+logDeliveryWho(a)+"), whose delivery services choose their own encryption headers (ALB/NLB access logs accept only SSE-S3)")
	}
	m, err := mergeBucket(doc, a, opt, uploads)
	if err != nil {
		return plan, err
	}
	if len(m.changes) == 0 {
		// Nothing to write, nothing to prove: a compliant policy (every
		// sweep's common case) is not previewed.
		plan.Findings = append(plan.Findings, m.findings...)
		return plan, nil
	}
	if min := Minify(m.out); len(min) > BucketPolicyMaxBytes {
		// Checked before the preview, whose cost grows with the policy.
		plan.Changes = append(plan.Changes, m.changes...)
		plan.Findings = append(plan.Findings, m.findings...)
		plan.ReportOnly = true
		plan.Reason = fmt.Sprintf("the merged policy would be %d bytes minified, over S3's bucket-policy limit of %d bytes: make room in the owner's statements", len(min), BucketPolicyMaxBytes)
		return plan, nil
	}
	m.preview()
	if uploads && m.check.onlyUploads {
		// The owner's own Denies leave room only for uploads gcguard's
		// upload Denies refuse: keep the upload path, write the rest.
		held := "upload Denies not added: with them " + strings.Join(m.check.problems, "; ")
		if m2, err := mergeBucket(doc, a, opt, false); err == nil && m2.preview() && len(m2.check.problems) == 0 {
			m = m2
			plan.Held = append(plan.Held, held)
		}
	}
	plan.Findings = append(plan.Findings, m.findings...)
	plan.Preview = m.check.preview
	if len(m.changes) == 0 {
		return plan, nil
	}
	plan.Changes = append(plan.Changes, m.changes...)
	min := Minify(m.out)
	if len(m.check.problems) > 0 {
		plan.ReportOnly = true
		plan.Reason = "the access preview forbids this rewrite: " + firstN(m.check.problems, 3) + " (preview " + m.check.preview.String() + ")"
		return plan, nil
	}
	if err := ValidateBucket(min); err != nil {
		plan.ReportOnly = true
		plan.Reason = "the merged policy would be rejected by S3: " + err.Error()
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

func emptyBucketPreview() BucketPreview {
	return BucketPreview{Loses: []string{}, Keeps: []string{}, Gains: []string{}}
}

func firstN(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, "; ")
	}
	return strings.Join(s[:n], "; ") + fmt.Sprintf("; and %d more", len(s)-n)
}

// bucketMerge is one attempt at the merge.
type bucketMerge struct {
	out      *Document
	changes  []string
	findings []finding.Finding
	check    bucketMergeCheck
	preview  func() bool // fills check; reports true
}

// BucketKindReservedSid: an owner statement under one of gcguard's Sids.
const BucketKindReservedSid = "reserved_sid"

// mergeBucket builds the merged document and previews it; uploads says
// whether gcguard's upload Denies belong in it.
func mergeBucket(doc *Document, a *bucketAnalysis, opt BucketOptions, uploads bool) (*bucketMerge, error) {
	m := &bucketMerge{}
	var out *Document
	if doc == nil {
		out = &Document{Version: Version2012, HasVersion: true, Statements: []*Statement{}}
		m.changes = append(m.changes, "the bucket had no policy: created one")
	} else {
		out = doc.Clone()
	}
	var want []*Statement
	for _, g := range GcguardBucketStatements(opt) {
		if uploads || !isUploadDenySid(g.Sid) {
			want = append(want, g)
		}
	}
	wanted := map[string]bool{}
	for _, g := range want {
		wanted[g.Sid] = true
	}
	seen := map[string]bool{}
	kept := make([]*Statement, 0, len(out.Statements)+len(want))
	stripped := make([]*Statement, 0, len(out.Statements))
	ownerOnly := make([]*Statement, 0, len(out.Statements))
	for i, s := range out.Statements {
		if base, ok := gcguardStatementBase(s, opt); ok {
			// gcguard's own statement (one of its versions): the first per
			// slot is kept for the upsert below; duplicates and statements
			// the configuration no longer asks for go.
			switch {
			case !wanted[base]:
				m.changes = append(m.changes, "removed "+s.Sid+", which the configuration no longer asks for")
				continue
			case seen[base]:
				m.changes = append(m.changes, fmt.Sprintf("removed statement %d, a duplicate of %s", i, s.Sid))
				continue
			}
			seen[base] = true
			kept = append(kept, s)
			stripped = append(stripped, s)
			continue
		}
		ownerOnly = append(ownerOnly, s.Clone())
		if a.stmts[i].public > 0 {
			// Public principals first: the analysis indexes the
			// principals as written, orphans included.
			ns, ch := removePublic(i, s, a.stmts[i])
			m.changes = append(m.changes, ch...)
			if ns == nil {
				continue
			}
			s = ns
		}
		s, ch := dropOrphans(i, s)
		m.changes = append(m.changes, ch...)
		if s != nil {
			kept = append(kept, s)
			stripped = append(stripped, s)
		}
	}
	if out.SingleStatement && len(kept) != 1 {
		out.SingleStatement = false
	}
	out.Statements = kept
	for _, g := range want {
		sid, existing := gcguardSlot(out, g.Sid, opt)
		g = g.Clone()
		g.Sid = sid
		switch {
		case existing < 0:
			out.Statements = append(out.Statements, g)
			out.SingleStatement = out.SingleStatement && len(out.Statements) == 1
			m.changes = append(m.changes, "added "+sid)
		case string(out.Statements[existing].appendJSON(nil)) != string(g.appendJSON(nil)):
			out.Statements[existing] = g
			m.changes = append(m.changes, "replaced "+sid+", which differed from gcguard's")
		}
	}
	m.out = out
	before := doc
	strippedDoc := &Document{Version: Version2012, Statements: stripped}
	ownerDoc := &Document{Version: Version2012, Statements: ownerOnly}
	if doc != nil {
		strippedDoc.Version, ownerDoc.Version = doc.Version, doc.Version
	}
	after := out
	if len(m.changes) == 0 {
		after = doc
	}
	keys := map[string]bool{}
	if uploads {
		if k := opt.uploadKey(); k != "" {
			keys[k] = true
			if _, id, ok := strings.Cut(k, ":key/"); ok {
				keys[id] = true
			}
		}
	}
	m.preview = func() bool {
		m.check = checkBucketMerge(before, strippedDoc, ownerDoc, after, opt, func(u upload) bool {
			if !uploads {
				return false
			}
			switch {
			case u.ssec, u.sse == "AES256":
				return true
			case u.sse == "":
				return false
			case u.key == "":
				return true
			}
			return len(keys) > 0 && !keys[u.key]
		})
		return true
	}
	return m, nil
}

// gcguardSlot returns the Sid gcguard's statement for slot base goes under
// and the index of gcguard's statement already there (-1: append). A Sid
// the owner uses is skipped: base, base2, base3, …
func gcguardSlot(d *Document, base string, opt BucketOptions) (string, int) {
	for n := 1; ; n++ {
		sid := base
		if n > 1 {
			sid = base + strconv.Itoa(n)
		}
		i := d.StatementBySid(sid)
		if i < 0 {
			return sid, -1
		}
		if b, ok := gcguardStatementBase(d.Statements[i], opt); ok && b == base {
			return sid, i
		}
	}
}

// gcguardStatementBase reports whether s is one of gcguard's statements,
// and for which slot: its Sid is a slot Sid (base or base+N) and its body
// is exactly gcguard's for this bucket, the other-key Deny with any key.
func gcguardStatementBase(s *Statement, opt BucketOptions) (string, bool) {
	if !s.HasSid || !strings.HasPrefix(s.Sid, gcguardSidPrefix) {
		return "", false
	}
	base := strings.TrimRightFunc(s.Sid, func(r rune) bool { return r >= '0' && r <= '9' })
	if suffix := s.Sid[len(base):]; suffix != "" {
		if n, err := strconv.Atoi(suffix); err != nil || n < 2 || suffix[0] == '0' {
			return "", false // slots are base, base2, base3…
		}
	}
	if !slices.Contains(gcguardBucketSids, base) {
		return "", false
	}
	o := opt
	if base == SidDenyOtherKMSKey {
		// Any key gcguard may have named: the first key-id value.
		if k := otherKeyOf(s); k != "" {
			o.KMSKeyARN, o.BucketKeyARN = k, ""
		}
	}
	for _, g := range GcguardBucketStatements(o) {
		if g.Sid != base {
			continue
		}
		g.Sid = s.Sid
		return base, string(g.appendJSON(nil)) == string(s.appendJSON(nil))
	}
	return "", false
}

// otherKeyOf returns the key ARN a GcguardDenyOtherKMSKey statement names.
func otherKeyOf(s *Statement) string {
	if s.Condition == nil {
		return ""
	}
	for _, b := range s.Condition.Blocks {
		for _, e := range b.Entries {
			if e.Key == condSSEKMSKeyID && b.Operator == "StringNotEquals" && len(e.Values) > 0 {
				return e.Values[0].Text
			}
		}
	}
	return ""
}

// dropOrphans removes orphaned unique IDs (AROA…, AIDA…: what IAM leaves
// when a named principal is deleted) from a statement's Principal: they
// name nobody, and S3 rejects a policy holding them. A statement left with
// no principal goes (it applied to nobody).
func dropOrphans(i int, s *Statement) (*Statement, []string) {
	if s.Principal == nil || s.Principal.Wildcard || !slices.ContainsFunc(s.Principal.Values("AWS"), isUniqueID) {
		return s, nil
	}
	label := fmt.Sprintf("statement %d", i)
	if s.HasSid && s.Sid != "" {
		label += " (" + s.Sid + ")"
	}
	ns := s.Clone()
	np := &Principal{}
	var changes []string
	for _, e := range ns.Principal.Entries {
		if e.Type != "AWS" {
			np.Entries = append(np.Entries, e)
			continue
		}
		ne := PrincipalEntry{Type: e.Type, Values: Values{Single: e.Values.Single}}
		for _, v := range e.Values.List {
			if isUniqueID(v) {
				changes = append(changes, fmt.Sprintf("dropped orphaned unique ID %s from %s: it names a deleted principal, grants nothing, and S3 rejects it", v, label))
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
	ns.Principal = np
	return ns, changes
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
