package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ChatbotNotification is the custom-notification schema of Amazon Q
// Developer in chat applications (formerly AWS Chatbot). SNS delivers it
// through the "https" key of a MessageStructure=json message, because
// Chatbot subscribes to the topic over HTTPS.
//
// Schema (docs: "Custom notifications using Amazon Q Developer in chat
// applications"): version "1.0" and source "custom" are required; content
// carries textType (only "client-markdown"), title, description, nextSteps
// and keywords; metadata carries threadId, summary, eventType,
// relatedResources and additionalContext (string values).
type ChatbotNotification struct {
	Version  string          `json:"version"`
	Source   string          `json:"source"`
	ID       string          `json:"id,omitempty"`
	Content  ChatbotContent  `json:"content"`
	Metadata ChatbotMetadata `json:"metadata"`
}

// ChatbotContent is what the chat channel shows.
type ChatbotContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

// ChatbotMetadata threads and labels the notification.
type ChatbotMetadata struct {
	// ThreadID puts identical notices (same rule, outcome, violations and
	// actor) in one thread, so a storm stays in one place in the channel.
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary,omitempty"`
	EventType         string            `json:"eventType,omitempty"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// Conservative sizes: the Chatbot documentation gives no character limits
// for these fields, so they follow Slack's (Chatbot posts into Slack
// sections) and keep the whole SNS message small.
const (
	chatbotTitleMax       = SlackHeaderMax
	chatbotDescriptionMax = SlackTextMax
	chatbotStepMax        = 500
	chatbotPolicyMax      = 700
	chatbotKeywords       = 10
	chatbotKeywordMax     = 75
)

// Chatbot renders one notice in the custom-notification schema.
func Chatbot(n *Notice, lang string) ChatbotNotification {
	n = sanitized(n)
	v := newView(n, lang)
	w := v.w

	var d strings.Builder
	for _, f := range v.facts {
		if f.label == w.outcomeLabel || f.label == w.modeLabel || f.label == w.severityLabel {
			continue
		}
		fmt.Fprintf(&d, "%s%s%s\n", f.label, w.colon, chatSafe(f.value, f.label == w.resource))
	}
	fmt.Fprintf(&d, "%s%s%s\n", w.hWho, w.colon, chatSafe(v.who, false))
	if len(v.wrong) > 0 {
		fmt.Fprintf(&d, "%s%s\n", w.hWrong, strings.TrimSpace(w.colon))
	}
	for _, s := range v.wrong {
		fmt.Fprintf(&d, "• %s\n", chatSafe(s, false))
	}
	fmt.Fprintf(&d, "%s%s%s\n", v.hDid, w.colon, chatSafe(v.didIntro, false))
	for _, a := range v.actions {
		fmt.Fprintf(&d, "• %s\n", chatSafe(a, false))
	}
	if v.reason != "" {
		fmt.Fprintf(&d, "%s%s%s\n", w.reason, w.colon, chatSafe(v.reason, false))
	}
	if n.AuditID != "" {
		fmt.Fprintf(&d, "%s%s`%s`\n", w.auditID, w.colon, n.AuditID)
	}
	if v.before != "" || v.after != "" {
		short := func(s string) string { return chatSafe(fit(oneLine(orDash(s)), chatbotPolicyMax, w.truncated), true) }
		fmt.Fprintf(&d, "%s%s%s\n%s%s%s\n", v.beforeL, w.colon, short(v.before), v.afterL, w.colon, short(v.after))
	}
	if len(v.preview) > 0 {
		fmt.Fprintf(&d, "%s%s\n", w.hPreview, strings.TrimSpace(w.colon))
		for _, p := range v.preview {
			fmt.Fprintf(&d, "• %s%s%s\n", p.label, w.colon, chatSafe(p.value, true))
		}
	}

	var steps []string
	if v.revert != "" {
		steps = append(steps, w.revertCmd+w.colon+"`"+v.revert+"`")
	}
	if v.cannot != "" {
		steps = append(steps, w.cannotUndo+w.colon+chatSafe(v.cannot, false))
	}
	for _, s := range v.undo {
		if v.revert == "" {
			steps = append(steps, s)
		}
	}
	if v.stack != "" {
		steps = append(steps, v.stack)
	}
	if v.contact != "" {
		steps = append(steps, w.hContact+w.colon+chatSafe(v.contact, false))
	}
	for i := range steps {
		steps[i] = fit(steps[i], chatbotStepMax, w.truncated)
	}

	keywords := []string{"gcguard", n.Rule, string(n.Outcome), string(n.Severity), n.Account, n.Region}
	var kw []string
	for _, k := range keywords {
		if k != "" && len(kw) < chatbotKeywords {
			kw = append(kw, fit(k, chatbotKeywordMax, ""))
		}
	}

	ctx := map[string]string{"rule": n.Rule, "outcome": string(n.Outcome), "severity": string(n.Severity), "account": n.Account}
	for k, val := range map[string]string{"audit_id": n.AuditID, "event_id": n.EventID, "region": n.Region, "stack": n.Stack} {
		if val != "" {
			ctx[k] = val
		}
	}
	var related []string
	if n.Resource != "" {
		related = []string{n.Resource}
	}
	id := n.AuditID
	if id == "" {
		id = n.EventID
	}
	return ChatbotNotification{
		Version: "1.0",
		Source:  "custom",
		ID:      id,
		Content: ChatbotContent{
			TextType:    "client-markdown",
			Title:       fit(emojiFor(n)+" gcguard: "+v.headline, chatbotTitleMax, "…"),
			Description: fit(strings.TrimRight(d.String(), "\n"), chatbotDescriptionMax, w.truncated),
			NextSteps:   steps,
			Keywords:    kw,
		},
		Metadata: ChatbotMetadata{
			ThreadID:          "gcguard-" + GroupKey(n),
			Summary:           Subject(n, lang),
			EventType:         "gcguard." + n.Rule + "." + string(n.Outcome),
			RelatedResources:  related,
			AdditionalContext: ctx,
		},
	}
}

// ChatbotJSON is the "https" body: the custom notification as JSON.
func ChatbotJSON(n *Notice, lang string) (string, error) {
	b, err := json.Marshal(Chatbot(n, lang))
	if err != nil {
		return "", fmt.Errorf("encode Chatbot notification %s: %w", n.AuditID, err)
	}
	return string(b), nil
}

// chatReplacer is built once: building it per call was half of the
// allocation of handling an event.
var chatReplacer = strings.NewReplacer("<", "‹", ">", "›", "`", "'")

// chatSafe keeps untrusted text from turning into chat markup: angle
// brackets (links, mentions) become look-alikes, backticks cannot open code.
// Policy text is wrapped in a code span.
func chatSafe(s string, code bool) string {
	s = chatReplacer.Replace(s)
	if code {
		return "`" + s + "`"
	}
	return s
}
