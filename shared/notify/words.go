package notify

import (
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

// Languages a notice renders in. Japanese is the default: the readers are
// municipal IT officers.
const (
	Japanese = "ja"
	English  = "en"
)

// Lang normalizes a language setting: "en" is English, anything else Japanese.
func Lang(s string) string {
	if s == English {
		return English
	}
	return Japanese
}

// words is everything a renderer says that does not come from the notice.
// The Japanese words follow the glossary in docs/notices.md (one term per
// concept); TestGlossary forbids the variants.
type words struct {
	lang     string
	outcome  map[finding.Outcome]string
	severity map[Severity]string
	rule     map[string]string
	kind     map[string]string
	actor    map[string]string
	yesNo    [2]string
	lp, rp   string // brackets around an aside: （） in Japanese
	colon    string // between a label and its value
	listSep  string // between list items
	subject  string // subject prefix
	// subjectLabel introduces the subject line in documentation samples.
	subjectLabel string
	mode         map[string]string

	// Section headings and labels.
	hWhat, hWho, hWrong, hStack, hPreview, hContact, hUndo        string
	hDid, hWould, hReportOnly, hTried, hNone                      string
	account, region, event, eventID, when, resource               string
	systemName, environment                                       string
	outcomeLabel, modeLabel, severityLabel, reason, before, after string
	auditID, revertCmd, cannotUndo, details, statement, sid       string
	loses, keeps, gains, previewDone, previewPlanned              string
	current, planned                                              string // before/after labels when nothing was changed
	sweep, unknownActor, role, principal                          string

	// Phrases.
	didFixed, wouldFix, reportOnly, compliantNote, exemptedNote, skippedNote, failedNote string
	revertHow, revertHold, nothingToUndo, failedUndo, noPrior                            string
	stackNote, noViolations, truncated, footer, raw                                      string

	// Digests.
	digestHead, digestWindow, digestCapped, digestMore, digestWhere string
}

var ja = &words{
	lang: Japanese,
	outcome: map[finding.Outcome]string{
		finding.Fixed:     "違反を検知し、是正しました",
		finding.WouldFix:  "違反を検知しました（未是正）",
		finding.Compliant: "要件を満たしています",
		finding.Exempted:  "承認済みの例外のため変更していません",
		finding.Skipped:   "処理の対象外としました",
		finding.Failed:    "是正に失敗しました（至急対応が必要です）",
	},
	severity: map[Severity]string{Info: "情報", Warning: "警告", Critical: "重大"},
	rule: map[string]string{
		"accesskey":  "アクセスキーの禁止",
		"iamuser":    "IAM ユーザーの禁止",
		"roletrust":  "ロールの信頼ポリシー",
		"bucket":     "S3 バケットの保護",
		"accountpab": "アカウントの S3 パブリックアクセスブロック",
		"sweep":      "定期点検",
	},
	kind: map[string]string{
		"access_key": "アクセスキー",
		"user":       "IAM ユーザー",
		"role":       "IAM ロール",
		"bucket":     "S3 バケット",
		"account":    "AWS アカウント",
	},
	actor: map[string]string{
		cloudtrail.ActorSSOUser: "SSO ユーザー",
		cloudtrail.ActorRole:    "IAM ロール",
		cloudtrail.ActorIAMUser: "IAM ユーザー",
		cloudtrail.ActorRoot:    "ルートユーザー",
		cloudtrail.ActorService: "AWS サービス",
		cloudtrail.ActorAccount: "AWS アカウント",
		cloudtrail.ActorUnknown: "不明",
	},
	yesNo: [2]string{"あり", "なし"},
	lp:    "（", rp: "）", colon: "：", listSep: "、", subject: "【gcguard】", subjectLabel: "件名：",
	mode: map[string]string{"enforce": "是正モード（enforce）", "notify": "通知モード（notify）", "off": "停止（off）", "sweep": "定期点検"},

	hWhat: "発生した事象", hWho: "操作者", hWrong: "検知した違反の内容", hStack: "CloudFormation スタック",
	hPreview: "アクセスへの影響（プレビュー）", hContact: "お問い合わせ先", hUndo: "変更の取り消し（切り戻し）方法",
	hDid: "gcguard が実施した対応", hWould: "gcguard が実施予定の対応（通知モードのため未実施）",
	hReportOnly: "gcguard の対応（報告のみ）", hTried: "gcguard が試みた対応（未完了）", hNone: "gcguard の対応",
	account: "アカウント", region: "リージョン", event: "イベント", eventID: "イベント ID", when: "日時", resource: "リソース",
	systemName: "利用システム名", environment: "環境",
	outcomeLabel: "結果", modeLabel: "動作モード", severityLabel: "重要度", reason: "理由", before: "変更前", after: "変更後",
	auditID: "監査 ID", revertCmd: "切り戻しコマンド", cannotUndo: "取り消すことができない変更", details: "詳細",
	statement: "ステートメント", sid: "Sid",
	loses: "失われるアクセス", keeps: "維持されるアクセス", gains: "新たに許可されるアクセス",
	previewDone:    "この変更によって、次の主体（プリンシパル）のアクセスが変わりました。",
	previewPlanned: "是正した場合、次の主体（プリンシパル）のアクセスが変わります。",
	current:        "現在の設定", planned: "是正後の設定（未実施）",
	sweep: "定期点検で検知（該当するイベントなし）", unknownActor: "不明（定期点検では、変更を行った操作者は特定できません）",
	role: "ロール", principal: "主体（プリンシパル）",

	didFixed:      "gcguard は次の変更を実施しました。",
	wouldFix:      "本ルールは通知モード（notify）で動作しているため、gcguard は変更を行っていません。是正モード（enforce）であれば次の変更を実施します。必要に応じて、手動で対応してください。",
	reportOnly:    "gcguard は次の理由により変更を行わず、報告のみとしました。必要に応じて、手動で対応してください。",
	compliantNote: "現在の設定は要件を満たしています。対応は不要です。",
	exemptedNote:  "承認済みの例外に該当するため、gcguard は変更を行っていません。",
	skippedNote:   "gcguard はこのリソースを処理していません。",
	failedNote:    "gcguard は変更を試みましたが、完了しませんでした。リソースは違反した状態のままであるおそれがあります。至急、現在の設定を確認してください。試みた変更は次のとおりです。",
	revertHow:     "次のコマンドを実行すると、監査記録に保存された変更前の状態に戻すことができます。",
	revertHold:    "切り戻し後の一定期間（保留期間）は、gcguard はこのリソースを再度是正しません。",
	nothingToUndo: "gcguard は変更を行っていないため、切り戻しの必要はありません。",
	failedUndo:    "変更が途中まで適用されたおそれがあります。現在の状態を確認のうえ、必要に応じて監査 ID を添えて管理者へ連絡してください。",
	noPrior:       "変更前の状態が記録されていないため、gcguard では切り戻しできません。",
	stackNote:     "このリソースは CloudFormation スタック「%s」で管理されています。テンプレートも併せて修正してください。修正しない場合、次回のデプロイでこの変更が元に戻るおそれがあります。",
	noViolations:  "違反は検知されていません。",
	truncated:     "…（以下省略）",
	footer:        "本通知は、この AWS アカウントに運用事業者が導入したガードレール gcguard から自動送信されています。デジタル庁からの通知ではありません。",
	raw:           "（原文）",

	digestHead:   "gcguard まとめ：同様の通知 %d 件",
	digestWindow: "%s から %s までの %d 分間に、次と同じ内容の通知が %d 件ありました（個別の投稿は省略しました）。",
	digestCapped: "通知が多いため、この時間帯は重大な通知以外をまとめて送信しています。",
	digestMore:   "ほか %d 件",
	digestWhere:  "すべての通知はメールでも送信され、監査テーブルに記録されています（`gcguard history`）。",
}

var en = &words{
	lang: English,
	outcome: map[finding.Outcome]string{
		finding.Fixed:     "Fixed",
		finding.WouldFix:  "Violation found (nothing changed)",
		finding.Compliant: "Compliant",
		finding.Exempted:  "Exempted: nothing changed",
		finding.Skipped:   "Skipped",
		finding.Failed:    "Fix FAILED: action needed",
	},
	severity: map[Severity]string{Info: "info", Warning: "warning", Critical: "CRITICAL"},
	rule: map[string]string{
		"accesskey":  "No access keys",
		"iamuser":    "No IAM users",
		"roletrust":  "Role trust policy",
		"bucket":     "S3 bucket protection",
		"accountpab": "Account-level S3 Block Public Access",
		"sweep":      "Scheduled sweep",
	},
	kind: map[string]string{
		"access_key": "access key",
		"user":       "IAM user",
		"role":       "IAM role",
		"bucket":     "S3 bucket",
		"account":    "AWS account",
	},
	actor: map[string]string{
		cloudtrail.ActorSSOUser: "SSO user",
		cloudtrail.ActorRole:    "IAM role",
		cloudtrail.ActorIAMUser: "IAM user",
		cloudtrail.ActorRoot:    "root user",
		cloudtrail.ActorService: "AWS service",
		cloudtrail.ActorAccount: "AWS account",
		cloudtrail.ActorUnknown: "unknown",
	},
	yesNo: [2]string{"yes", "no"},
	lp:    " (", rp: ")", colon: ": ", listSep: ", ", subject: "[gcguard] ", subjectLabel: "Subject: ",
	mode: map[string]string{"enforce": "enforce", "notify": "notify (report only)", "off": "off"},

	hWhat: "What happened", hWho: "Who did it", hWrong: "What is wrong", hStack: "CloudFormation stack",
	hPreview: "Access preview", hContact: "Contact", hUndo: "How to undo",
	hDid: "What gcguard did", hWould: "What gcguard would do (notify mode: nothing changed)",
	hReportOnly: "What gcguard did (report only)", hTried: "What gcguard tried (not finished)", hNone: "What gcguard did",
	account: "Account", region: "Region", event: "Event", eventID: "Event ID", when: "Time", resource: "Resource",
	systemName: "System", environment: "Environment",
	outcomeLabel: "Outcome", modeLabel: "Mode", severityLabel: "Severity", reason: "Reason", before: "Before", after: "After",
	auditID: "Audit ID", revertCmd: "Revert command", cannotUndo: "Cannot be undone", details: "Details",
	statement: "statement", sid: "Sid",
	loses: "Loses access", keeps: "Keeps access", gains: "Gains access",
	previewDone:    "The change altered the access of these principals.",
	previewPlanned: "The fix would alter the access of these principals.",
	current:        "Current", planned: "After the fix (not made)",
	sweep: "found by the scheduled sweep (no event)", unknownActor: "unknown (the sweep does not know who made the change)",
	role: "role", principal: "principal",

	didFixed:      "gcguard made these changes:",
	wouldFix:      "Nothing was changed: the rule is in notify mode. In enforce mode gcguard would make these changes; make them by hand if needed:",
	reportOnly:    "gcguard changed nothing and only reports, for the reason below. Make the changes by hand if needed:",
	compliantNote: "The resource meets the requirements. Nothing to do.",
	exemptedNote:  "An approved exemption covers the resource, so gcguard changed nothing.",
	skippedNote:   "gcguard did not handle this resource.",
	failedNote:    "gcguard tried to change the resource and did not finish. The resource may still be in violation: check it now. Attempted changes:",
	revertHow:     "This command restores the state saved in the audit record before the change:",
	revertHold:    "After a revert gcguard leaves the resource alone for a while (the hold period).",
	nothingToUndo: "gcguard changed nothing, so there is nothing to undo.",
	failedUndo:    "The change may be partly applied. Check the resource's current state and, if needed, contact your administrator with the audit ID.",
	noPrior:       "The previous state was not recorded, so gcguard cannot undo this change.",
	stackNote:     "CloudFormation stack %q manages this resource. Fix its template too, or the next deployment will undo this change.",
	noViolations:  "No violations.",
	truncated:     "… (truncated)",
	footer:        "Sent automatically by gcguard, the guardrail this AWS account's operator deployed in it. This is not a notice from the Digital Agency.",
	raw:           "",

	digestHead:   "gcguard digest: %d similar notices",
	digestWindow: "Between %s and %s (%d minutes) there were %d more notices like this one; they were not posted one by one.",
	digestCapped: "Many notices arrived, so everything but critical notices is being summarized for now.",
	digestMore:   "and %d more",
	digestWhere:  "Every notice was also sent by e-mail and is recorded in the audit table (`gcguard history`).",
}

func wordsFor(lang string) *words {
	if Lang(lang) == English {
		return en
	}
	return ja
}

// or returns m[k], else k itself: an unknown rule or outcome is still shown.
func or[K ~string](m map[K]string, k K) string {
	if v, ok := m[k]; ok {
		return v
	}
	return string(k)
}
