package notify

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
)

// The rules describe their actions, before/after states and findings in
// English words that the audit record keeps as they are. A Japanese notice
// says the same in Japanese: each phrase below is one shape a rule or the
// engine produces (the patterns follow their format strings). A line no
// phrase knows, such as an AWS error message, is shown as it is, marked
// 「（原文）」, so a reader never mistakes it for a translation.

type phrase struct {
	re     *regexp.Regexp
	prefix string // the pattern's literal start: most lines fail on it without running the regexp
	ja     func(m []string) string
}

func ph(pattern string, ja func(m []string) string) phrase {
	// LiteralPrefix sees nothing past a leading ^, so ask the bare pattern.
	prefix, _ := regexp.MustCompile(pattern).LiteralPrefix()
	return phrase{re: regexp.MustCompile("^" + pattern + "$"), prefix: prefix, ja: ja}
}

// lit is a phrase with no arguments.
func lit(en, ja string) phrase {
	return phrase{re: regexp.MustCompile("^" + regexp.QuoteMeta(en) + "$"), prefix: en, ja: func([]string) string { return ja }}
}

var phrases []phrase

// phrasesOnce compiles the phrase table on first use, not at process start:
// a function's cold start should not pay for translations it may never need.
var phrasesOnce sync.Once

func loadPhrases() {
	phrases = []phrase{
		// Access keys.
		ph(`delete access key (\S+) of IAM user (\S+)`, func(m []string) string {
			return "IAM ユーザー " + m[2] + " のアクセスキー " + m[1] + " の削除"
		}),
		ph(`deactivate access key (\S+) of IAM user (\S+)`, func(m []string) string {
			return "IAM ユーザー " + m[2] + " のアクセスキー " + m[1] + " の無効化"
		}),
		ph(`access key (\S+) of IAM user (\S+): (\S+)`, func(m []string) string {
			return "IAM ユーザー " + m[2] + " のアクセスキー " + m[1] + "：" + jaKeyStatus(m[3])
		}),
		ph(`access key (\S+) of IAM user (\S+) is (\S+)`, func(m []string) string {
			return "IAM ユーザー " + m[2] + " のアクセスキー " + m[1] + " の状態：" + jaKeyStatus(m[3])
		}),
		lit("a deleted access key cannot be restored; if the key was approved, add an exemption and create a new key",
			"削除したアクセスキーは復元できません。承認済みのキーであった場合は、例外を登録したうえで新しいキーを作成してください。"),
		lit("the root user has an access key", "ルートユーザーにアクセスキーがあります。"),
		ph(`root user has (\d+) access key\(s\)`, func(m []string) string { return "ルートユーザーのアクセスキー：" + m[1] + " 件" }),
		lit("only the root user can delete the root user's access keys: sign in as root, open Security credentials and delete the key",
			"ルートユーザーのアクセスキーを削除できるのはルートユーザーのみです。ルートユーザーでサインインし、「セキュリティ認証情報」からキーを削除してください。"),
		lit("the event does not say which key; gcguard never touches another key of the user",
			"イベントの記録から対象のキーを特定できないため、gcguard は当該ユーザーの他のキーを一切変更しません。"),
		lit("CloudTrail omitted the parameters: the key cannot be identified, so no key is touched",
			"CloudTrail の記録でリクエストの内容が省略されており、キーを特定できないため、どのキーも変更していません。"),

		// IAM users.
		ph(`IAM user (\S+) \(console password: (true|false)\)`, func(m []string) string {
			return "IAM ユーザー " + m[1] + "（コンソールパスワード：" + map[string]string{"true": "あり", "false": "なし"}[m[2]] + "）"
		}),
		ph(`IAM user (\S+) exists; GCAS accounts use IAM Identity Center instead`, func(m []string) string {
			return "IAM ユーザー " + m[1] + " が存在します。GCAS アカウントは IAM Identity Center 経由でサインインします。"
		}),
		lit("GCAS accounts sign in through IAM Identity Center and need no IAM users: delete the user, or record its approval as an exemption",
			"IAM ユーザーは作成しない運用です。不要であればユーザーを削除し、承認を受けて利用する場合は例外として登録してください。"),
		ph(`IAM user (\S+): console password set`, func(m []string) string { return "IAM ユーザー " + m[1] + "：コンソールパスワードあり" }),
		ph(`IAM user (\S+): no console password`, func(m []string) string { return "IAM ユーザー " + m[1] + "：コンソールパスワードなし" }),
		ph(`IAM user (\S+) has a console password`, func(m []string) string {
			return "IAM ユーザー " + m[1] + " にコンソールパスワードが設定されています。"
		}),
		ph(`delete the console password \(login profile\) of IAM user (\S+)`, func(m []string) string {
			return "IAM ユーザー " + m[1] + " のコンソールパスワード（ログインプロファイル）の削除"
		}),
		lit("a deleted console password cannot be restored; an administrator can set a new one",
			"削除したコンソールパスワードは復元できません。必要な場合は、管理者が新しいパスワードを設定してください。"),
		ph(`configured to report console passwords, not delete them \((\S+)\)`, func(m []string) string {
			return "設定 " + m[1] + " により、コンソールパスワードは削除せず報告のみとしています。"
		}),

		// Role trust.
		ph(`update the trust policy of role (\S+) \(iam:UpdateAssumeRolePolicy\):?`, func(m []string) string {
			return "ロール " + m[1] + " の信頼ポリシーの更新（iam:UpdateAssumeRolePolicy）"
		}),
		ph(`trust policy of role (\S+):`, func(m []string) string { return "ロール " + m[1] + " の信頼ポリシー：" }),
		ph(`no allowed principal could assume before: added quarantine statement (\S+), which matches nobody`, func(m []string) string {
			return "変更前から許可された主体（プリンシパル）が引き受けられなかったため、どの主体（プリンシパル）にも一致しない隔離用のステートメント " + m[1] + " を追加"
		}),
		ph(`dropped (statement \d+(?: \([^)]*\))?): Allow with (.+) lets in everyone not listed`, func(m []string) string {
			return spaced(jaLabel(m[1])) + "を削除（" + m[2] + " による Allow は、列挙されていないすべての主体（プリンシパル）を許可するため）"
		}),
		ph(`replaced (.+) in (statement \d+(?: \([^)]*\))?) with (\S+) restricted by aws:PrincipalArn to (.+)`, func(m []string) string {
			return spaced(jaLabel(m[2])) + "の " + m[1] + " を、aws:PrincipalArn で " + m[4] + " に限定した " + m[3] + " に置き換え"
		}),
		ph(`dropped principal (\S+) from (statement \d+(?: \([^)]*\))?) \((\w+), and covers no allowed principal\)`, func(m []string) string {
			return spaced(jaLabel(m[2])) + "から主体（プリンシパル） " + m[1] + " を削除（" + jaKind(m[3]) + "。許可された主体（プリンシパル）を含まないため）"
		}),
		ph(`dropped principal (\S+) from (statement \d+(?: \([^)]*\))?) \((\w+)\)`, func(m []string) string {
			return spaced(jaLabel(m[2])) + "から主体（プリンシパル） " + m[1] + " を削除（" + jaKind(m[3]) + "）"
		}),
		ph(`replaced principal (\S+) in (statement \d+(?: \([^)]*\))?) with (\S+)`, func(m []string) string {
			return spaced(jaLabel(m[2])) + "の主体（プリンシパル） " + m[1] + " を " + m[3] + " に置き換え"
		}),
		ph(`dropped (statement \d+(?: \([^)]*\))?): no principal left`, func(m []string) string {
			return spaced(jaLabel(m[1])) + "を削除（主体（プリンシパル）が残らないため）"
		}),
		ph(`(statement \d+(?: \([^)]*\))?) now trusts (.+?) restricted by aws:PrincipalArn to (.+?)( \(allowed principals that could assume through the dropped principals\))?`, func(m []string) string {
			return spaced(jaLabel(m[1])) + "の信頼先を " + m[2] + " とし、aws:PrincipalArn で " + m[3] + " に限定"
		}),
		ph(`moved (.+?) out of (statement \d+(?: \([^)]*\))?) into new statement (\S+), restricted by aws:PrincipalArn to (.+?)( \(allowed principals that could assume through the dropped principals\))?`, func(m []string) string {
			return m[1] + " を " + spaced(jaLabel(m[2])) + "から新しいステートメント " + m[3] + " に移し、aws:PrincipalArn で " + m[4] + " に限定"
		}),
		lit("gcguard cannot read this trust policy, so it cannot judge it: review it by hand",
			"gcguard はこの信頼ポリシーを読み取れないため、判断できません。手動で確認してください。"),
		ph(`gcguard cannot tighten this trust policy safely, so it changes nothing: (.+)`, func(m []string) string {
			return "gcguard はこの信頼ポリシーを安全に限定できないため、変更していません。" + rawJA(m[1])
		}),
		lit("the planner found nothing it may change", "gcguard が変更してよい箇所は見つかりませんでした。"),
		ph(`the rewritten policy would be invalid, so nothing is changed: (.+)`, func(m []string) string {
			return "書き換え後のポリシーが無効となるため、変更していません。" + rawJA(m[1])
		}),
		ph(`cannot tell whether role (\S+) is a CDK bootstrap role \(CloudFormation in (\S+): .*\), so it is reported, not changed`, func(m []string) string {
			return "ロール " + m[1] + " が CDK のブートストラップ用ロールかどうかを確認できないため（リージョン " + m[2] + " の CloudFormation）、変更せず報告のみとしました。"
		}),

		// Buckets.
		lit("turn on all four Block Public Access settings of the bucket", "バケットのパブリックアクセスブロック（4 項目）をすべて有効化"),
		ph(`remove the public ACL grants \((.+)\)`, func(m []string) string { return "ACL による公開の付与（" + m[1] + "）の削除" }),
		lit("set Object Ownership to BucketOwnerEnforced (ACLs disabled)", "オブジェクト所有権を BucketOwnerEnforced に設定（ACL を無効化）"),
		ph(`set default encryption to (.+)`, func(m []string) string {
			return "デフォルト暗号化を " + spaced(jaEncryption(m[1])) + "に設定"
		}),
		ph(`write the bucket policy: (.+)`, func(m []string) string { return "バケットポリシーの書き込み：" + jaJoin(m[1], "; ") }),
		lit("the bucket had no policy: created one", "バケットポリシーがなかったため新規作成"),
		ph(`removed (\S+), which the configuration no longer asks for`, func(m []string) string {
			return "設定で不要となったステートメント " + m[1] + " を削除"
		}),
		ph(`removed statement (\d+), a duplicate of (\S+)`, func(m []string) string {
			return "ステートメント " + m[2] + " と重複するステートメント " + m[1] + " を削除"
		}),
		ph(`replaced (\S+), which differed from gcguard's`, func(m []string) string {
			return "gcguard の定める内容と異なっていたステートメント " + m[1] + " を置き換え"
		}),
		ph(`added (\S+)`, func(m []string) string { return "ステートメント " + m[1] + " を追加" }),
		ph(`removed public principal (\S+) from (statement \d+(?: \([^)]*\))?)`, func(m []string) string {
			return spaced(jaLabel(m[2])) + "から公開の主体（プリンシパル） " + m[1] + " を削除"
		}),
		ph(`Block Public Access: (.+)`, func(m []string) string { return "パブリックアクセスブロック：" + jaPABState(m[1]) }),
		ph(`Block Public Access is not fully on for the bucket: (.+)`, func(m []string) string {
			return "バケットのパブリックアクセスブロックが、すべては有効になっていません：" + jaPABState(m[1])
		}),
		ph(`ACL: (.+)`, func(m []string) string { return "ACL：" + jaACL(m[1]) }),
		ph(`the bucket ACL grants (.+)`, func(m []string) string {
			return "バケットの ACL が次の権限を付与しています：" + jaACL(m[1])
		}),
		ph(`ACLs are enabled \(Object Ownership ([^)]*)\): any bucket or object ACL can make data public`, func(m []string) string {
			return "ACL が有効です（オブジェクト所有権：" + jaOwnership(m[1]) + "）。バケットやオブジェクトの ACL によって、データが公開されるおそれがあります。"
		}),
		ph(`ACLs stay enabled \(Object Ownership ([^)]*)\): the ACL grants (.+), and S3 refuses BucketOwnerEnforced while it does`, func(m []string) string {
			return "ACL は有効のままです（オブジェクト所有権：" + jaOwnership(m[1]) + "）。ACL が " + jaACL(m[2]) + " を付与している間は、S3 は BucketOwnerEnforced への変更を受け付けません。"
		}),
		ph(`Object Ownership: (\S+)`, func(m []string) string { return "オブジェクト所有権：" + jaOwnership(m[1]) }),
		ph(`default encryption: (.+)`, func(m []string) string { return "デフォルト暗号化：" + jaEncryption(m[1]) }),
		ph(`default encryption is (\S+), not SSE-KMS`, func(m []string) string {
			if m[1] == "none" {
				return "デフォルト暗号化が設定されていません（SSE-KMS ではありません）。"
			}
			return "デフォルト暗号化が " + m[1] + " であり、SSE-KMS ではありません。"
		}),
		ph(`default encryption uses key (\S+), not the region's customer-managed key`, func(m []string) string {
			return "デフォルト暗号化のキー " + jaNone(m[1]) + " は、このリージョンのカスタマー管理キーではありません。"
		}),
		lit("S3 Bucket Key is off", "S3 バケットキーが無効です。"),
		ph(`SSE-C uploads are allowed \(BlockedEncryptionTypes (\S*)\)`, func(m []string) string {
			return "SSE-C によるアップロードが許可されています（BlockedEncryptionTypes " + m[1] + "）。"
		}),
		ph(`bucket policy: (.+)`, func(m []string) string { return "バケットポリシー：" + jaPolicy(m[1]) }),
		lit("the bucket policy grants public access", "バケットポリシーが公開のアクセスを許可しています。"),
		lit("the bucket policy does not deny requests without TLS", "バケットポリシーが、TLS を使用しないリクエストを拒否していません。"),
		lit("gcguard's Deny statements are missing from the bucket policy or differ", "バケットポリシーに gcguard の拒否のステートメントがないか、内容が異なっています。"),
		ph(`the bucket policy cannot be read: (.+)`, func(m []string) string { return "バケットポリシーを解析できません。" + rawJA(m[1]) }),
		lit("no Deny of requests without TLS (aws:SecureTransport false) on the bucket and its objects",
			"バケットとそのオブジェクトについて、TLS を使用しないリクエスト（aws:SecureTransport が false）を拒否するステートメントがありません。"),
		ph(`not changed \(reported\): (.+)`, func(m []string) string { return "変更しない項目（報告のみ）：" + jaJoin(m[1], "; ") }),
		ph(`encryption: no customer-managed key is configured for region (\S+) \((\S+)\)`, func(m []string) string {
			return "暗号化：リージョン " + m[1] + " のカスタマー管理キーが設定されていません（" + m[2] + "）"
		}),
		lit("policy: it cannot be parsed, so gcguard does not rewrite it", "バケットポリシー：解析できないため、gcguard は書き換えません"),
		ph(`policy: (.+)`, func(m []string) string { return "バケットポリシー：" + translateJA(m[1]) }),
		lit("unchanged", "変更なし"),
		lit("CloudTrail omitted the request parameters: the event does not say which bucket changed",
			"CloudTrail の記録でリクエストの内容が省略されており、どのバケットが変更されたかをイベントから判断できません。"),
		lit("the event names no bucket; the next sweep reads every bucket's live state",
			"イベントからバケットを特定できないため、次回の定期点検ですべてのバケットの現在の設定を確認します。"),
		ph(`the CDK bootstrap staging bucket \((\S+) per CloudFormation\) is never changed by gcguard: its configuration belongs to the CDKToolkit stack; to comply, run (.+)`, func(m []string) string {
			return "CDK のブートストラップ用バケット（CloudFormation の " + m[1] + "）は、CDKToolkit スタックが管理するため gcguard は変更しません。要件を満たすには、次のコマンドを実行してください：`" + strings.ReplaceAll(m[2], "<this region's gcguard key ARN>", "＜このリージョンの gcguard のキーの ARN＞") + "`"
		}),
		lit("log-delivery bucket (its policy grants a log-delivery service): reported only, since ALB/NLB access logs accept only SSE-S3 and delivery must keep working",
			"ログ配信用のバケット（バケットポリシーがログ配信サービスに許可を与えています）のため、報告のみとしました。ALB／NLB のアクセスログは SSE-S3 のみに対応しており、配信を止めないためです。"),
		ph(`the merged policy would be (\d+) bytes minified, over S3's bucket-policy limit of (\d+) bytes: make room in the owner's statements`, func(m []string) string {
			return "統合後のバケットポリシーが " + m[1] + " バイトとなり、S3 の上限（" + m[2] + " バイト）を超えるため変更できません。所有者のステートメントを整理してください。"
		}),

		// Account-level Block Public Access.
		lit("turn on all four account-level Block Public Access settings", "アカウントの S3 パブリックアクセスブロック（4 項目）をすべて有効化"),
		ph(`account (\d{12}) Block Public Access: (.+)`, func(m []string) string {
			return "アカウント " + m[1] + " のパブリックアクセスブロック：" + jaPABState(m[2])
		}),
		ph(`account-level Block Public Access is not fully on: (.+)`, func(m []string) string {
			return "アカウントのパブリックアクセスブロックが、すべては有効になっていません：" + jaPABState(m[1])
		}),

		// Trust and bucket judgements of the policy package (finding reasons).
		lit("every IAM principal of this account may assume (no condition pins the caller)", "このアカウントのすべての IAM 主体（プリンシパル）が引き受けられます（呼び出し元を限定する条件がありません）。"),
		lit("any IAM principal of the account may assume the role", "このアカウントのすべての IAM 主体（プリンシパル）がロールを引き受けられます。"),
		ph(`account (\d{12}) is neither this account nor trusted`, func(m []string) string {
			return "アカウント " + m[1] + " は、このアカウントでも信頼されたアカウントでもありません。"
		}),
		ph(`principal of account (\d{12}), which is neither this account nor trusted`, func(m []string) string {
			return "アカウント " + m[1] + " の主体（プリンシパル）です。このアカウントでも信頼されたアカウントでもありません。"
		}),
		ph(`principals of accounts that are neither this account nor trusted may assume: (.+)`, func(m []string) string {
			return "このアカウントでも信頼されたアカウントでもないアカウントの主体（プリンシパル）が引き受けられます：" + m[1]
		}),
		lit("any AWS principal may assume (no condition pins the caller; sts:ExternalId does not)", "すべての AWS 主体（プリンシパル）が引き受けられます（呼び出し元を限定する条件がありません。sts:ExternalId では限定されません）。"),
		lit("only aws:PrincipalOrgID/PrincipalOrgPaths limit it: every account of the organization may assume", "aws:PrincipalOrgID／PrincipalOrgPaths だけで限定されており、組織内のすべてのアカウントが引き受けられます。"),
		lit("conditions limit it to this account only, which still lets every IAM principal of it assume", "条件でこのアカウントに限定されていますが、このアカウントのすべての IAM 主体（プリンシパル）が引き受けられます。"),
		lit("Allow with NotPrincipal lets in everyone not listed", "NotPrincipal による Allow は、列挙されていないすべての主体（プリンシパル）を許可します。"),
		lit("wildcard service principal", "ワイルドカードのサービスプリンシパルです。"),
		lit("wildcard federated principal", "ワイルドカードのフェデレーテッドプリンシパルです。"),
		lit("service principal without aws:SourceAccount or aws:SourceArn: the service may act on another account's behalf (confused deputy)",
			"aws:SourceAccount または aws:SourceArn の条件がないサービスプリンシパルです。サービスが他のアカウントのために動作するおそれがあります（混乱した代理）。"),
		ph(`identity provider of account (\d{12}), which is neither this account nor trusted`, func(m []string) string {
			return "アカウント " + m[1] + " の ID プロバイダーです。このアカウントでも信頼されたアカウントでもありません。"
		}),
		lit("GitHub Actions OIDC without a sub or repository condition: any repository's workflow may assume (aud alone is the known vulnerable pattern)",
			"sub またはリポジトリの条件がない GitHub Actions の OIDC です。任意のリポジトリのワークフローが引き受けられます（aud のみの条件は既知の脆弱なパターンです）。"),
		lit("Cognito without an exact cognito-identity.amazonaws.com:aud: identities of any identity pool may assume",
			"cognito-identity.amazonaws.com:aud の完全一致の条件がない Cognito です。任意の ID プールの ID が引き受けられます。"),
		lit("EKS OIDC without a sub condition: every service account of the cluster may assume", "sub の条件がない EKS の OIDC です。クラスターのすべてのサービスアカウントが引き受けられます。"),
		ph(`aws:PrincipalArn names principals of accounts that are neither this account nor trusted: (.+)`, func(m []string) string {
			return "aws:PrincipalArn が、このアカウントでも信頼されたアカウントでもないアカウントの主体（プリンシパル）を指定しています：" + m[1]
		}),
		ph(`cannot judge this statement with certainty: (.+)`, func(m []string) string {
			return "このステートメントは確実には判断できません。" + rawJA(m[1])
		}),
		ph(`cannot judge the document with certainty: (.+)`, func(m []string) string {
			return "このポリシーは確実には判断できません。" + rawJA(m[1])
		}),
		lit("a conditional Deny (or one with NotPrincipal) may already remove the principals judged overbroad",
			"条件付きの Deny（または NotPrincipal を含む Deny）によって、広すぎると判断した主体（プリンシパル）がすでに除外されている可能性があります。"),
		lit("a conditional Deny may already make the public grant non-public (e.g. deny unless through a VPC endpoint); removing the grant could break its intended use",
			"条件付きの Deny（VPC エンドポイント経由以外を拒否するなど）によって、公開の許可がすでに限定されている可能性があります。許可を削除すると、本来の用途に支障が出るおそれがあります。"),
		ph(`gcguard cannot read the trust policy: (.+)`, func(m []string) string {
			return "gcguard は信頼ポリシーを読み取れません。" + rawJA(m[1])
		}),

		// Report-only reasons of the trust planner and the account rule.
		ph(`analysis is unsure: (.+)`, func(m []string) string {
			return "確実には判断できない点があるため、報告のみとしました。" + rawJA(m[1])
		}),
		ph(`findings that gcguard reports but never rewrites \((\w+)\)`, func(m []string) string {
			return "gcguard が報告のみとし、書き換えない判断（" + jaKind(m[1]) + "）です。"
		}),
		ph(`reported, never rewritten: (.+)`, func(m []string) string { return "報告のみとし、書き換えません：" + translateLine(m[1]) }),
		ph(`the policy holds content IAM rejects in a trust policy, which gcguard keeps as the owner wrote it: (.+)`, func(m []string) string {
			return "ポリシーに IAM が信頼ポリシーとして受け付けない内容が含まれており、gcguard は所有者の記述のまま残します。" + rawJA(m[1])
		}),
		lit("S3 refused the write (AccessDenied): an organization-level S3 policy or an SCP governs this account's Block Public Access; gcguard reports and does not fight it",
			"S3 が書き込みを拒否しました（AccessDenied）。組織レベルの S3 ポリシーまたは SCP がこのアカウントのパブリックアクセスブロックを管理しているため、gcguard は報告のみとし、設定を争いません。"),
		ph(`existed before gcguard was deployed: reported, not changed \((\S+)=true lets the sweep fix it\)`, func(m []string) string {
			return "gcguard の導入前から存在していたため、報告のみとし変更していません（" + m[1] + "=true とすると定期点検で是正します）。"
		}),

		// The sweep's summary notice (guardrail.SweepReport.Summary).
		ph(`(\w+)/(\w+): (\d+)`, func(m []string) string {
			return or(ja.rule, m[1]) + "（" + m[1] + "）：" + or(ja.outcome, finding.Outcome(m[2])) + " " + m[3] + " 件"
		}),
		ph(`(fixed|would_fix|failed|skipped|exempted|compliant) (\w+) (\S+): (.*)`, func(m []string) string {
			return or(ja.outcome, finding.Outcome(m[1])) + "：" + or(ja.rule, m[2]) + " " + m[3] + "：" + translateLine(m[4])
		}),
		ph(`… and (\d+) more \(gcguard scan lists them all\)`, func(m []string) string {
			return "ほか " + m[1] + " 件（`gcguard scan` ですべて表示できます）"
		}),
		ph(`(\d+) error\(s\), first: (.+?)(?: the sweep stopped at its time limit and goes on from its checkpoint in the next run)?`, func(m []string) string {
			return "エラー " + m[1] + " 件（最初のエラー：" + rawJA(m[2]) + "）"
		}),
		lit("the sweep stopped at its time limit and goes on from its checkpoint in the next run",
			"定期点検は制限時間に達したため中断しました。次回はチェックポイントから再開します。"),

		// The engine.
		lit("rule is in notify mode: nothing is changed", "ルールが通知モード（notify）のため、変更していません。"),
		lit("dry run: nothing is changed", "ドライランのため、変更していません。"),
		ph(`held until (\S+) after revert (\S+)`, func(m []string) string {
			until := m[1]
			if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
				until = whenIn(t, ja)
			}
			return "切り戻し（監査 ID " + m[2] + "）後の保留期間中のため、" + spaced(until) + "まで処理しません。"
		}),
		ph(`exempted until (\S+) \(JST\) by approval (\S+)`, func(m []string) string {
			return "承認 " + m[2] + " による例外の適用期間中です（" + m[1] + " JST まで）。"
		}),
		ph(`exemption (\S+) expired on (\S+) \(JST\)`, func(m []string) string {
			return "例外 " + m[1] + " は " + m[2] + " JST に期限切れとなっています。"
		}),
		ph(`the call failed \((\S+)\): nothing changed`, func(m []string) string {
			return "API 呼び出しが失敗していたため（" + m[1] + "）、変更は発生していません。"
		}),
		ph(`an earlier try of this event \(audit (\S+), (\S+)\) may already have made these changes: (.+); gcguard revert (\S+) restores what it recorded`, func(m []string) string {
			return "このイベントの以前の試行（監査 ID " + m[1] + "、" + m[2] + "）で、次の変更がすでに行われた可能性があります：" + jaJoin(m[3], "; ") + "。gcguard revert " + m[4] + " で記録された状態に戻せます。"
		}),
	}
}

// translateJA says one rule-produced text in Japanese, line by line. A
// line that is JSON or an identifier passes through; a line no phrase
// knows is shown as it is, marked as the original.
func translateJA(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = translateLine(l)
	}
	return strings.Join(lines, "\n")
}

func translateLine(l string) string {
	t := strings.TrimSpace(l)
	if t == "" || !hasLatinWord(t) || document(t) {
		return l
	}
	lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
	phrasesOnce.Do(loadPhrases)
	for _, p := range phrases {
		if !strings.HasPrefix(t, p.prefix) {
			continue
		}
		if m := p.re.FindStringSubmatch(t); m != nil {
			return lead + p.ja(m)
		}
	}
	if !strings.Contains(t, " ") {
		return l // one token: an identifier
	}
	// "a; b" joins independent clauses (reasons, held items).
	if strings.Contains(t, "; ") {
		parts := strings.Split(t, "; ")
		all := true
		for _, p := range parts {
			if strings.HasPrefix(translateLine(p), ja.raw) {
				all = false
			}
		}
		if all {
			return lead + jaJoin(t, "; ")
		}
	}
	return lead + rawJA(t)
}

// spaced puts a space after a Latin word before the next Japanese word,
// and none after a closing bracket.
func spaced(s string) string {
	if strings.HasSuffix(s, "）") || strings.HasSuffix(s, "」") {
		return s
	}
	return s + " "
}

// rawJA marks text shown in its original language.
func rawJA(s string) string { return ja.raw + s }

func jaJoin(s, sep string) string {
	parts := strings.Split(s, sep)
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(translateLine(p), "。")
	}
	return strings.Join(parts, "、")
}

// document is text that is a document or an identifier, not prose: JSON,
// an ARN, a command.
func document(s string) bool {
	switch s[0] {
	case '{', '}', '[', ']', '"':
		return true
	}
	return strings.HasPrefix(s, "arn:") || gcguardCommand.MatchString(s)
}

var gcguardCommand = regexp.MustCompile(`^gcguard (revert|exempt|scan|history|explain|analyze|config|version)\b`)

var latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)

func hasLatinWord(s string) bool { return latinWord.MatchString(s) }

var reLabel = regexp.MustCompile(`^statement (\d+)(?: \(([^)]*)\))?$`)

// jaLabel renders "statement 0 (Sid)" as 「ステートメント 0（Sid：AllowAccount）」.
func jaLabel(s string) string {
	m := reLabel.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	if m[2] != "" {
		return "ステートメント " + m[1] + "（Sid：" + m[2] + "）"
	}
	return "ステートメント " + m[1]
}

func jaKind(k string) string {
	if s, ok := jaKinds[k]; ok {
		return s
	}
	return k
}

// jaKinds names the policy package's analysis codes.
var jaKinds = map[string]string{
	"public":                            "誰でも引き受けられる指定",
	"foreign_account":                   "信頼されていない他のアカウント",
	"org_wide":                          "組織全体の指定",
	"account_wide":                      "アカウント全体の指定",
	"federated_unrestricted":            "条件のないフェデレーション",
	"service_no_source":                 "送信元の条件がないサービスプリンシパル",
	"unsure":                            "確実には判断できない指定",
	"external_account":                  "他のアカウントへの許可",
	"log_delivery":                      "ログ配信サービスへの許可",
	"bucket_acl_grants_outside_account": "アカウント外への ACL の付与",
}

func jaKeyStatus(s string) string {
	switch s {
	case "Active":
		return "有効（Active）"
	case "Inactive":
		return "無効（Inactive）"
	case "deleted":
		return "削除済み"
	}
	return s
}

func jaOwnership(s string) string {
	if s == "none" {
		return "未設定"
	}
	return s
}

func jaNone(s string) string {
	if s == "none" {
		return "なし"
	}
	return s
}

// jaPABState renders the bucket rule's describePAB.
func jaPABState(s string) string {
	switch {
	case s == "not set (all off)":
		return "未設定（4 項目すべて無効）"
	case s == "all four on":
		return "4 項目すべて有効"
	case strings.HasPrefix(s, "off: "):
		return "無効の項目 " + strings.ReplaceAll(strings.TrimPrefix(s, "off: "), ", ", "、")
	}
	return translateLine(s)
}

// jaACL renders the bucket rule's describeACL and grant lists.
func jaACL(s string) string {
	if s == "no grants" {
		return "付与なし"
	}
	parts := strings.Split(s, ", ")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "owner "):
			p = "所有者 " + strings.TrimPrefix(p, "owner ")
		case strings.HasPrefix(p, "canonical user "):
			p = "正規ユーザー " + strings.TrimPrefix(p, "canonical user ")
		}
		parts[i] = p
	}
	return strings.Join(parts, "、")
}

var reEncryption = regexp.MustCompile(`^(\S+)(?: key (\S+))?(?:, bucket key (on|off))?(?:, SSE-C (blocked|allowed))?$`)

// jaEncryption renders the bucket rule's describeEncryption.
func jaEncryption(s string) string {
	if s == "none configured" {
		return "未設定"
	}
	m := reEncryption.FindStringSubmatch(s)
	if m == nil {
		return rawJA(s)
	}
	var extra []string
	if m[2] != "" {
		extra = append(extra, "キー "+m[2])
	}
	switch m[3] {
	case "on":
		extra = append(extra, "S3 バケットキー有効")
	case "off":
		extra = append(extra, "S3 バケットキー無効")
	}
	switch m[4] {
	case "blocked":
		extra = append(extra, "SSE-C はブロック")
	case "allowed":
		extra = append(extra, "SSE-C は許可")
	}
	out := jaNone(m[1])
	if len(extra) > 0 {
		out += "（" + strings.Join(extra, "、") + "）"
	}
	return out
}

var rePolicy = regexp.MustCompile(`^(\d+) statement\(s\) \[(.*)\], (\d+) bytes$`)
var rePolicyBad = regexp.MustCompile(`^(\d+) bytes \(unreadable\)$`)

// jaPolicy renders the bucket rule's describePolicy.
func jaPolicy(s string) string {
	if s == "none" {
		return "なし"
	}
	if m := rePolicy.FindStringSubmatch(s); m != nil {
		return "ステートメント " + m[1] + " 件［" + strings.ReplaceAll(m[2], "none", "Sid なし") + "］、" + m[3] + " バイト"
	}
	if m := rePolicyBad.FindStringSubmatch(s); m != nil {
		return m[1] + " バイト（解析できません）"
	}
	return rawJA(s)
}
