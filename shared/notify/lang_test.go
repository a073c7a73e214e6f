package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gcguard/gcguard/shared/config"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// allSamples is every notice the golden files render, plus one with the
// deployment lines and one with a line no phrase knows.
func allSamples() map[string]*notify.Notice {
	out := map[string]*notify.Notice{}
	for _, rule := range notify.Rules {
		for _, o := range finding.Outcomes {
			out[rule+"_"+string(o)] = notify.Sample(rule, o)
		}
		n := notify.Sample(rule, finding.WouldFix)
		n.Mode = "enforce" // a plan gcguard may not apply: report only
		out[rule+"_report_only"] = n
	}
	out["root_key"] = notify.SampleRootKey()
	n := notify.Sample("roletrust", finding.Fixed)
	notify.SampleDeployment("ja").Apply(n)
	out["deployment"] = n
	return out
}

// japaneseTexts is every piece of text a Japanese notice shows: the
// subject, the e-mail, and every text of the Slack and Chatbot renderings.
func japaneseTexts(t *testing.T, n *notify.Notice) []string {
	t.Helper()
	texts := []string{notify.Subject(n, "ja"), notify.Text(n, "ja")}
	for _, b := range notify.Slack(n, "ja").Blocks {
		if b.Text != nil {
			texts = append(texts, b.Text.Text)
		}
		for _, f := range b.Fields {
			texts = append(texts, f.Text)
		}
		for _, e := range b.Elements {
			texts = append(texts, e.Text)
		}
	}
	c := notify.Chatbot(n, "ja")
	texts = append(texts, c.Content.Title, c.Content.Description)
	texts = append(texts, c.Content.NextSteps...)
	return texts
}

// allowedWords are the Latin words a Japanese notice may use as they are:
// service and product names, abbreviations officers know, configuration
// values (enforce, notify) and API values (Active).
var allowedWords = map[string]bool{
	"AWS": true, "IAM": true, "S3": true, "KMS": true, "ARN": true, "SSO": true, "CloudTrail": true, "CloudFormation": true,
	"gcguard": true, "GCAS": true, "JST": true, "UTC": true, "ID": true, "ACL": true, "TLS": true, "HTTPS": true,
	"SSE": true, "DSSE": true, "MFA": true, "API": true, "OIDC": true, "EKS": true, "Cognito": true, "GitHub": true,
	"VPC": true, "ALB": true, "NLB": true, "CDK": true, "Sid": true, "enforce": true, "notify": true, "off": true,
	"Active": true, "Inactive": true, "true": true, "false": true, "Deny": true, "Allow": true, "NotPrincipal": true, "Slack": true,
}

// allowedPhrases are multi-word names.
var allowedPhrases = []string{"IAM Identity Center", "GitHub Actions", "DSSE-KMS", "SSE-KMS", "SSE-C"}

var (
	latinToken = regexp.MustCompile(`[\x21-\x7e]+`) // a run of printable ASCII
	latinWordR = regexp.MustCompile(`[A-Za-z]+`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
)

// englishWords returns the English words in s that are neither allowed
// names nor parts of an identifier. A token (a run of ASCII between spaces
// and Japanese text) is an identifier when it holds a character prose
// never has (: / . @ _ = * digits), is written in mixed case (an API name
// such as BlockPublicPolicy), or is one of the notice's own names. JSON
// lines and text marked 「（原文）」 (shown in its original language on
// purpose) are skipped.
func englishWords(s string, names map[string]bool) []string {
	var bad []string
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.ContainsAny(t[:1], `{}[]"`) {
			continue
		}
		if i := strings.Index(t, "（原文）"); i >= 0 {
			t = t[:i]
		}
		t = codeSpan.ReplaceAllString(t, " ") // commands, shown as they are
		for _, p := range allowedPhrases {
			t = strings.ReplaceAll(t, p, " ")
		}
		for _, tok := range latinToken.FindAllString(t, -1) {
			tok = strings.Trim(tok, "`*•-,;()[]")
			if tok == "" || names[tok] || strings.ContainsAny(tok, ":/.@_=*0123456789<>?") {
				continue
			}
			for _, w := range latinWordR.FindAllString(tok, -1) {
				if allowedWords[w] || names[w] || mixedCase(w) {
					continue
				}
				bad = append(bad, w)
			}
		}
	}
	return bad
}

func mixedCase(w string) bool {
	return len(w) > 1 && strings.IndexFunc(w[1:], unicode.IsUpper) >= 0
}

// namesOf is what the notice itself names: resources, events, stacks,
// commands, codes. They stay as they are in any language.
func namesOf(n *notify.Notice) map[string]bool {
	names := map[string]bool{}
	add := func(s string) {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
			names[f] = true
		}
	}
	for _, s := range []string{n.EventName, n.Name, n.Resource, n.Stack, n.RevertCommand, n.Actor.Name, n.Actor.Email, n.Rule, string(n.Outcome), n.Mode} {
		add(s)
	}
	for _, c := range n.Violations {
		add(string(c))
	}
	for _, f := range n.Findings {
		add(f.Code)
		add(f.Sid)
		add(f.Principal)
	}
	return names
}

// TestJapaneseHasNoEnglish: every Japanese rendering of every sample
// (e-mail, Slack, Chatbot) is Japanese but for names and identifiers.
func TestJapaneseHasNoEnglish(t *testing.T) {
	for name, n := range allSamples() {
		names := namesOf(n)
		for _, text := range japaneseTexts(t, n) {
			if bad := englishWords(text, names); len(bad) > 0 {
				t.Errorf("%s: English words in the Japanese notice: %v\nin: %.300q", name, bad, text)
			}
		}
	}
}

// TestEnglishWordCheckCanFail: the check above finds an English sentence
// and ignores identifiers, so it is not vacuous.
func TestEnglishWordCheckCanFail(t *testing.T) {
	if bad := englishWords("理由：the key was deleted", nil); len(bad) != 4 {
		t.Errorf("missed English prose: %v", bad)
	}
	if bad := englishWords("ロール arn:aws:iam::1:role/x の BlockPublicPolicy と AES256、gcguard revert 2026-x", map[string]bool{"revert": true}); len(bad) != 0 {
		t.Errorf("identifiers counted as English: %v", bad)
	}
}

// TestUnknownLineIsMarked: a rule line no phrase knows (an AWS error, a
// future rule) is shown as it is and marked, never passed off as Japanese.
func TestUnknownLineIsMarked(t *testing.T) {
	n := notify.Sample("bucket", finding.Fixed)
	n.Actions = append(n.Actions, "rotate the frobnicator of the bucket")
	text := notify.Text(n, "ja")
	if !strings.Contains(text, "（原文）rotate the frobnicator of the bucket") {
		t.Errorf("unknown line not marked:\n%s", text)
	}
}

var japaneseRune = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}\x{3000}-\x{303f}\x{ff00}-\x{ffef}]`)

// proseBracketErrors finds ASCII brackets and colons used in Japanese
// prose. A token (text between spaces) with Japanese in it is prose: an
// ASCII ( ) or a trailing ASCII colon there should be （）or ：. Tokens
// without Japanese are identifiers, ARNs, JSON or commands and keep their
// ASCII (an access key shown as "AKIA… (batch-uploader)" is the engine's
// resource name). JSON lines are skipped.
func proseBracketErrors(s string) []string {
	var bad []string
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.ContainsAny(t[:1], `{}[]"`) {
			continue
		}
		if i := strings.Index(t, "（原文）"); i >= 0 {
			t = t[:i]
		}
		for _, tok := range strings.Fields(t) {
			if !japaneseRune.MatchString(tok) {
				continue
			}
			if strings.ContainsAny(tok, "()") || strings.HasSuffix(tok, ":") {
				bad = append(bad, tok)
			}
		}
	}
	return bad
}

// TestJapaneseBrackets: Japanese prose uses full-width brackets and colons.
func TestJapaneseBrackets(t *testing.T) {
	for name, n := range allSamples() {
		for _, text := range japaneseTexts(t, n) {
			if bad := proseBracketErrors(text); len(bad) > 0 {
				t.Errorf("%s: ASCII brackets in Japanese prose: %q", name, bad)
			}
		}
	}
	if bad := proseBracketErrors("ロール(app) の信頼ポリシー\n理由: x\nARN arn:aws:iam::1:role/x (y)"); len(bad) != 2 {
		t.Errorf("the bracket check missed prose or flagged identifiers: %q", bad)
	}
}

// Glossary: one Japanese term per concept (docs/notices.md). The variants
// a translator might write instead are forbidden.
var glossary = map[string][]string{
	"パブリックアクセスブロック": {"公開アクセスブロック", "ブロックパブリックアクセス", "パブリックアクセスのブロック", "パブリック アクセス ブロック"},
	"保留期間":       {"保持期間", "ホールド期間", "猶予期間"},
	"カスタマー管理キー":  {"顧客管理キー", "カスタマーマネージドキー", "カスタマーマネージド", "顧客管理型", "カスタマー管理型"},
	"ステートメント":    {"ステートメント文"},
	"主体（プリンシパル）": {"引き受けられる人", "引き受けてよい人", "意図しない人"},
}

// statementAsBun catches 「文」 used for a policy statement (「拒否する文」).
var statementAsBun = regexp.MustCompile(`(拒否|許可|する|の|追加した)文[がをにはのも、。]`)

func glossaryErrors(s string) []string {
	var bad []string
	for _, variants := range glossary {
		for _, v := range variants {
			if strings.Contains(s, v) {
				bad = append(bad, v)
			}
		}
	}
	if m := statementAsBun.FindString(s); m != "" {
		bad = append(bad, m)
	}
	return bad
}

// TestGlossary: the Japanese renderings use only the glossary's terms.
func TestGlossary(t *testing.T) {
	for name, n := range allSamples() {
		for _, text := range japaneseTexts(t, n) {
			if bad := glossaryErrors(text); len(bad) > 0 {
				t.Errorf("%s: variant terms %q", name, bad)
			}
		}
	}
	for _, c := range finding.Codes {
		if bad := glossaryErrors(notify.Explain(c, "ja")); len(bad) > 0 {
			t.Errorf("%s: variant terms %q", c, bad)
		}
	}
	if bad := glossaryErrors("TLS を使わないアクセスを拒否する文がありません。顧客管理キー"); len(bad) != 2 {
		t.Errorf("the glossary check missed variants: %q", bad)
	}
	for term := range glossary {
		found := false
		for _, n := range allSamples() {
			for _, text := range japaneseTexts(t, n) {
				found = found || strings.Contains(text, term)
			}
		}
		if !found && term != "ステートメント" {
			t.Errorf("glossary term %s appears in no sample", term)
		}
	}
}

// TestFooterIsTheOperators: the footer says who sends the notice and that
// it is not the Digital Agency's.
func TestFooterIsTheOperators(t *testing.T) {
	n := notify.Sample("roletrust", finding.Fixed)
	ja, en := notify.Text(n, "ja"), notify.Text(n, "en")
	for _, want := range []string{"運用事業者が導入した", "デジタル庁からの通知ではありません"} {
		if !strings.Contains(ja, want) {
			t.Errorf("ja footer lacks %q", want)
		}
	}
	for _, want := range []string{"operator deployed", "not a notice from the Digital Agency"} {
		if !strings.Contains(en, want) {
			t.Errorf("en footer lacks %q", want)
		}
	}
}

// TestDeploymentLines: system name, environment and contact appear when
// configured, in every channel and both languages, and not otherwise.
func TestDeploymentLines(t *testing.T) {
	for _, lang := range langs {
		n := notify.Sample("bucket", finding.Fixed)
		d := notify.SampleDeployment(lang)
		plain := notify.Text(n, lang)
		for _, s := range []string{d.SystemName, d.Environment, d.Contact} {
			if strings.Contains(plain, s) {
				t.Errorf("%s: %q shown though not configured", lang, s)
			}
		}
		d.Apply(n)
		slack, _ := notify.Slack(n, lang).JSON()
		chat, _ := notify.ChatbotJSON(n, lang)
		for _, s := range []string{d.SystemName, d.Environment, d.Contact} {
			for ch, text := range map[string]string{"email": notify.Text(n, lang), "slack": string(slack), "chatbot": chat} {
				if !strings.Contains(text, s) && !strings.Contains(text, jsonString(s)) {
					t.Errorf("%s/%s lacks %q", lang, ch, s)
				}
			}
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// TestNotifyModeWording: "notify mode" is said only when the rule is in
// notify mode; a report-only plan in enforce mode says so instead.
func TestNotifyModeWording(t *testing.T) {
	n := notify.Sample("bucket", finding.WouldFix)
	if text := notify.Text(n, "ja"); !strings.Contains(text, "通知モードのため未実施") {
		t.Errorf("notify mode not said:\n%s", text)
	}
	n.Mode = "enforce"
	n.Reason = "log-delivery bucket (its policy grants a log-delivery service): reported only, since ALB/NLB access logs accept only SSE-S3 and delivery must keep working"
	for lang, notSaid := range map[string]string{"ja": "通知モード", "en": "notify mode"} {
		text := notify.Text(n, lang)
		if strings.Contains(text, notSaid) {
			t.Errorf("%s: a report-only plan in enforce mode claims notify mode:\n%s", lang, text)
		}
	}
	if text := notify.Text(n, "ja"); !strings.Contains(text, "ログ配信用のバケット") {
		t.Errorf("reason not said in Japanese:\n%s", text)
	}
}

// TestPreview: the access preview is shown when present, in both
// languages and channels, and absent otherwise.
func TestPreview(t *testing.T) {
	n := notify.Sample("roletrust", finding.Fixed)
	want := map[string][]string{"ja": {"■ アクセスへの影響（プレビュー）", "失われるアクセス：", "維持されるアクセス："}, "en": {"■ Access preview", "Loses access:", "Keeps access:"}}
	for lang, ws := range want {
		text := notify.Text(n, lang)
		for _, w := range ws {
			if !strings.Contains(text, w) {
				t.Errorf("%s: preview lacks %q", lang, w)
			}
		}
		for _, p := range n.Preview.Loses {
			slack, _ := notify.Slack(n, lang).JSON()
			if !strings.Contains(text, p) || !strings.Contains(string(slack), p) || !strings.Contains(notify.Chatbot(n, lang).Content.Description, p) {
				t.Errorf("%s: preview entry %s missing from a channel", lang, p)
			}
		}
	}
	n.Preview = nil
	if strings.Contains(notify.Text(n, "ja"), "プレビュー") {
		t.Error("preview heading without a preview")
	}
	// Nothing changed: no preview, and "after" is what the fix would make.
	ex := notify.Sample("roletrust", finding.Exempted)
	if text := notify.Text(ex, "ja"); strings.Contains(text, "プレビュー") || strings.Contains(text, "変更後") || !strings.Contains(text, "是正後の設定（未実施）") {
		t.Errorf("an exempted notice claims a change:\n%s", text)
	}
	if text := notify.Text(notify.Sample("roletrust", finding.WouldFix), "en"); !strings.Contains(text, "The fix would alter") || !strings.Contains(text, "After the fix (not made):") {
		t.Errorf("a notify-mode notice words its preview or after as done:\n%s", text)
	}
}

func ExampleExplainFacts() {
	f := notify.Facts{ACLsEnabled: "ObjectWriter"}
	fmt.Println(notify.ExplainFacts(finding.BucketACLPublic, f, "en"))
	// Output: ACLs are enabled on the bucket (Object Ownership ObjectWriter). A bucket or object ACL can make data public.
}

type captureSNS struct{ in *sns.PublishInput }

func (c *captureSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.in = in
	return &sns.PublishOutput{}, nil
}

// TestPublisherAddsDeployment: the publisher adds the configured lines to
// every notice (the engine's notices do not carry them), without changing
// the caller's notice.
func TestPublisherAddsDeployment(t *testing.T) {
	c := &captureSNS{}
	d := notify.DeploymentFrom(&config.Config{SystemName: "住民記録システム", Environment: "検証", Contact: "情報政策課"})
	p := &notify.Publisher{SNS: c, TopicARN: "arn:aws:sns:ap-northeast-1:123456789012:t", Language: "ja", Deployment: d}
	n := notify.Sample("accesskey", finding.Fixed)
	if err := p.Publish(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"利用システム名", "住民記録システム", "検証", "情報政策課"} {
		if !strings.Contains(*c.in.Message, want) {
			t.Errorf("published message lacks %q", want)
		}
	}
	if n.SystemName != "" {
		t.Error("Publish changed the caller's notice")
	}
}
