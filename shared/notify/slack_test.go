package notify_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

func slackLen(s string) int { return len(utf16.Encode([]rune(s))) }

var entity = regexp.MustCompile(`&(amp|lt|gt);`)

// checkLimits asserts every Slack limit DESIGN §6 names.
func checkLimits(t *testing.T, m notify.SlackMessage) {
	t.Helper()
	if len(m.Blocks) > notify.SlackBlocksMax {
		t.Errorf("%d blocks > %d", len(m.Blocks), notify.SlackBlocksMax)
	}
	if got := m.TextLen(); got > notify.SlackMessageMax {
		t.Errorf("message text %d characters > %d", got, notify.SlackMessageMax)
	}
	js, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(js) {
		t.Error("message is not valid UTF-8")
	}
	if n := slackLen(string(js)); n > 13000 {
		t.Errorf("encoded blocks %d characters: Slack answers msg_blocks_too_long around 13k", n)
	}
	text := func(where, s string, max int) {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8", where)
		}
		if n := slackLen(s); n > max {
			t.Errorf("%s: %d characters > %d", where, n, max)
		}
		// Every & must start a whole entity: a cut never splits &amp;.
		rest := entity.ReplaceAllString(s, "")
		if strings.Contains(rest, "&") {
			t.Errorf("%s: a bare or split & entity", where)
		}
	}
	for i, b := range m.Blocks {
		where := fmt.Sprintf("block %d (%s)", i, b.Type)
		switch b.Type {
		case "header":
			text(where, b.Text.Text, notify.SlackHeaderMax)
		case "section":
			if b.Text != nil {
				text(where, b.Text.Text, notify.SlackTextMax)
				if strings.Count(b.Text.Text, "```")%2 != 0 {
					t.Errorf("%s: unclosed code block", where)
				}
			}
			if len(b.Fields) > notify.SlackFields {
				t.Errorf("%s: %d fields", where, len(b.Fields))
			}
			for _, f := range b.Fields {
				text(where+" field", f.Text, notify.SlackFieldMax)
			}
		case "context":
			if len(b.Elements) > notify.SlackContextMax {
				t.Errorf("%s: %d elements", where, len(b.Elements))
			}
			for _, e := range b.Elements {
				text(where+" element", e.Text, notify.SlackFieldMax)
			}
		}
	}
}

// oversized is a notice far beyond every limit, in multi-byte Japanese
// text with emoji (two UTF-16 units each) and characters mrkdwn escapes.
func oversized(size int) *notify.Notice {
	n := notify.Sample("roletrust", finding.Fixed)
	jp := strings.Repeat("住民基本台帳🔒<&>", size/9+1)
	n.Name = strings.Repeat("長いロール名", 60)
	n.Before = `{"Statement":[` + jp + `]}`
	n.After = strings.Repeat("変更後&lt;", size/8+1)
	n.Reason = jp
	for i := range 200 {
		n.Actions = append(n.Actions, fmt.Sprintf("操作 %d: %s", i, jp[:min(len(jp), 3000)]))
		n.Findings = append(n.Findings, finding.Finding{Statement: i, Principal: "arn:aws:iam::999988887777:root", Code: "foreign_account", Reason: "他のアカウント<!channel>"})
	}
	n.Stack = strings.Repeat("スタック", 400)
	n.Irreversible = jp
	n.Preview = &notify.Preview{}
	for i := range size/100 + 1 {
		n.Preview.Loses = append(n.Preview.Loses, fmt.Sprintf("arn:aws:iam::999988887777:role/長いロール名-%d<!channel>", i))
		n.Preview.Keeps = append(n.Preview.Keeps, fmt.Sprintf("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_%d", i))
	}
	// The configured lines at their maximum length.
	n.SystemName = strings.Repeat("住", 200)
	n.Environment = strings.Repeat("本", 200)
	n.Contact = strings.Repeat("窓口🔒", 100)
	return n
}

func TestSlackLimitsOversized(t *testing.T) {
	for _, size := range []int{0, 1000, 2999, 3000, 3001, 12000, 50000, 300000} {
		for _, lang := range langs {
			t.Run(fmt.Sprintf("%d.%s", size, lang), func(t *testing.T) {
				n := oversized(size)
				m := notify.Slack(n, lang)
				checkLimits(t, m)
				js, _ := m.JSON()
				if !strings.Contains(string(js), n.RevertCommand) {
					t.Error("the revert command was cut away")
				}
				if !strings.Contains(string(js), n.AuditID) {
					t.Error("the audit id was cut away")
				}
				if strings.Contains(string(js), "<!channel>") {
					t.Error("an @channel mention got through unescaped")
				}
				if size >= 3000 && !strings.Contains(string(js), "省略") && !strings.Contains(string(js), "truncated") {
					t.Error("no truncation marker")
				}
			})
		}
	}
}

func TestSlackInvalidUTF8(t *testing.T) {
	n := notify.Sample("bucket", finding.Fixed)
	n.Name = "bad\xff\xfe名前"
	n.Before = strings.Repeat("\xe4\xbd", 5000) // cut halves of 住
	checkLimits(t, notify.Slack(n, "ja"))
}

func TestSlackEveryOutcomeWithinLimits(t *testing.T) {
	for _, rule := range notify.Rules {
		for _, o := range finding.Outcomes {
			for _, lang := range langs {
				checkLimits(t, notify.Slack(notify.Sample(rule, o), lang))
			}
		}
	}
}

func TestSlackDigestLimits(t *testing.T) {
	w := &notify.Window{Period: time.Minute, MaxFull: 1, MaxItems: 1000}
	start := notify.SampleTime
	// 60 groups (different actors), 40 notices each.
	for g := range 60 {
		for i := range 40 {
			n := notify.Sample("bucket", finding.WouldFix)
			n.Actor.Name = fmt.Sprintf("利用者%02d@lg.id.cloud.go.jp", g)
			n.Actor.Email = n.Actor.Name
			n.AuditID = fmt.Sprintf("20261124T061402Z-%04d%04d", g, i)
			n.Name = fmt.Sprintf("住民記録バケット-%03d-%03d<&>", g, i)
			n.Resource = "arn:aws:s3:::" + n.Name
			if w.Admit(n, start) == notify.Post {
				w.Posted(n, start)
			}
		}
	}
	due := w.Due(start.Add(time.Minute))
	if len(due) != 60 {
		t.Fatalf("%d groups due, want 60", len(due))
	}
	for _, lang := range langs {
		m := notify.SlackDigest(due, lang)
		checkLimits(t, m)
		js, _ := m.JSON()
		if !strings.Contains(string(js), "2399") {
			t.Errorf("%s: the total count 2399 is missing:\n%.400s", lang, js)
		}
	}
}

func TestPlainSlack(t *testing.T) {
	alarm := `{"AlarmName":"gcguard-errors","NewStateValue":"ALARM","NewStateReason":"` + strings.Repeat("しきい値<を>超えました", 1000) + `"}`
	m := notify.PlainSlack("ALARM: \"gcguard-errors\" in Asia Pacific (Tokyo)", alarm, "ja")
	checkLimits(t, m)
}

// TestMessageFitsWithLargePreview: an access preview of thousands of
// principals is shortened like the findings, so the SNS message fits.
func TestMessageFitsWithLargePreview(t *testing.T) {
	for _, lang := range langs {
		n := oversized(300000)
		msg, err := notify.Message(n, lang, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) > notify.MessageMax {
			t.Errorf("%s: %d bytes > %d", lang, len(msg), notify.MessageMax)
		}
	}
}
