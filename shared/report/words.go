package report

import (
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// bi is one text in both languages; the HTML report carries both and
// shows one.
type bi struct{ JA, EN string }

// The terms follow the notices: パブリックアクセスブロック, 保留期間,
// カスタマー管理キー, ステートメント, 主体（プリンシパル）.
var words = map[string]bi{
	"title.scan":      {"gcguard 評価レポート", "gcguard assessment report"},
	"title.history":   {"gcguard 監査記録レポート", "gcguard audit report"},
	"account":         {"アカウント", "Account"},
	"generated":       {"作成日時", "Generated"},
	"deployed":        {"gcguard のデプロイ日時", "gcguard deployed"},
	"predeploy":       {"gcguard のデプロイ前の評価です。既存のアクセスキーは、削除するかどうかを担当者が判断する対象として報告し、gcguard が今後作成するキー・ロール・トピックは不足として扱いません。", "Assessed before gcguard's deployment: existing access keys are reported for a person to decide on, and the keys, roles and topic gcguard creates at deployment are not reported as missing."},
	"nochange":        {"この評価では何も変更していません。", "Nothing was changed by this assessment."},
	"summary":         {"ルールごとの集計", "Summary per rule"},
	"chart":           {"ルールごとの検出件数", "Findings per rule"},
	"findings":        {"検出内容", "Findings"},
	"records":         {"監査記録", "Audit records"},
	"rule":            {"ルール", "Rule"},
	"assessed":        {"評価済み", "Assessed"},
	"notassessed":     {"未評価", "Not assessed"},
	"records.n":       {"記録数", "Records"},
	"remark":          {"備考", "Remarks"},
	"severity":        {"重大度", "Severity"},
	"status":          {"区分", "Status"},
	"resource":        {"リソース", "Resource"},
	"reason":          {"理由", "Reason"},
	"action.scan":     {"gcguard が行う対応", "What gcguard would do"},
	"action.history":  {"gcguard が実施した対応", "What gcguard did"},
	"beforeafter":     {"変更前 → 変更後", "Before → after"},
	"before":          {"変更前", "Before"},
	"after":           {"変更後", "After"},
	"details":         {"詳細（英語）", "Details"},
	"time":            {"日時", "Time"},
	"auditid":         {"監査ID", "Audit ID"},
	"shown":           {"件を表示", "shown"},
	"none":            {"該当するリソースはありません。", "No resource to show."},
	"noaction":        {"なし", "none"},
	"lang":            {"表示言語", "Language"},
	"verdict.clean":   {"違反は見つかりませんでした（すべてのリソースを評価済み）。", "No violation found, and every resource was assessed."},
	"verdict.viol":    {"違反が見つかりました。", "Violations found."},
	"verdict.unknown": {"評価できなかったリソースまたはルールがあります。「問題なし」ではありません。", "Some resources or rules could not be assessed: this is not a clean result."},
	"existingkey":     {"既存のアクセスキーです。削除するか、デジタル庁の承認がある場合は例外として登録する（gcguard exempt add）かを、担当者が判断してください。gcguard はこのキーを削除しません。", ExistingKeyReason},
	"unlisted":        {"一覧の取得が完了しませんでした", "listing did not finish"},
	"cannotassess":    {"評価できませんでした", "could not be assessed"},
	"existingnote":    {"gcguard のデプロイ前からあるリソースです。定期点検では報告のみで、次に変更されたときに是正します。", "Existed before gcguard was deployed: the sweep reports it; gcguard fixes it when it is next changed."},
}

var severityWords = map[Severity]bi{
	Critical:    {"重大", "Critical"},
	High:        {"高", "High"},
	NotAssessed: {"未評価", "Not assessed"},
	Info:        {"情報", "Info"},
}

var statusWords = map[Status]bi{
	Violation:  {"違反", "violation"},
	Existing:   {"デプロイ前から既存", "existed before deployment"},
	ReportOnly: {"報告のみ", "report only"},
	Exempted:   {"例外（承認済み）", "exempted"},
	Note:       {"参考", "note"},
	Unassessed: {"未評価", "not assessed"},
	Applied:    {"是正済み", "fixed"},
	Reported:   {"報告済み", "reported"},
	Failed:     {"失敗", "failed"},
	Reverted:   {"切り戻し済み", "reverted"},
	Revert:     {"切り戻し", "revert"},
}

var ruleWords = map[string]bi{
	"accesskey":  {"アクセスキーの禁止", "access keys"},
	"iamuser":    {"IAMユーザーの禁止", "IAM users"},
	"roletrust":  {"ロールの信頼ポリシー", "role trust policies"},
	"bucket":     {"S3バケットの保護", "S3 buckets"},
	"accountpab": {"アカウントのS3パブリックアクセスブロック", "account S3 Block Public Access"},
}

func word(k string) bi { return words[k] }

// reasonOf says why a row is in the report, in both languages. The
// Japanese text of a violation is the notices' own explanation.
func reasonOf(r Row) bi {
	switch r.Status {
	case Existing:
		if r.Rule == "accesskey" {
			return word("existingkey")
		}
	case Unassessed:
		w := word("cannotassess")
		return bi{w.JA + "：" + r.Reason, w.EN + ": " + r.Reason}
	}
	var ja, en []string
	for _, c := range r.Violations {
		ja = append(ja, notify.Explain(c, "ja"))
		en = append(en, notify.Explain(c, "en"))
	}
	if r.Status == Existing {
		ja = append(ja, word("existingnote").JA)
	}
	if r.Reason != "" {
		en = append(en, r.Reason)
		if len(ja) == 0 || r.Status == Exempted || r.Status == ReportOnly || r.Status == Note || r.Status == Revert || r.Status == Failed {
			ja = append(ja, r.Reason)
		}
	}
	if len(ja) == 0 {
		for _, f := range r.Findings {
			ja = append(ja, f.Reason)
		}
	}
	if len(en) == 0 {
		for _, f := range r.Findings {
			en = append(en, f.Reason)
		}
	}
	return bi{strings.Join(ja, "\n"), strings.Join(en, "\n")}
}

func ruleName(rule string) bi {
	if w, ok := ruleWords[rule]; ok {
		return bi{w.JA + "（" + rule + "）", rule}
	}
	return bi{rule, rule}
}

func codes(cs []finding.Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
