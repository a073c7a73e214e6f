package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// SNS message keys. With MessageStructure=json, SNS hands each subscriber
// the value under its protocol's key, or "default" when there is none:
//
//	email      → "email":   the plain-text notice (e-mail subscriptions)
//	email-json → "default": the plain-text notice, inside SNS's JSON envelope
//	lambda     → "lambda":  the notice as JSON (the Slack notifier reads it)
//	sqs        → "sqs":     the notice as JSON (in SNS's envelope unless raw delivery)
//	https      → "https":   the Chatbot custom notification (Amazon Q Developer
//	                        in chat applications subscribes over HTTPS)
//	http, sms, firehose, … → "default"
const (
	KeyDefault = "default"
	KeyEmail   = "email"
	KeyLambda  = "lambda"
	KeySQS     = "sqs"
	KeyHTTPS   = "https"
)

// MessageMax is what gcguard allows itself of SNS's 256 KiB message limit
// (262,144 bytes of UTF-8, attributes included); the rest is headroom for
// the message attributes and SNS's own envelope fields.
const MessageMax = 250_000

// Message builds the SNS MessageStructure=json body for one notice. With
// mask, e-mail addresses are masked in every key. When the notice is too
// large (a 20 KB bucket policy shown before and after, in four keys), the
// before/after text and then the findings are shortened, with a marker,
// until the message fits: the audit record keeps them in full.
func Message(n *Notice, lang string, mask bool) (string, error) {
	if mask {
		n = Masked(n)
	}
	view := *n
	limit := 0 // 0: no cut
	for range 12 {
		body, err := message(&view, lang)
		if err != nil {
			return "", err
		}
		if len(body) <= MessageMax {
			return body, nil
		}
		size := max(utf8.RuneCountInString(n.Before), utf8.RuneCountInString(n.After), 100*len(n.Findings), 100*len(n.Actions), 100*previewLen(n.Preview))
		if limit == 0 {
			limit = size
		}
		limit /= 2
		view = shortened(n, lang, limit)
	}
	return "", fmt.Errorf("notice %s for %s does not fit in an SNS message", n.AuditID, n.Resource)
}

func shortened(n *Notice, lang string, limit int) Notice {
	m := *n
	marker := wordsFor(lang).truncated
	if n.AuditID != "" {
		marker += " (" + wordsFor(lang).auditID + " " + n.AuditID + ")"
	}
	m.Before = truncateRunes(n.Before, limit, marker)
	m.After = truncateRunes(n.After, limit, marker)
	m.Reason = truncateRunes(n.Reason, max(limit, 500), marker)
	if len(m.Findings) > limit/100 {
		m.Findings = m.Findings[:limit/100]
	}
	m.Irreversible = truncateRunes(n.Irreversible, max(limit, 500), marker)
	m.Actions = nil
	for i, a := range n.Actions {
		if i == max(limit/100, 5) {
			m.Actions = append(m.Actions, marker)
			break
		}
		m.Actions = append(m.Actions, truncateRunes(a, max(limit/10, 300), marker))
	}
	if n.Preview != nil {
		keep := func(l []string) []string { return l[:min(len(l), limit/100)] }
		m.Preview = &Preview{Loses: keep(n.Preview.Loses), Keeps: keep(n.Preview.Keeps), Gains: keep(n.Preview.Gains)}
	}
	return m
}

func message(n *Notice, lang string) (string, error) {
	js, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode notice %s: %w", n.AuditID, err)
	}
	chat, err := ChatbotJSON(n, lang)
	if err != nil {
		return "", err
	}
	text := Text(n, lang)
	body, err := json.Marshal(map[string]string{
		KeyDefault: text,
		KeyEmail:   text,
		KeyLambda:  string(js),
		KeySQS:     string(js),
		KeyHTTPS:   chat,
	})
	if err != nil {
		return "", fmt.Errorf("encode notice %s: %w", n.AuditID, err)
	}
	return string(body), nil
}

// ErrNotNotice marks an SNS message that is not a gcguard notice (an alarm
// forwarded to the same topic, a test message from the console).
var ErrNotNotice = errors.New("not a gcguard notice")

// DecodeNotice reads the notice JSON of the "lambda" or "sqs" key.
func DecodeNotice(s string) (*Notice, error) {
	var n Notice
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotNotice, err)
	}
	if n.Rule == "" || n.Outcome == "" {
		return nil, fmt.Errorf("%w: no rule or outcome", ErrNotNotice)
	}
	return &n, nil
}

func previewLen(p *Preview) int {
	if p == nil {
		return 0
	}
	return max(len(p.Loses), len(p.Keeps), len(p.Gains))
}
