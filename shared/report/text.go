package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RenderText writes the report for a terminal. width > 0 (a terminal's
// columns) keeps every line within it: prose is wrapped under its label,
// anything else is cut with "…". width 0 (piped) keeps lines whole, so
// grep and scripts see every ARN and reason in full.
func RenderText(w io.Writer, m Model, width int) error {
	p := &printer{w: w, width: width}
	if m.Kind == "history" {
		p.line(fmt.Sprintf("gcguard audit records of account %s", m.Account))
	} else {
		p.line(fmt.Sprintf("gcguard assessment of account %s (nothing was changed)", m.Account))
		if m.Deployed.IsZero() {
			p.wrap("", "before deployment: existing access keys are reported for a person to decide on; the keys, roles and topic gcguard creates at deployment are not reported as missing.")
		}
		p.line(fmt.Sprintf("verdict: %s (exit %d)", verdictText(m.Summary.Verdict), m.Summary.ExitStatus))
	}
	p.line("")
	if m.Kind == "scan" {
		p.line(fmt.Sprintf("%-11s %8s %12s %8s %5s %5s  %s", "RULE", "ASSESSED", "NOT ASSESSED", "CRITICAL", "HIGH", "INFO", "REMARKS"))
		for _, s := range m.Summary.Rules {
			rem := ""
			if s.Unlisted != "" {
				rem = "listing did not finish: " + s.Unlisted
			}
			p.line(fmt.Sprintf("%-11s %8d %12d %8d %5d %5d  %s", s.Rule, s.Assessed, s.NotAssessed,
				s.BySeverity[Critical], s.BySeverity[High], s.BySeverity[Info], rem))
		}
		p.line("")
	}
	if len(m.Rows) == 0 {
		if m.Summary.Verdict == Clean {
			p.line("every resource is compliant.")
		} else {
			p.line("(nothing to list)")
		}
	}
	for _, r := range m.Rows {
		head := fmt.Sprintf("%-12s %-10s %s", strings.ToUpper(string(r.Severity)), r.Rule, r.Resource)
		if r.AuditID != "" {
			head = fmt.Sprintf("%-12s %-10s %s  %s  %s", strings.ToUpper(string(r.Severity)), r.Rule, r.AuditID, r.Time.UTC().Format("2006-01-02 15:04:05Z"), r.Resource)
		}
		p.line(head)
		const ind = "             "
		if len(r.Violations) > 0 {
			p.wrap(ind+"codes: ", codes(r.Violations))
		}
		p.wrap(ind+"status: ", string(r.Status))
		why := r.Reason
		if why == "" {
			var fs []string
			for _, f := range r.Findings {
				fs = append(fs, f.Reason)
			}
			why = strings.Join(fs, "; ")
		}
		if why != "" {
			p.wrap(ind+"why: ", why)
		}
		for _, a := range r.Actions {
			p.wrap(ind+"do: ", a)
		}
	}
	for _, e := range m.Errors {
		p.wrap("error: ", e)
	}
	return p.err
}

func verdictText(v Verdict) string {
	switch v {
	case Clean:
		return "clean: no violation, every resource assessed"
	case ViolationsFound:
		return "violations found"
	}
	return "could not assess everything: NOT a clean result"
}

type printer struct {
	w     io.Writer
	width int
	err   error
}

// line writes one line, cut with "…" when it is wider than the terminal.
func (p *printer) line(s string) {
	if p.width > 0 && Width(s) > p.width {
		s = Truncate(s, p.width)
	}
	if p.err == nil {
		_, p.err = io.WriteString(p.w, s+"\n")
	}
}

// wrap writes label+text, wrapping the text at spaces under the label.
func (p *printer) wrap(label, text string) {
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			label = strings.Repeat(" ", Width(label))
		}
		if p.width <= 0 || Width(label)+Width(para) <= p.width {
			p.line(label + para)
			continue
		}
		avail := p.width - Width(label)
		if avail < 20 {
			p.line(label + para)
			continue
		}
		cur := ""
		for _, word := range strings.Fields(para) {
			if cur != "" && Width(cur)+1+Width(word) > avail {
				p.line(label + cur)
				label = strings.Repeat(" ", Width(label))
				cur = word
				continue
			}
			if cur != "" {
				cur += " "
			}
			cur += word
		}
		p.line(label + cur)
	}
}

// Width is how many terminal columns s takes: East Asian wide characters
// take two.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
		return 2
	}
	return 1
}

// Truncate cuts s to at most width columns, ending in "…".
func Truncate(s string, width int) string {
	if Width(s) <= width {
		return s
	}
	var b strings.Builder
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if n+runeWidth(r) > width-1 {
			break
		}
		b.WriteRune(r)
		n += runeWidth(r)
		s = s[size:]
	}
	return b.String() + "…"
}
