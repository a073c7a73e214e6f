package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Subject is the e-mail subject line (SNS allows at most 100 characters).
func Subject(n *Notice, lang string) string {
	var s string
	if lang == "en" {
		s = fmt.Sprintf("[gcguard][%s] %s %s: %s", n.Severity, n.Outcome, n.Rule, n.Name)
	} else {
		s = fmt.Sprintf("[gcguard][%s] %s %s: %s", n.Severity, n.Outcome, n.Rule, n.Name)
	}
	return truncate(strings.ReplaceAll(s, "\n", " "), 100)
}

// Message builds the SNS MessageStructure=json body: "default" and "email"
// carry the text, "lambda" and "sqs" the notice as JSON for the notifier
// and for machines.
func Message(n *Notice, lang string, mask bool) (string, error) {
	view := *n
	if mask {
		view.Actor.Email = MaskEmail(view.Actor.Email)
		if view.Actor.Kind == "sso_user" {
			view.Actor.Name = MaskEmail(view.Actor.Name)
		}
	}
	text := Text(&view, lang)
	js, err := json.Marshal(view)
	if err != nil {
		return "", fmt.Errorf("encode notice %s: %w", n.AuditID, err)
	}
	body, err := json.Marshal(map[string]string{
		"default": text,
		"email":   text,
		"lambda":  string(js),
		"sqs":     string(js),
	})
	if err != nil {
		return "", fmt.Errorf("encode notice %s: %w", n.AuditID, err)
	}
	return string(body), nil
}

// Text is the plain-text rendering for e-mail.
func Text(n *Notice, lang string) string {
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, value)
		}
	}
	l := labelsEN
	if lang != "en" {
		l = labelsJA
	}
	line(l.what, fmt.Sprintf("%s (%s)", n.Outcome, n.Rule))
	line(l.account, n.Account+" / "+n.Region)
	if !n.EventTime.IsZero() {
		line(l.when, n.EventTime.In(jst).Format("2006-01-02 15:04:05 JST")+" ("+n.EventTime.UTC().Format("2006-01-02 15:04:05 UTC")+")")
	}
	line(l.event, n.EventName)
	line(l.who, n.Actor.Name)
	line(l.resource, n.Resource)
	for _, v := range n.Violations {
		line(l.violation, string(v))
	}
	for _, a := range n.Actions {
		line(l.action, a)
	}
	line(l.before, n.Before)
	line(l.after, n.After)
	line(l.reason, n.Reason)
	line(l.irreversible, n.Irreversible)
	line(l.audit, n.AuditID)
	line(l.revert, n.RevertCommand)
	line(l.stack, n.Stack)
	return b.String()
}

type labels struct {
	what, account, when, event, who, resource, violation, action, before, after, reason, irreversible, audit, revert, stack string
}

var labelsEN = labels{"What", "Account/Region", "When", "Event", "Who", "Resource", "Violation", "Action", "Before", "After", "Reason", "Cannot be undone", "Audit ID", "Revert", "Managed by stack"}

var labelsJA = labels{"結果", "アカウント/リージョン", "日時", "イベント", "実行者", "リソース", "違反", "対処", "変更前", "変更後", "理由", "元に戻せないもの", "監査ID", "元に戻す方法", "管理スタック"}

// MaskEmail keeps the first character and the domain: a***@example.jp.
func MaskEmail(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(local)
	_ = size
	return string(r) + "***@" + domain
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
