package policy

import (
	"encoding/json"
	"slices"
	"strings"
)

// The access preview (DESIGN §2a): a plan's before and after documents
// evaluated over the same representative requests, derived from both. A
// rewrite may be written only when no request gains access, every request
// configuration allows and the before document allowed is still allowed,
// and no violating request is allowed after.

// Preview is what a rewrite does to access, by caller class.
type Preview struct {
	Loses []string `json:"loses"`
	Keeps []string `json:"keeps"`
	Gains []string `json:"gains"` // must be empty for a rewrite to be written
}

// String is the preview as an administrator reads it first.
func (p Preview) String() string {
	part := func(name string, l []string) string {
		if len(l) == 0 {
			return name + ": nothing"
		}
		return name + ": " + strings.Join(l, ", ")
	}
	s := part("loses", p.Loses) + "; " + part("keeps", p.Keeps)
	if len(p.Gains) > 0 {
		s += "; " + part("gains", p.Gains)
	}
	return s
}

func emptyPreview() Preview {
	return Preview{Loses: []string{}, Keeps: []string{}, Gains: []string{}}
}

// configAllowed reports whether configuration allows the class to keep
// whatever access it had: the allowed principals, trusted accounts, services acting for this account or a named
// source, and the owner's named specific principals and tenants.
func (c *class) configAllowed(opt TrustOptions) bool {
	switch c.kind {
	case kAllowed, kTrusted, kService, kOwnNamed, kTenant, kProvider:
		return true
	}
	return c.allowedByPattern(opt)
}

// allowedByPattern reports whether an allowed principal pattern names the
// class's caller.
func (c *class) allowedByPattern(opt TrustOptions) bool {
	if c.caller.Type == "AWS" {
		for _, p := range opt.AllowedPrincipals {
			if globMatch(p, c.caller.ID, false) {
				return true
			}
		}
	}
	return false
}

// previewTrust compares before and after over the union of their
// requests; problems lists why the rewrite must not be written.
func previewTrust(before, after *Document, opt TrustOptions) (Preview, []string) {
	type agg struct{ lost, kept, gained, violAfter bool }
	var per []agg
	cb, ca := newClassMatcher(before), newClassMatcher(after)
	var buf []piece
	rs := streamRequests(opt, func(req *Request, c *class, ci int) {
		var db, da Decision
		db, buf = cb.eval(req, ci, buf[:0])
		da, buf = ca.eval(req, ci, buf[:0])
		b, a := db == Allowed, da == Allowed
		if ci >= len(per) {
			per = append(per, make([]agg, ci+1-len(per))...)
		}
		g := &per[ci]
		switch {
		case b && !a:
			g.lost = true
		case b && a:
			g.kept = true
		case a:
			g.gained = true
		}
		if a && c.violating() && !c.allowedByPattern(opt) {
			g.violAfter = true
		}
	}, before, after)
	defer rs.release()
	if len(per) < len(rs.classes) {
		per = append(per, make([]agg, len(rs.classes)-len(per))...)
	}
	pv := emptyPreview()
	var problems []string
	var lockedOut []string
	// A named tenant is the owner's only if its claims pinned it: when any
	// tenant of the platform got in before, the "named" one is anyone.
	openPlatform := map[string]bool{}
	for ci, g := range per {
		if c := &rs.classes[ci]; c.kind == kTenantAny && (g.lost || g.kept) {
			openPlatform[c.host] = true
		}
	}
	var stillIn []string
	for ci, g := range per {
		c := &rs.classes[ci]
		switch {
		case g.lost:
			pv.Loses = append(pv.Loses, c.label)
			if c.configAllowed(opt) && !(c.kind == kTenant && openPlatform[c.host]) {
				lockedOut = append(lockedOut, c.label)
			}
		case g.kept:
			pv.Keeps = append(pv.Keeps, c.label)
		}
		if g.gained {
			pv.Gains = append(pv.Gains, c.label)
		}
		if g.violAfter {
			stillIn = append(stillIn, c.label)
		}
	}
	pv.Loses, pv.Keeps, pv.Gains = uniqKeepOrder(pv.Loses), uniqKeepOrder(pv.Keeps), uniqKeepOrder(pv.Gains)
	pv.Keeps = slices.DeleteFunc(pv.Keeps, func(s string) bool { return slices.Contains(pv.Loses, s) })
	if pv.Loses == nil {
		pv.Loses = []string{}
	}
	if pv.Keeps == nil {
		pv.Keeps = []string{}
	}
	if pv.Gains == nil {
		pv.Gains = []string{}
	}
	if len(pv.Gains) > 0 {
		problems = append(problems, "the rewrite would let in "+strings.Join(pv.Gains, ", "))
	}
	if len(lockedOut) > 0 {
		problems = append(problems, "the rewrite would lock out principals configuration allows: "+strings.Join(uniqKeepOrder(lockedOut), ", "))
	}
	if len(stillIn) > 0 {
		problems = append(problems, "the rewrite would still let in "+strings.Join(uniqKeepOrder(stillIn), ", "))
	}
	return pv, problems
}

// keepsOnly is the preview of a plan that changes nothing.
func keepsOnly(j *trustJudgement) Preview {
	pv := emptyPreview()
	seen := make([]bool, len(j.rs.classes))
	for i, ok := range j.allowed {
		if ci := j.rs.reqClass[i]; ok && !seen[ci] {
			seen[ci] = true
			pv.Keeps = append(pv.Keeps, j.rs.classes[ci].label)
		}
	}
	pv.Keeps = uniqKeepOrder(pv.Keeps)
	if pv.Keeps == nil {
		pv.Keeps = []string{}
	}
	return pv
}

// PlanJSON is the "plan" object `gcguard analyze trust|bucket --plan`
// prints: the action, why, the document that would be written (null when
// none) and the access preview.
type PlanJSON struct {
	Action  string          `json:"action"` // "none", "rewrite" or "report"
	Reason  string          `json:"reason"`
	After   json.RawMessage `json:"after"`
	Preview Preview         `json:"preview"`
}

// NewPlanJSON builds the plan object; after is the minified document a
// rewrite would write (ignored unless changed).
func NewPlanJSON(changed, reportOnly bool, reason string, after []byte, pv Preview) PlanJSON {
	p := PlanJSON{Action: "none", Reason: reason, After: json.RawMessage("null"), Preview: pv}
	switch {
	case reportOnly:
		p.Action = "report"
	case changed:
		p.Action = "rewrite"
		p.After = json.RawMessage(after)
	}
	if p.Preview.Loses == nil {
		p.Preview.Loses = []string{}
	}
	if p.Preview.Keeps == nil {
		p.Preview.Keeps = []string{}
	}
	if p.Preview.Gains == nil {
		p.Preview.Gains = []string{}
	}
	return p
}

// JSON is the trust plan as the CLI prints it.
func (p TrustPlan) JSON() PlanJSON {
	return NewPlanJSON(p.Changed, p.ReportOnly, p.Reason, p.Document, p.Preview)
}
