package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

// view is what every channel says about one notice, in one language. The
// renderers differ only in layout and limits, so e-mail, Slack and Chatbot
// never disagree about what happened or how to undo it.
type view struct {
	w *words
	n *Notice

	headline        string // outcome: kind name
	facts           []fact // what happened
	who             string
	wrong           []string // one explanation per violation code
	findings        []string // the rule's detailed judgements
	hDid            string   // the heading of what gcguard did, by outcome and mode
	didIntro        string
	actions         []string
	reason          string
	before          string // before and after, in the notice's language
	after           string
	preview         []fact // loses / keeps / gains, one entry per line
	previewNote     string
	beforeL, afterL string   // labels: before/after a change, or current/planned
	undo            []string // how to undo, in sentences
	revert          string   // the exact command, "" when there is none
	cannot          string   // what cannot be undone
	stack           string   // the CloudFormation note, "" when no stack manages it
	contact         string
}

type fact struct{ label, value string }

func newView(n *Notice, lang string) *view {
	w := wordsFor(lang)
	v := &view{w: w, n: n}
	// say puts rule-produced English text in the notice's language.
	say := func(s string) string {
		if w.lang == Japanese {
			return translateJA(s)
		}
		return s
	}
	v.headline = or(w.outcome, n.Outcome) + w.colon + v.target()

	if n.SystemName != "" {
		v.facts = append(v.facts, fact{w.systemName, n.SystemName})
	}
	if n.Environment != "" {
		v.facts = append(v.facts, fact{w.environment, n.Environment})
	}
	v.facts = append(v.facts, fact{w.account, n.Account})
	if n.Region != "" {
		v.facts = append(v.facts, fact{w.region, n.Region})
	}
	if n.EventName != "" {
		v.facts = append(v.facts, fact{w.event, n.EventName})
	} else {
		v.facts = append(v.facts, fact{w.event, w.sweep})
	}
	v.facts = append(v.facts, fact{w.when, whenIn(n.EventTime, w)})
	v.facts = append(v.facts, fact{w.resource, n.Resource})
	v.facts = append(v.facts, fact{w.outcomeLabel, or(w.outcome, n.Outcome)})
	v.facts = append(v.facts, fact{w.modeLabel, or(w.mode, n.Mode)})
	v.facts = append(v.facts, fact{w.severityLabel, or(w.severity, n.Severity)})

	v.who = v.actor()
	facts := FactsOf(n)
	for _, c := range n.Violations {
		v.wrong = append(v.wrong, ExplainFacts(c, facts, lang)+w.lp+string(c)+w.rp)
	}
	for _, f := range n.Findings {
		v.findings = append(v.findings, v.finding(f))
	}

	for _, a := range n.Actions {
		if w.lang == English {
			a = capFirst(a) // the rules write clauses; a list of changes reads as sentences
		}
		v.actions = append(v.actions, say(a))
	}
	// No action lines means the plan wrote (or would write) nothing: no
	// generic line stands in for them, as it could claim a change that is
	// not planned (a root key, which only the root user can delete).
	v.hDid = w.hNone
	switch n.Outcome {
	case finding.Fixed:
		v.hDid, v.didIntro = w.hDid, w.didFixed
	case finding.WouldFix:
		// Notify mode and a plan gcguard may not apply both end here; only
		// the first may say "notify mode".
		if n.Mode == "notify" {
			v.hDid, v.didIntro = w.hWould, w.wouldFix
		} else {
			v.hDid, v.didIntro = w.hReportOnly, w.reportOnly
		}
	case finding.Compliant:
		v.didIntro, v.actions = w.compliantNote, nil
	case finding.Exempted:
		v.didIntro, v.actions = w.exemptedNote, nil
	case finding.Skipped:
		v.didIntro, v.actions = w.skippedNote, nil
	case finding.Failed:
		v.hDid, v.didIntro = w.hTried, w.failedNote
	default:
		v.didIntro = or(w.outcome, n.Outcome)
	}
	if n.Reason != "" && !(n.Outcome == finding.WouldFix && n.Mode == "notify" && n.Reason == notifyModeReason) {
		v.reason = say(n.Reason)
	}
	v.before, v.after = say(n.Before), say(n.After)
	v.beforeL, v.afterL, v.previewNote = w.before, w.after, w.previewDone
	if n.Outcome != finding.Fixed {
		// Nothing was changed (or the change did not finish): "after" is
		// what the fix would make, not what the resource is.
		v.beforeL, v.afterL, v.previewNote = w.current, w.planned, w.previewPlanned
	}
	// A preview describes a change; only outcomes with one show it.
	if !n.Preview.Empty() && (n.Outcome == finding.Fixed || n.Outcome == finding.WouldFix || n.Outcome == finding.Failed) {
		for _, l := range []struct {
			label string
			items []string
		}{{w.loses, n.Preview.Loses}, {w.keeps, n.Preview.Keeps}, {w.gains, n.Preview.Gains}} {
			for _, it := range l.items {
				v.preview = append(v.preview, fact{l.label, it})
			}
		}
	}

	v.revert = n.RevertCommand
	v.cannot = say(n.Irreversible)
	switch {
	case n.RevertCommand != "":
		v.undo = []string{w.revertHow}
	case n.Outcome == finding.Failed:
		v.undo = []string{w.failedUndo}
	case n.Outcome == finding.Fixed && n.Irreversible == "":
		v.undo = []string{w.noPrior}
	case n.Outcome != finding.Fixed:
		v.undo = []string{w.nothingToUndo}
	}
	if n.Stack != "" {
		v.stack = fmt.Sprintf(w.stackNote, n.Stack)
	}
	v.contact = n.Contact
	return v
}

// notifyModeReason is the engine's reason in notify mode; the heading
// already says it, so it is not repeated.
const notifyModeReason = "rule is in notify mode: nothing is changed"

// target names the resource for people: "IAM role app-deploy".
func (v *view) target() string {
	kind := or(v.w.kind, v.n.Kind)
	name := v.n.Name
	if name == "" {
		name = v.n.Resource
	}
	if kind == "" {
		return name
	}
	return kind + " " + name
}

func (v *view) actor() string {
	a := v.n.Actor
	if a.Kind == "" || (a.Kind == cloudtrail.ActorUnknown && v.n.EventName == "") {
		if v.n.EventName == "" {
			return v.w.unknownActor
		}
		return or(v.w.actor, cloudtrail.ActorUnknown)
	}
	kind := or(v.w.actor, a.Kind)
	name := a.Name
	if a.Email != "" {
		name = a.Email
	}
	s := kind + " " + name
	if a.Kind == cloudtrail.ActorSSOUser && a.ARN != "" {
		s += v.w.lp + v.w.role + " " + lastSegment(a.ARN) + v.w.rp
	} else if a.ARN != "" && a.ARN != name && a.Kind != cloudtrail.ActorRoot {
		s += v.w.lp + a.ARN + v.w.rp
	}
	if a.Account != "" && a.Account != v.n.Account {
		s += v.w.lp + v.w.account + " " + a.Account + v.w.rp
	}
	return s
}

func (v *view) finding(f finding.Finding) string {
	w := v.w
	var b strings.Builder
	if f.Statement >= 0 {
		fmt.Fprintf(&b, "%s %d", w.statement, f.Statement)
		if f.Sid != "" {
			b.WriteString(w.lp + w.sid + w.colon + f.Sid + w.rp)
		}
		if f.Principal != "" {
			if w.lang == Japanese {
				b.WriteString(" " + w.principal)
			}
			b.WriteString(" " + f.Principal)
		}
		b.WriteString(w.colon)
	}
	reason := f.Reason
	if w.lang == Japanese {
		reason = translateJA(f.Reason)
		// A judgement the phrases do not know is said by its code, which
		// the analysis chose, rather than shown in English.
		if strings.HasPrefix(reason, w.raw) {
			if k, ok := jaKinds[f.Code]; ok {
				reason = k + "です。"
			} else if c := finding.Code(f.Code); c.Valid() {
				reason = Explain(c, Japanese)
			}
		}
	}
	b.WriteString(strings.TrimPrefix(reason, " "))
	if f.Code != "" {
		if w.lang == Japanese {
			b.WriteString("［" + f.Code + "］")
		} else {
			fmt.Fprintf(&b, " [%s]", f.Code)
		}
	}
	return b.String()
}

// When shows a time in JST first, then UTC, the way Japanese officers read
// it and AWS logs record it.
func When(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return whenIn(t, en)
}

func whenIn(t time.Time, w *words) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(jst).Format("2006-01-02 15:04:05 JST") + w.lp + t.UTC().Format("2006-01-02 15:04:05 UTC") + w.rp
}

func capFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
