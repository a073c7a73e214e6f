package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
)

// SlackMessage is the body posted to a Slack incoming webhook.
type SlackMessage struct {
	// Text is the fallback shown in notifications and by clients that do
	// not render blocks.
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is one Block Kit layout block (header, section, context, divider).
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Fields   []SlackText `json:"fields,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	Type  string `json:"type"` // plain_text | mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// JSON encodes the message without HTML escaping (Slack wants & < > as
// written, already escaped as mrkdwn entities where they are text).
func (m SlackMessage) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode Slack message: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// TextLen is the number of characters Slack counts over all text objects.
func (m SlackMessage) TextLen() int {
	n := 0
	for _, b := range m.Blocks {
		if b.Text != nil {
			n += textLen(b.Text.Text)
		}
		for _, f := range b.Fields {
			n += textLen(f.Text)
		}
		for _, e := range b.Elements {
			n += textLen(e.Text)
		}
	}
	return n
}

func header(s string) SlackBlock {
	return SlackBlock{Type: "header", Text: &SlackText{Type: "plain_text", Text: fit(oneLine(s), SlackHeaderMax, "…"), Emoji: true}}
}

func section(mrkdwn string) SlackBlock {
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: mrkdwn}}
}

func contextBlock(items ...string) SlackBlock {
	b := SlackBlock{Type: "context"}
	for _, s := range items {
		if len(b.Elements) == SlackContextMax {
			break
		}
		b.Elements = append(b.Elements, SlackText{Type: "mrkdwn", Text: fitEscaped(s, SlackFieldMax, "…")})
	}
	return b
}

func emojiFor(n *Notice) string {
	switch {
	case n.Severity == Critical:
		return ":rotating_light:"
	case n.Outcome == finding.Fixed:
		return ":white_check_mark:"
	case n.Outcome == finding.WouldFix:
		return ":warning:"
	case n.Outcome == finding.Failed:
		return ":x:"
	}
	return ":information_source:"
}

// part is a block whose text may be shortened to make the message fit.
type part struct {
	title string // bold heading, mrkdwn-escaped by the renderer
	body  string // raw text
	code  bool   // render body as a code block
	min   int    // never shorten below this many characters
}

// Slack renders one notice as Block Kit within every Slack limit: each text
// at most 3,000 characters, headers 150, at most 50 blocks and 11,000
// characters in all. Long parts (before/after, findings) are cut first,
// with a marker, never inside a character or an escape entity.
func Slack(n *Notice, lang string) SlackMessage {
	n = sanitized(n)
	v := newView(n, lang)
	w := v.w

	title := emojiFor(n) + " gcguard: " + v.headline
	blocks := []SlackBlock{header(title)}

	fields := make([]SlackText, 0, SlackFields)
	for _, f := range v.facts {
		if f.label == w.resource || len(fields) == SlackFields {
			continue
		}
		fields = append(fields, SlackText{Type: "mrkdwn", Text: "*" + escapeMrkdwn(f.label) + "*\n" + fitEscaped(f.value, SlackFieldMax-textLen(f.label)-4, w.truncated)})
	}
	blocks = append(blocks, SlackBlock{Type: "section", Fields: fields})

	var parts []part
	parts = append(parts, part{title: w.resource, body: "`" + n.Resource + "`\n" + v.target(), min: 200})
	parts = append(parts, part{title: w.hWho, body: v.who, min: 200})
	wrong := w.noViolations
	if len(v.wrong) > 0 {
		wrong = "• " + strings.Join(v.wrong, "\n• ")
	}
	parts = append(parts, part{title: w.hWrong, body: wrong, min: 300})
	if len(v.findings) > 0 {
		parts = append(parts, part{title: w.details, body: "• " + strings.Join(v.findings, "\n• "), min: 100})
	}
	did := v.didIntro
	if len(v.actions) > 0 {
		did += "\n• " + strings.Join(v.actions, "\n• ")
	}
	if v.reason != "" {
		did += "\n" + w.reason + w.colon + v.reason
	}
	parts = append(parts, part{title: v.hDid, body: did, min: 300})
	if v.before != "" || v.after != "" {
		parts = append(parts, part{title: v.beforeL, body: orDash(v.before), code: true, min: 100})
		parts = append(parts, part{title: v.afterL, body: orDash(v.after), code: true, min: 100})
	}
	if len(v.preview) > 0 {
		parts = append(parts, part{title: w.hPreview, body: previewText(v), min: 200})
	}
	undo := strings.Join(v.undo, "\n")
	if v.revert != "" {
		undo += "\n`" + v.revert + "`\n" + w.revertHold
	}
	if v.cannot != "" {
		undo += "\n*" + w.cannotUndo + "*" + w.colon + v.cannot
	}
	if n.AuditID != "" {
		undo = w.auditID + w.colon + "`" + n.AuditID + "`\n" + strings.TrimPrefix(undo, "\n")
	}
	parts = append(parts, part{title: w.hUndo, body: strings.TrimSpace(undo), min: 400})
	if v.stack != "" {
		parts = append(parts, part{title: w.hStack, body: v.stack, min: 200})
	}
	if v.contact != "" {
		parts = append(parts, part{title: w.hContact, body: v.contact, min: 200})
	}

	foot := contextBlock(w.footer, w.eventID+w.colon+orDash(n.EventID), w.auditID+w.colon+orDash(n.AuditID))
	fixed := SlackMessage{Blocks: append(blocks, foot)}.TextLen()
	blocks = append(blocks, fitParts(parts, SlackMessageMax-fixed, w.truncated)...)
	blocks = append(blocks, foot)
	return SlackMessage{Text: fitEscaped(Subject(n, lang), slackFallback, "…"), Blocks: capBlocks(blocks, w.truncated)}
}

// previewText lists the access preview, one principal per line under its label.
func previewText(v *view) string {
	var b strings.Builder
	b.WriteString(v.previewNote + "\n")
	last := ""
	for _, p := range v.preview {
		if p.label != last {
			b.WriteString(p.label + v.w.colon + "\n")
			last = p.label
		}
		b.WriteString("• " + p.value + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// fitParts renders parts as sections whose text adds up to at most budget.
// When they do not fit, the longest parts are cut first, never below their
// minimum, so short essentials (who, what, how to undo) survive intact.
func fitParts(parts []part, budget int, marker string) []SlackBlock {
	render := func(p part, max int) string {
		head := "*" + escapeMrkdwn(p.title) + "*\n"
		room := max - textLen(head)
		if p.code {
			return head + codeBlock(p.body, room, marker)
		}
		return head + fitEscaped(p.body, room, marker)
	}
	caps := make([]int, len(parts))
	sizes := make([]int, len(parts))
	total := 0
	for i, p := range parts {
		caps[i] = SlackTextMax
		sizes[i] = textLen(render(p, SlackTextMax))
		total += sizes[i]
	}
	// Shave the largest part down until the whole fits or nothing can give.
	for total > budget {
		big := -1
		for i := range parts {
			if sizes[i] > parts[i].min && (big < 0 || sizes[i] > sizes[big]) {
				big = i
			}
		}
		if big < 0 {
			break
		}
		cut := min(total-budget, sizes[big]-parts[big].min)
		caps[big] = sizes[big] - cut
		newSize := textLen(render(parts[big], caps[big]))
		total += newSize - sizes[big]
		if newSize >= sizes[big] { // cannot shrink further (marker overhead)
			parts[big].min = sizes[big]
		}
		sizes[big] = newSize
	}
	out := make([]SlackBlock, 0, len(parts))
	for i, p := range parts {
		out = append(out, section(render(p, caps[i])))
	}
	return out
}

// capBlocks keeps at most SlackBlocksMax blocks, the last one saying that
// some were left out.
func capBlocks(blocks []SlackBlock, marker string) []SlackBlock {
	if len(blocks) <= SlackBlocksMax {
		return blocks
	}
	out := append([]SlackBlock(nil), blocks[:SlackBlocksMax-1]...)
	return append(out, contextBlock(fmt.Sprintf("%s (+%d)", marker, len(blocks)-(SlackBlocksMax-1))))
}

// sanitized replaces invalid UTF-8 in every free-text field, so a cut can
// never produce an invalid string.
func sanitized(n *Notice) *Notice {
	m := *n
	for _, p := range []*string{&m.Name, &m.Resource, &m.Reason, &m.Before, &m.After, &m.Irreversible, &m.Stack, &m.Actor.Name, &m.Actor.Email, &m.EventName,
		&m.SystemName, &m.Environment, &m.Contact} {
		*p = strings.ToValidUTF8(*p, "\uFFFD")
	}
	m.Actions = append([]string(nil), n.Actions...)
	for i := range m.Actions {
		m.Actions[i] = strings.ToValidUTF8(m.Actions[i], "\uFFFD")
	}
	m.Findings = append([]finding.Finding(nil), n.Findings...)
	for i := range m.Findings {
		m.Findings[i].Reason = strings.ToValidUTF8(m.Findings[i].Reason, "\uFFFD")
		m.Findings[i].Principal = strings.ToValidUTF8(m.Findings[i].Principal, "\uFFFD")
	}
	return &m
}

// SlackDigest renders due digests as one message within Slack's limits.
// Each group says what the notices were (rule, outcome, violations, who)
// and lists the resources with their audit ids.
func SlackDigest(groups []*Group, lang string) SlackMessage {
	w := wordsFor(lang)
	total := 0
	for _, g := range groups {
		total += g.Count
	}
	head := ":package: " + fmt.Sprintf(w.digestHead, total)
	blocks := []SlackBlock{header(head)}
	foot := contextBlock(w.digestWhere, w.footer)
	budget := SlackMessageMax - SlackMessage{Blocks: []SlackBlock{blocks[0], foot}}.TextLen()
	for i, g := range groups {
		// Two blocks per group, the footer, and one for "and N more groups".
		if len(blocks)+2 > SlackBlocksMax-2 || budget < 600 {
			rest := 0
			for _, r := range groups[i:] {
				rest += r.Count
			}
			blocks = append(blocks, contextBlock(fmt.Sprintf(w.digestMore, rest)))
			break
		}
		s := sanitized(&g.Sample)
		v := newView(s, lang)
		end := g.Opened.Add(g.Period)
		summary := fmt.Sprintf(w.digestWindow, g.Opened.In(jst).Format("15:04"), end.In(jst).Format("15:04 JST"), int(g.Period/time.Minute), g.Count)
		summary += "\n*" + or(w.rule, s.Rule) + "* — " + or(w.outcome, s.Outcome) + "\n" + w.hWho + w.colon + v.who
		if len(s.Violations) > 0 {
			codes := make([]string, len(s.Violations))
			for i, c := range s.Violations {
				codes[i] = string(c)
			}
			summary += "\n" + w.hWrong + w.colon + strings.Join(codes, w.listSep)
		}
		if g.Capped {
			summary += "\n" + w.digestCapped
		}
		first := section(fitEscaped(summary, min(SlackTextMax, budget/2), w.truncated))
		budget -= textLen(first.Text.Text)

		var list strings.Builder
		room := min(SlackTextMax, budget)
		shown := 0
		for _, it := range g.Items {
			line := "• " + or(w.kind, it.Kind) + " " + orDash(it.Name) + " `" + it.Resource + "`"
			if it.Region != "" {
				line += " " + it.Region
			}
			if it.AuditID != "" {
				line += " " + w.auditID + " `" + it.AuditID + "`"
			}
			line = escapeMrkdwn(strings.ToValidUTF8(line, "\uFFFD")) + "\n"
			if textLen(list.String())+textLen(line)+30 > room {
				break
			}
			list.WriteString(line)
			shown++
		}
		if shown < g.Count {
			list.WriteString(fmt.Sprintf(w.digestMore, g.Count-shown))
		}
		second := section(fit(strings.TrimRight(list.String(), "\n"), room, w.truncated))
		budget -= textLen(second.Text.Text)
		blocks = append(blocks, first, second)
	}
	blocks = append(blocks, foot)
	return SlackMessage{Text: escapeMrkdwn(fmt.Sprintf(w.digestHead, total)), Blocks: capBlocks(blocks, w.truncated)}
}
