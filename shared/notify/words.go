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
type words struct {
	outcome   map[finding.Outcome]string
	severity  map[Severity]string
	rule      map[string]string
	kind      map[string]string
	actor     map[string]string
	violation map[finding.Code]string
	// defaultAction says what the rule does when the rule gave no action lines.
	defaultAction map[string]string
	mode          map[string]string

	// Section headings and labels.
	hWhat, hWho, hWrong, hDid, hUndo, hStack                      string
	account, region, event, eventID, when, resource               string
	outcomeLabel, modeLabel, severityLabel, reason, before, after string
	auditID, revertCmd, cannotUndo, details, statement            string
	sweep, unknownActor, role                                     string

	// Phrases.
	didFixed, wouldFix, compliantNote, exemptedNote, skippedNote, failedNote string
	revertHow, revertHold, nothingToUndo, failedUndo, noPrior                string
	stackNote, noViolations, truncated, footer                               string

	// Digests.
	digestHead, digestWindow, digestCapped, digestMore, digestWhere string
}

var ja = &words{
	outcome: map[finding.Outcome]string{
		finding.Fixed:     "是正しました",
		finding.WouldFix:  "違反を検知しました（変更していません）",
		finding.Compliant: "問題ありません",
		finding.Exempted:  "例外として承認済みのため変更していません",
		finding.Skipped:   "対象外のため処理しませんでした",
		finding.Failed:    "是正に失敗しました（要対応）",
	},
	severity: map[Severity]string{Info: "情報", Warning: "警告", Critical: "重大"},
	rule: map[string]string{
		"accesskey":  "アクセスキーの禁止",
		"iamuser":    "IAMユーザーの禁止",
		"roletrust":  "ロールの信頼ポリシー",
		"bucket":     "S3バケットの保護",
		"accountpab": "アカウントのS3パブリックアクセスブロック",
	},
	kind: map[string]string{
		"access_key": "アクセスキー",
		"user":       "IAMユーザー",
		"role":       "IAMロール",
		"bucket":     "S3バケット",
		"account":    "AWSアカウント",
	},
	actor: map[string]string{
		cloudtrail.ActorSSOUser: "SSOユーザー",
		cloudtrail.ActorRole:    "IAMロール",
		cloudtrail.ActorIAMUser: "IAMユーザー",
		cloudtrail.ActorRoot:    "ルートユーザー",
		cloudtrail.ActorService: "AWSサービス",
		cloudtrail.ActorAccount: "AWSアカウント",
		cloudtrail.ActorUnknown: "不明",
	},
	violation: map[finding.Code]string{
		finding.AccessKeyCreated: "IAMユーザーのアクセスキーが作成されました。ガバメントクラウドでは、人はIAM Identity Center（GCAS SSO）でサインインし、" +
			"アクセスキーはデジタル庁が個別に承認した場合しか使えません。アクセスキーは期限のない認証情報で、漏えいすると誰でもこのアカウントを操作できます。",
		finding.AccessKeyReactivated: "無効にされていたアクセスキーが再び有効にされました。承認のないアクセスキーは使えません。",
		finding.RootAccessKeyCreated: "ルートユーザーのアクセスキーが作成されました。ルートのキーはアカウントのすべてを操作でき、どのポリシーでも制限できません。" +
			"このキーを削除できるのはルートユーザー本人だけで、gcguardには削除できません。",
		finding.IAMUserCreated: "IAMユーザーが作成されました。ガバメントクラウドではIAMユーザーは使いません（人はGCAS SSO、プログラムはIAMロールを使います）。",
		finding.LoginProfileCreated: "IAMユーザーにマネジメントコンソールのパスワード（ログインプロファイル）が設定されました。" +
			"GCAS SSOを経由しないサインインの入口になります。",
		finding.TrustPolicyOverbroad: "ロールの信頼ポリシーが、このロールを引き受けられる人を十分に絞り込んでいません" +
			"（誰でも、他のアカウント、組織全体、このアカウントの全員、またはIDの条件がないフェデレーション）。意図しない人がこのロールの権限を使えます。",
		finding.BucketEncryptionNotKMS: "バケットのデフォルト暗号化が、同じリージョンのカスタマーマネージドKMSキーによるSSE-KMS（またはDSSE-KMS）ではありません。" +
			"SSE-S3やAWS管理キー（aws/s3）はガバメントクラウドの要件を満たしません。",
		finding.BucketKeyWrong: "デフォルト暗号化のKMSキーが許可されたカスタマーマネージドキーではないか、S3バケットキーが有効になっていません。",
		finding.BucketPolicyMissingTLSDeny: "バケットポリシーに、TLS（HTTPS）を使わないアクセスや別の暗号化方式でのアップロードを拒否する文がありません。" +
			"暗号化されていない通信でデータを読み書きできます。",
		finding.BucketPublic:    "バケットポリシーが、誰でも（または条件で絞り込まれていない他者が）アクセスできる許可を含んでいます。",
		finding.BucketACLPublic: "バケットのACLが、全員（AllUsers）または認証済みのすべてのAWSユーザー（AuthenticatedUsers）に権限を与えています。",
		finding.BucketPABOff:    "バケットのパブリックアクセスブロック（4つの設定）がすべて有効にはなっていません。",
		finding.AccountPABOff: "アカウント全体のS3パブリックアクセスブロック（4つの設定）がすべて有効にはなっていません。" +
			"どのバケットでも公開設定ができる状態です。",
		finding.RequestParametersOmitted: "CloudTrailの記録が大きすぎたため、リクエストの内容が省略されていました。" +
			"gcguardはイベントではなく、現在の設定を読み直して判断しています。",
	},
	defaultAction: map[string]string{
		"accesskey":  "イベントで作成（または再有効化）されたアクセスキーだけを削除（設定により無効化）する。同じユーザーの他のキーには触れない。",
		"iamuser":    "通知のみ（設定によりコンソールのパスワードを削除する）。",
		"roletrust":  "信頼ポリシーを、引き受けてよい人だけに絞り込む（許可されたプリンシパルは引き続き引き受けられる）。",
		"bucket":     "KMSによるデフォルト暗号化、TLS必須などの拒否文、公開設定の除去、パブリックアクセスブロックの有効化。",
		"accountpab": "アカウントのS3パブリックアクセスブロックの4つの設定をすべて有効にする。",
	},
	mode: map[string]string{"enforce": "是正モード（enforce）", "notify": "通知モード（notify）", "off": "停止（off）"},

	hWhat: "何が起きたか", hWho: "誰が行ったか", hWrong: "何が問題か", hDid: "gcguardの対処", hUndo: "元に戻すには", hStack: "CloudFormation",
	account: "アカウント", region: "リージョン", event: "イベント", eventID: "イベントID", when: "日時", resource: "リソース",
	outcomeLabel: "結果", modeLabel: "モード", severityLabel: "重大度", reason: "理由", before: "変更前", after: "変更後",
	auditID: "監査ID", revertCmd: "元に戻すコマンド", cannotUndo: "元に戻せないもの", details: "詳細", statement: "ステートメント",
	sweep: "定期点検で検出（イベントなし）", unknownActor: "不明（定期点検ではイベントの実行者は分かりません）", role: "ロール",

	didFixed:      "gcguardは次の変更を行いました:",
	wouldFix:      "通知モードのため何も変更していません。是正モード（enforce）なら次の変更を行います。必要なら手動で対応してください:",
	compliantNote: "現在の設定は要件を満たしています。対応は不要です。",
	exemptedNote:  "承認済みの例外に該当するため、gcguardは何も変更していません。",
	skippedNote:   "gcguardはこのリソースを処理していません。",
	failedNote:    "gcguardは変更を試みましたが、完了していません。リソースは違反したままの可能性があります。至急確認してください。試みた変更:",
	revertHow:     "次のコマンドで、監査記録に保存した変更前の状態に戻せます:",
	revertHold:    "元に戻した後しばらく（保留期間）は、gcguardはこのリソースを再び是正しません。",
	nothingToUndo: "gcguardは何も変更していないため、元に戻す操作はありません。",
	failedUndo:    "変更が途中まで適用された可能性があります。現在の状態を確認し、必要なら監査IDを添えて管理者に連絡してください。",
	noPrior:       "変更前の状態が記録されていないため、gcguardでは元に戻せません。",
	stackNote:     "このリソースはCloudFormationスタック「%s」が管理しています。テンプレートも修正してください。修正しないと、次回のデプロイでこの変更が元に戻ります。",
	noViolations:  "違反はありません。",
	truncated:     "…（以下省略）",
	footer:        "gcguard ガバメントクラウド ガードレール",

	digestHead:   "gcguard まとめ: 同様の通知 %d 件",
	digestWindow: "%s から %s までの %d 分間に、次と同じ内容の通知が %d 件ありました（個別の投稿は省略しました）。",
	digestCapped: "通知が多いため、この時間帯は重大な通知以外をまとめています。",
	digestMore:   "ほか %d 件",
	digestWhere:  "すべての通知はメールでも送信され、監査テーブルに記録されています（`gcguard history`）。",
}

var en = &words{
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
	violation: map[finding.Code]string{
		finding.AccessKeyCreated: "An access key was created for an IAM user. On the Government Cloud people sign in through IAM Identity Center (GCAS SSO); " +
			"access keys are allowed only where the Digital Agency approved them case by case. A key never expires, and whoever holds a leaked key can act in this account.",
		finding.AccessKeyReactivated: "An inactive access key was made active again. Access keys without approval may not be used.",
		finding.RootAccessKeyCreated: "An access key was created for the root user. A root key can do everything in the account and no policy can restrict it. " +
			"Only the root user can delete it; gcguard cannot.",
		finding.IAMUserCreated:      "An IAM user was created. IAM users are not used on the Government Cloud (people use GCAS SSO, programs use IAM roles).",
		finding.LoginProfileCreated: "A console password (login profile) was set for an IAM user. It is a way to sign in that bypasses GCAS SSO.",
		finding.TrustPolicyOverbroad: "The role's trust policy does not narrow down who may assume the role (anyone, other accounts, the whole organization, " +
			"everyone in this account, or a federated provider without an identity condition). People it was not meant for can use the role's permissions.",
		finding.BucketEncryptionNotKMS: "The bucket's default encryption is not SSE-KMS (or DSSE-KMS) with a customer-managed KMS key of the bucket's region. " +
			"SSE-S3 and the AWS-managed key aws/s3 do not meet the Government Cloud requirement.",
		finding.BucketKeyWrong: "The default-encryption KMS key is not an allowed customer-managed key, or the S3 Bucket Key is not enabled.",
		finding.BucketPolicyMissingTLSDeny: "The bucket policy lacks the statements that deny access without TLS (HTTPS) and uploads asking for another encryption. " +
			"Data can be read or written over unencrypted connections.",
		finding.BucketPublic:    "The bucket policy grants access to anyone (or to others not narrowed down by a condition).",
		finding.BucketACLPublic: "The bucket ACL grants permissions to everyone (AllUsers) or to every AWS user (AuthenticatedUsers).",
		finding.BucketPABOff:    "Not all four Block Public Access settings of the bucket are on.",
		finding.AccountPABOff:   "Not all four account-level S3 Block Public Access settings are on. Any bucket in the account can be made public.",
		finding.RequestParametersOmitted: "The CloudTrail record was too large and its request parameters were omitted. " +
			"gcguard judged from the resource's current configuration, not from the event.",
	},
	defaultAction: map[string]string{
		"accesskey":  "Delete (or, by configuration, deactivate) exactly the access key created or reactivated in the event; never another key of the user.",
		"iamuser":    "Notify only (by configuration: delete the console password).",
		"roletrust":  "Tighten the trust policy to the principals allowed to assume the role; allowed principals keep working.",
		"bucket":     "KMS default encryption, deny statements for non-TLS access and other encryptions, public grants removed, Block Public Access on.",
		"accountpab": "Turn all four account-level S3 Block Public Access settings on.",
	},
	mode: map[string]string{"enforce": "enforce", "notify": "notify (report only)", "off": "off"},

	hWhat: "What happened", hWho: "Who did it", hWrong: "What is wrong", hDid: "What gcguard did", hUndo: "How to undo", hStack: "CloudFormation",
	account: "Account", region: "Region", event: "Event", eventID: "Event ID", when: "Time", resource: "Resource",
	outcomeLabel: "Outcome", modeLabel: "Mode", severityLabel: "Severity", reason: "Reason", before: "Before", after: "After",
	auditID: "Audit ID", revertCmd: "Revert command", cannotUndo: "Cannot be undone", details: "Details", statement: "statement",
	sweep: "found by the scheduled sweep (no event)", unknownActor: "unknown (the sweep does not know who made the change)", role: "role",

	didFixed:      "gcguard made these changes:",
	wouldFix:      "Nothing was changed (notify mode). In enforce mode gcguard would make these changes; make them by hand if needed:",
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
	footer:        "gcguard guardrails for the Government Cloud",

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

// Explain says in words what a violation code means, in lang.
func Explain(c finding.Code, lang string) string {
	if v, ok := wordsFor(lang).violation[c]; ok {
		return v
	}
	return string(c)
}
