package guardrail

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
)

// Explainer is implemented by rules that can judge an event from the event
// alone, for `gcguard explain`.
type Explainer interface {
	Explain(ev *cloudtrail.Event, t Target, cfg *config.Config) Explanation
}

// EventStater is implemented by rules whose own Plan can run over the state
// an event implies, so `gcguard explain` takes the rule's one decision path
// rather than a second judgement. live says what the event leaves to live
// state ("" when it says it all); a nil state means the event does not
// imply one, and explain falls back to Explainer.
type EventStater interface {
	EventState(ev *cloudtrail.Event, t Target, cfg *config.Config) (st State, live string, err error)
}

// Explanation is a rule's judgement of one event, without live state.
type Explanation struct {
	Act        bool
	Violations []finding.Code
	Reason     string
}

// ExplainTarget is the target as `gcguard explain` prints it.
type ExplainTarget struct {
	User        string `json:"user,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	Role        string `json:"role,omitempty"`
	Bucket      string `json:"bucket,omitempty"`
}

// Verdict is what `gcguard explain` prints.
type Verdict struct {
	Rule       string         `json:"rule"`
	Act        bool           `json:"act"`
	Violations []finding.Code `json:"violations"`
	Target     ExplainTarget  `json:"target"`
	Reason     string         `json:"reason"`
}

// Planned routes the triggers of DESIGN's rules, so an event for a rule not
// registered in this build is still named, with a reason.
var Planned = map[string]Trigger{
	"accesskey":  {Source: "aws.iam", EventNames: []string{"CreateAccessKey", "UpdateAccessKey"}},
	"iamuser":    {Source: "aws.iam", EventNames: []string{"CreateUser", "CreateLoginProfile"}},
	"roletrust":  {Source: "aws.iam", EventNames: []string{"CreateRole", "UpdateAssumeRolePolicy"}},
	"accountpab": {Source: "aws.s3", EventNames: []string{"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"}},
	"bucket": {Source: "aws.s3", EventNames: []string{
		"CreateBucket", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketPolicy", "DeleteBucketPolicy",
		"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutBucketAcl",
		"PutBucketOwnershipControls", "DeleteBucketOwnershipControls"}},
}

// Explain judges an event as the engine would before reading live state.
func Explain(reg *Registry, ev *cloudtrail.Event, cfg *config.Config) Verdict {
	v := Verdict{Rule: "none", Violations: []finding.Code{}}
	var def *Definition
	for _, d := range reg.All() {
		if d.Spec.Handles(ev) {
			def = &d
			break
		}
	}
	if def == nil {
		for name, t := range Planned {
			if t.Source == ev.Source && slices.Contains(t.EventNames, ev.Detail.EventName) {
				v.Rule = name
				v.Reason = fmt.Sprintf("rule %s is not part of this build yet: nothing would be done", name)
				return v
			}
		}
		v.Reason = fmt.Sprintf("no gcguard rule is triggered by %s %s", ev.Source, ev.Detail.EventName)
		return v
	}
	v.Rule = def.Spec.Name
	switch {
	case cfg.Mode(def.Spec.Name, def.Spec.DefaultMode) == config.Off:
		v.Reason = "rule is off"
		return v
	case ev.Failed():
		v.Reason = fmt.Sprintf("the call failed (%s): nothing changed", ev.Detail.ErrorCode)
		return v
	case ev.ReadOnly():
		v.Reason = "read-only call"
		return v
	case ev.CausedBy(cfg.OwnRoleARNs):
		v.Reason = "caused by gcguard itself (its own role): skipped"
		return v
	}
	rule, err := def.New(Deps{Config: cfg})
	if err != nil {
		v.Reason = "cannot build rule: " + err.Error()
		return v
	}
	t, err := rule.Match(ev)
	v.Target = ExplainTarget{User: t.User, AccessKeyID: t.AccessKeyID, Role: t.Role, Bucket: t.Bucket}
	switch {
	case errors.Is(err, ErrIgnore), errors.Is(err, ErrNeverTouch):
		v.Reason = err.Error()
		return v
	case err != nil:
		v.Reason = "malformed event: " + err.Error()
		return v
	}
	if es, ok := rule.(EventStater); ok {
		if st, live, err := es.EventState(ev, t, cfg); err != nil || st != nil {
			v.Act, v.Violations, v.Reason = explainByPlan(rule, ev, t, st, live, err, cfg)
			if mode := cfg.Mode(def.Spec.Name, def.Spec.DefaultMode); v.Act && mode == config.Notify {
				v.Reason += " (rule is in notify mode: it reports, changes nothing)"
			}
			return v
		}
	}
	ex, ok := rule.(Explainer)
	if !ok {
		v.Act = true
		v.Reason = "the judgement needs live state: gcguard re-reads the resource before deciding"
		return v
	}
	e := ex.Explain(ev, t, cfg)
	v.Act, v.Reason = e.Act, e.Reason
	if e.Violations != nil {
		v.Violations = e.Violations
	}
	if mode := cfg.Mode(def.Spec.Name, def.Spec.DefaultMode); v.Act && mode == config.Notify {
		v.Reason += " (rule is in notify mode: it reports, changes nothing)"
	}
	return v
}

// explainByPlan runs the rule's Plan over the state the event implies and
// words the plan: what it would write, what it reports, or why it is
// compliant.
func explainByPlan(rule Rule, ev *cloudtrail.Event, t Target, st State, live string, stErr error, cfg *config.Config) (bool, []finding.Code, string) {
	suffix := ""
	if live != "" {
		suffix = "; " + live
	}
	if stErr != nil {
		return true, []finding.Code{}, "the event's state cannot be read (" + stErr.Error() + ")" + suffix
	}
	p, err := rule.Plan(PlanInput{Event: ev, Target: t, State: st, Config: cfg, Now: time.Now()})
	if err != nil {
		return true, []finding.Code{}, "the rule cannot plan the state the event implies: " + err.Error() + suffix
	}
	codes := p.Violations
	if codes == nil {
		codes = []finding.Code{}
	}
	found := ""
	if !p.Empty() && len(p.Findings) > 0 {
		var fs []string
		for _, f := range p.Findings {
			fs = append(fs, f.String())
		}
		found = " (found: " + strings.Join(fs, "; ") + ")"
	}
	switch {
	case p.Empty():
		why := "compliant: the rule's plan over the state the event implies finds nothing to change"
		if len(p.Findings) > 0 {
			var notes []string
			for _, f := range p.Findings {
				notes = append(notes, f.Reason)
			}
			why += " (noted, not a violation: " + strings.Join(notes, "; ") + ")"
		}
		return false, codes, why + suffix
	case p.ReportOnly != "":
		return true, codes, "reported, not changed: " + p.ReportOnly + found + suffix
	}
	return true, codes, "gcguard would " + strings.ReplaceAll(strings.Join(p.Actions, "; "), ":;", ":") + found + suffix
}

// KnownRules are the names configuration may use: every rule of the product
// (Planned) and every rule registered here. A function links only its own
// service's rules, yet reads the deployment's whole configuration, which
// names them all.
func KnownRules(reg *Registry) []string {
	names := reg.Names()
	for name := range Planned {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
