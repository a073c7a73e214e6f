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

	headline string // outcome: kind name
	facts    []fact // what happened
	who      string
	wrong    []string // one explanation per violation code
	findings []string // the rule's detailed judgements
	didIntro string
	actions  []string
	reason   string
	undo     []string // how to undo, in sentences
	revert   string   // the exact command, "" when there is none
	cannot   string   // what cannot be undone
	stack    string   // the CloudFormation note, "" when no stack manages it
}

type fact struct{ label, value string }

func newView(n *Notice, lang string) *view {
	w := wordsFor(lang)
	v := &view{w: w, n: n}
	v.headline = or(w.outcome, n.Outcome) + ": " + v.target()

	v.facts = append(v.facts, fact{w.account, n.Account})
	if n.Region != "" {
		v.facts = append(v.facts, fact{w.region, n.Region})
	}
	if n.EventName != "" {
		v.facts = append(v.facts, fact{w.event, n.EventName})
	} else {
		v.facts = append(v.facts, fact{w.event, w.sweep})
	}
	v.facts = append(v.facts, fact{w.when, When(n.EventTime)})
	v.facts = append(v.facts, fact{w.resource, n.Resource})
	v.facts = append(v.facts, fact{w.outcomeLabel, or(w.outcome, n.Outcome)})
	v.facts = append(v.facts, fact{w.modeLabel, or(w.mode, n.Mode)})
	v.facts = append(v.facts, fact{w.severityLabel, or(w.severity, n.Severity)})

	v.who = v.actor()
	for _, c := range n.Violations {
		v.wrong = append(v.wrong, Explain(c, lang)+" ("+string(c)+")")
	}
	for _, f := range n.Findings {
		v.findings = append(v.findings, v.finding(f))
	}

	v.actions = n.Actions
	if len(v.actions) == 0 && (n.Outcome == finding.Fixed || n.Outcome == finding.WouldFix || n.Outcome == finding.Failed) {
		if a, ok := w.defaultAction[n.Rule]; ok {
			v.actions = []string{a}
		}
	}
	switch n.Outcome {
	case finding.Fixed:
		v.didIntro = w.didFixed
	case finding.WouldFix:
		v.didIntro = w.wouldFix
	case finding.Compliant:
		v.didIntro, v.actions = w.compliantNote, nil
	case finding.Exempted:
		v.didIntro, v.actions = w.exemptedNote, nil
	case finding.Skipped:
		v.didIntro, v.actions = w.skippedNote, nil
	case finding.Failed:
		v.didIntro = w.failedNote
	default:
		v.didIntro = or(w.outcome, n.Outcome)
	}
	v.reason = n.Reason

	v.revert = n.RevertCommand
	v.cannot = n.Irreversible
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
	return v
}

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
		s += " (" + v.w.role + " " + lastSegment(a.ARN) + ")"
	} else if a.ARN != "" && a.ARN != name && a.Kind != cloudtrail.ActorRoot {
		s += " (" + a.ARN + ")"
	}
	if a.Account != "" && a.Account != v.n.Account {
		s += " [" + v.w.account + " " + a.Account + "]"
	}
	return s
}

func (v *view) finding(f finding.Finding) string {
	var b strings.Builder
	if f.Statement >= 0 {
		fmt.Fprintf(&b, "%s %d", v.w.statement, f.Statement)
		if f.Sid != "" {
			fmt.Fprintf(&b, " (%s)", f.Sid)
		}
		if f.Principal != "" {
			fmt.Fprintf(&b, " %s", f.Principal)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Reason)
	if f.Code != "" {
		fmt.Fprintf(&b, " [%s]", f.Code)
	}
	return b.String()
}

// When shows a time in JST first, then UTC, the way Japanese officers read
// it and AWS logs record it.
func When(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(jst).Format("2006-01-02 15:04:05 JST") + " (" + t.UTC().Format("2006-01-02 15:04:05 UTC") + ")"
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
