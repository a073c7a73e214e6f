package notify

import (
	"strings"
	"unicode/utf8"
)

// SubjectMax is SNS's limit for an e-mail subject: UTF-8, no line breaks,
// fewer than 100 characters.
const SubjectMax = 99

// Subject is the e-mail subject line: severity, outcome and the resource, so
// the inbox alone tells what needs attention.
func Subject(n *Notice, lang string) string {
	v := newView(n, lang)
	prefix := strings.TrimSpace(v.w.subject)
	if n.Severity == Critical {
		prefix += "[" + or(v.w.severity, Critical) + "]"
	}
	s := prefix + " " + v.headline
	if v.w.lang == Japanese {
		s = prefix + v.headline
	}
	if n.Account != "" {
		s += " / " + n.Account
	}
	return truncateRunes(oneLine(s), SubjectMax, "…")
}

// Text is the plain-text e-mail body: sections a municipal IT officer reads
// top to bottom (what happened, who, what is wrong, what gcguard did, the
// access it changes, how to undo, the CloudFormation stack, whom to ask).
func Text(n *Notice, lang string) string {
	v := newView(n, lang)
	w := v.w
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	section := func(title string) { line(""); line("■ " + title) }
	bullet := func(s string) { line("  - " + indent(s, "    ")) }
	label := func(s string) string { return strings.TrimRight(s+w.colon, " ") }

	line(v.headline)
	if n.Severity == Critical {
		line("*** " + w.severityLabel + w.colon + or(w.severity, Critical) + " ***")
	}

	section(w.hWhat)
	width := 0
	for _, f := range v.facts {
		width = max(width, displayWidth(f.label))
	}
	width = max(width, displayWidth(w.eventID))
	sep := " : "
	if w.lang == Japanese {
		sep = "："
	}
	for _, f := range v.facts {
		line("  " + pad(f.label, width) + sep + indent(f.value, "    "))
	}
	if n.EventID != "" {
		line("  " + pad(w.eventID, width) + sep + n.EventID)
	}

	section(w.hWho)
	line("  " + v.who)

	section(w.hWrong)
	if len(v.wrong) == 0 {
		line("  " + w.noViolations)
	}
	for _, s := range v.wrong {
		bullet(s)
	}
	if len(v.findings) > 0 {
		line("  " + label(w.details))
		for _, s := range v.findings {
			line("    * " + indent(s, "      "))
		}
	}

	section(v.hDid)
	line("  " + v.didIntro)
	for _, a := range v.actions {
		bullet(a)
	}
	if v.reason != "" {
		line("  " + w.reason + w.colon + indent(v.reason, "    "))
	}
	if v.before != "" || v.after != "" {
		line("  " + label(v.beforeL))
		line(block(orDash(v.before), "    "))
		line("  " + label(v.afterL))
		line(block(orDash(v.after), "    "))
	}

	if len(v.preview) > 0 {
		section(w.hPreview)
		line("  " + v.previewNote)
		last := ""
		for _, p := range v.preview {
			if p.label != last {
				line("  " + label(p.label))
				last = p.label
			}
			line("    - " + p.value)
		}
	}

	section(w.hUndo)
	if n.AuditID != "" {
		line("  " + w.auditID + w.colon + n.AuditID)
	}
	for _, s := range v.undo {
		line("  " + s)
	}
	if v.revert != "" {
		line("    " + v.revert)
		line("  " + w.revertHold)
	}
	if v.cannot != "" {
		line("  " + w.cannotUndo + w.colon + indent(v.cannot, "    "))
	}

	if v.stack != "" {
		section(w.hStack)
		line("  " + v.stack)
	}
	if v.contact != "" {
		section(w.hContact)
		line("  " + indent(v.contact, "  "))
	}
	line("")
	line("-- ")
	line(w.footer)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// block indents every line of s.
func block(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// indent keeps continuation lines of a multi-line value under its first line.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
}

// pad right-pads a label to a display width, counting East Asian wide
// characters as two columns so the colons line up in a fixed-width font.
func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-displayWidth(s)))
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6)) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// truncateRunes cuts s to at most n runes, marker included, on a rune
// boundary.
func truncateRunes(s string, n int, marker string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := max(0, n-utf8.RuneCountInString(marker))
	count := 0
	for i := range s {
		if count == keep {
			return s[:i] + marker
		}
		count++
	}
	return s
}
