package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// FuzzNotice: whatever notice JSON reaches the notifier, decoding either
// refuses it as not a notice or yields one whose every rendering stays
// within its channel's limits: Slack's (checkLimits), SNS's message size,
// and valid JSON and UTF-8 for Chatbot and the message keys.
func FuzzNotice(f *testing.F) {
	for _, rule := range []string{"accesskey", "roletrust", "bucket", "iamuser"} {
		for _, o := range []finding.Outcome{finding.Fixed, finding.WouldFix, finding.Failed, finding.Skipped} {
			b, err := json.Marshal(notify.Sample(rule, o))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b), notify.Japanese)
		}
	}
	root, _ := json.Marshal(notify.SampleRootKey())
	f.Add(string(root), notify.English)
	f.Add(`{"rule":"x","outcome":"fixed","before":"`+strings.Repeat("&<>*`~😀", 4000)+`"}`, notify.English)
	f.Add(`{"rule":"x","outcome":"fixed","actions":["`+strings.Repeat("a", 3000)+`"],"findings":[{"code":"c","detail":"d"}]}`, "")
	f.Add(`{"rule":"","outcome":""}`, notify.Japanese)
	f.Add(`not json`, notify.Japanese)
	f.Fuzz(func(t *testing.T, raw, lang string) {
		n, err := notify.DecodeNotice(raw)
		if err != nil {
			return
		}
		if n.Rule == "" || n.Outcome == "" {
			t.Fatalf("decoded a notice without rule or outcome: %q", raw)
		}
		checkLimits(t, notify.Slack(n, lang))
		msg, err := notify.Message(n, lang, true)
		if err == nil {
			if len(msg) > notify.MessageMax {
				t.Fatalf("SNS message %d bytes > %d", len(msg), notify.MessageMax)
			}
			var keys map[string]string
			if err := json.Unmarshal([]byte(msg), &keys); err != nil {
				t.Fatalf("SNS message is not a JSON object of strings: %v", err)
			}
		}
		chat, err := notify.ChatbotJSON(n, lang)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(chat) || !json.Valid([]byte(chat)) {
			t.Fatalf("Chatbot body is not valid UTF-8 JSON")
		}
		_ = notify.Subject(n, lang)
		_ = notify.Text(n, lang)
	})
}
