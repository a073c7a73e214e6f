package notify

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaskEmail keeps the first character and the domain: t***@lg.id.cloud.go.jp.
// The domain stays because it tells whose directory the user belongs to.
func MaskEmail(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" {
		return s
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

var emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

// maskText masks every e-mail address inside free text.
func maskText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailRe.ReplaceAllStringFunc(s, MaskEmail)
}

// Masked returns a copy of n with e-mail addresses masked in who did it and
// in the free text (reason, actions, before/after, findings). Identifiers an
// officer needs to act on (resource ARN and name, audit id, revert command)
// are left exact. The audit record keeps the unmasked truth.
func Masked(n *Notice) *Notice {
	m := *n
	m.Actor.Email = MaskEmail(m.Actor.Email)
	m.Actor.Name = maskText(m.Actor.Name)
	m.Reason = maskText(m.Reason)
	m.Irreversible = maskText(m.Irreversible)
	m.Before = maskText(m.Before)
	m.After = maskText(m.After)
	if m.Actions != nil {
		m.Actions = slices.Clone(m.Actions)
		for i := range m.Actions {
			m.Actions[i] = maskText(m.Actions[i])
		}
	}
	if m.Findings != nil {
		m.Findings = slices.Clone(m.Findings)
		for i := range m.Findings {
			m.Findings[i].Principal = maskText(m.Findings[i].Principal)
			m.Findings[i].Reason = maskText(m.Findings[i].Reason)
		}
	}
	if m.Preview != nil {
		pv := Preview{}
		for _, l := range []struct {
			dst *[]string
			src []string
		}{{&pv.Loses, m.Preview.Loses}, {&pv.Keeps, m.Preview.Keeps}, {&pv.Gains, m.Preview.Gains}} {
			for _, s := range l.src {
				*l.dst = append(*l.dst, maskText(s))
			}
		}
		m.Preview = &pv
	}
	// Contact is the operator's published contact, never masked.
	return &m
}
