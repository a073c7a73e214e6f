package notify_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/testkit"
)

var langs = []string{notify.Japanese, notify.English}

// render is everything one notice becomes, in one file per case so a
// reviewer reads what an officer would get on each channel.
func render(t *testing.T, n *notify.Notice, lang string) []byte {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "== subject ==\n%s\n\n== email (default, email) ==\n%s\n", notify.Subject(n, lang), notify.Text(n, lang))
	slack, err := notify.Slack(n, lang).JSON()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "== slack (notifier) ==\n%s\n\n", indentJSON(t, slack))
	chat, err := notify.ChatbotJSON(n, lang)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "== chatbot (https) ==\n%s\n", indentJSON(t, []byte(chat)))
	return []byte(b.String())
}

func indentJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(out.String(), "\n")
}

// TestGolden renders every rule × every outcome in both languages.
func TestGolden(t *testing.T) {
	for _, rule := range notify.Rules {
		for _, outcome := range finding.Outcomes {
			for _, lang := range langs {
				name := fmt.Sprintf("%s_%s.%s", rule, outcome, lang)
				t.Run(name, func(t *testing.T) {
					n := notify.Sample(rule, outcome)
					testkit.Golden(t, filepath.Join("testdata", "golden", name+".txt"), render(t, n, lang))
				})
			}
		}
	}
	for _, lang := range langs {
		t.Run("root_key."+lang, func(t *testing.T) {
			testkit.Golden(t, filepath.Join("testdata", "golden", "accesskey_root_critical."+lang+".txt"), render(t, notify.SampleRootKey(), lang))
		})
	}
}

// TestEveryCodeExplained: every violation code has words in both languages.
func TestEveryCodeExplained(t *testing.T) {
	for _, c := range finding.Codes {
		for _, lang := range langs {
			if got := notify.Explain(c, lang); got == string(c) || got == "" {
				t.Errorf("%s has no %s explanation", c, lang)
			}
		}
	}
	if notify.Explain(finding.AccessKeyCreated, "ja") == notify.Explain(finding.AccessKeyCreated, "en") {
		t.Error("ja and en explanations are the same")
	}
}

// TestContent checks what DESIGN §6 asks of every notice, in both languages.
func TestContent(t *testing.T) {
	for _, lang := range langs {
		for _, rule := range notify.Rules {
			n := notify.Sample(rule, finding.Fixed)
			text := notify.Text(n, lang)
			for _, want := range []string{n.Account, n.Region, n.EventName, "2026-11-24 15:14:00 JST", "2026-11-24 06:14:00 UTC", n.Resource, n.AuditID} {
				if !strings.Contains(text, want) {
					t.Errorf("%s/%s: text lacks %q", rule, lang, want)
				}
			}
			facts := notify.FactsOf(n)
			for _, c := range n.Violations {
				if !strings.Contains(text, notify.ExplainFacts(c, facts, lang)) {
					t.Errorf("%s/%s: text lacks the explanation of %s", rule, lang, c)
				}
			}
			if n.RevertCommand != "" && !strings.Contains(text, n.RevertCommand) {
				t.Errorf("%s/%s: text lacks the revert command", rule, lang)
			}
			if n.Irreversible != "" && !strings.Contains(text, map[string]string{"en": n.Irreversible, "ja": "取り消すことができない変更："}[lang]) {
				t.Errorf("%s/%s: text does not say what cannot be undone", rule, lang)
			}
			if n.Stack != "" && !strings.Contains(text, n.Stack) {
				t.Errorf("%s/%s: text lacks the stack", rule, lang)
			}
			if s := notify.Subject(n, lang); utf8.RuneCountInString(s) > notify.SubjectMax || strings.ContainsAny(s, "\r\n") {
				t.Errorf("%s/%s: subject %q breaks SNS's rules", rule, lang, s)
			}
		}
	}
}

func TestSubjectLongName(t *testing.T) {
	n := notify.Sample("bucket", finding.Fixed)
	n.Name = strings.Repeat("住民記録バケット", 40) + "\nline"
	for _, lang := range langs {
		s := notify.Subject(n, lang)
		if utf8.RuneCountInString(s) > notify.SubjectMax || !utf8.ValidString(s) || strings.Contains(s, "\n") {
			t.Errorf("%s: bad subject %q", lang, s)
		}
	}
}

func TestMask(t *testing.T) {
	n := notify.Sample("roletrust", finding.Fixed)
	n.Before = `{"Condition":{"StringLike":{"aws:userid":["*:hanako.suzuki@lg.id.cloud.go.jp"]}}}`
	for _, lang := range langs {
		msg, err := notify.Message(n, lang, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"taro.yamada@", "hanako.suzuki@"} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: masked message still holds %s", lang, leak)
			}
		}
		if !strings.Contains(msg, "t***@lg.id.cloud.go.jp") || !strings.Contains(msg, "h***@lg.id.cloud.go.jp") {
			t.Errorf("%s: masked addresses missing", lang)
		}
		if !strings.Contains(msg, "gcguard revert "+n.AuditID) {
			t.Errorf("%s: masking must not touch the revert command", lang)
		}
	}
	plain, _ := notify.Message(n, "ja", false)
	if !strings.Contains(plain, "taro.yamada@lg.id.cloud.go.jp") {
		t.Error("unmasked message lost the e-mail address")
	}
	if notify.MaskEmail("not-an-address") != "not-an-address" || notify.MaskEmail("a@b.jp") != "a***@b.jp" {
		t.Error("MaskEmail")
	}
}
