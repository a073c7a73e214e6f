package notify

import "strings"

// Slack's documented limits. Slack counts characters as JavaScript does
// (UTF-16 code units), so an emoji outside the BMP counts twice; counting
// the same way keeps every cut inside the limit.
const (
	SlackTextMax    = 3000  // a section's text
	SlackFieldMax   = 2000  // one section field
	SlackFields     = 10    // fields per section
	SlackHeaderMax  = 150   // a header block's plain_text
	SlackBlocksMax  = 50    // blocks per message
	SlackContextMax = 10    // elements per context block
	SlackMessageMax = 11000 // all text of one message: Slack answers msg_blocks_too_long near 13k, and JSON escapes add more
	slackFallback   = 300   // the notification fallback "text"
)

// textLen is the length Slack counts.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func runeLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// fit cuts s so that it and marker together stay within max, on a rune
// boundary. s is returned as is when it fits.
func fit(s string, max int, marker string) string {
	if textLen(s) <= max {
		return s
	}
	budget := max - textLen(marker)
	if budget <= 0 {
		return fit(marker, max, "")
	}
	n := 0
	for i, r := range s {
		if n+runeLen(r) > budget {
			return s[:i] + marker
		}
		n += runeLen(r)
	}
	return s
}

// escapeMrkdwn escapes the three characters Slack's mrkdwn gives meaning to,
// so text from a resource name or a policy can never become a link or an
// @channel mention.
func escapeMrkdwn(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// fitEscaped escapes raw for mrkdwn and cuts it, before escaping, so that the
// escaped result plus marker stays within max: an entity such as &amp; is
// never split.
func fitEscaped(raw string, max int, marker string) string {
	esc := escapeMrkdwn(raw)
	if textLen(esc) <= max {
		return esc
	}
	budget := max - textLen(marker)
	var b strings.Builder
	n := 0
	for _, r := range raw {
		piece := string(r)
		switch r {
		case '&':
			piece = "&amp;"
		case '<':
			piece = "&lt;"
		case '>':
			piece = "&gt;"
		}
		if n+textLen(piece) > budget {
			break
		}
		b.WriteString(piece)
		n += textLen(piece)
	}
	return b.String() + marker
}

// codeBlock renders raw as a mrkdwn code block within max, keeping the
// closing fence when the content is cut. Backtick runs inside are broken up
// so they cannot close the block early.
func codeBlock(raw string, max int, marker string) string {
	const fence = "```"
	raw = strings.ReplaceAll(raw, fence, "`\u200b``")
	inner := fitEscaped(raw, max-2*len(fence)-2, marker)
	return fence + "\n" + inner + "\n" + fence
}
