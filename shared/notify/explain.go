package notify

import (
	"regexp"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/finding"
)

// Facts are what the findings of one notice establish. A violation's
// sentence claims only what its facts support: "the ACL grants everyone
// access" needs a public grant, "ACLs are enabled" is all an Object
// Ownership finding shows. Zero Facts make no claim beyond the code.
type Facts struct {
	FromEvent bool // an API call caused the notice (the sweep has no event)

	AccessKey, User string // the key and its user, when the finding names them

	TrustKinds []string // analysis codes of trust findings: public, foreign_account, org_wide, account_wide, federated_unrestricted

	ACLGrants   []string // public ACL grants, such as "AllUsers READ"
	ACLsEnabled string   // Object Ownership setting while ACLs are enabled

	Algorithm    string // default encryption algorithm when it is not SSE-KMS ("none": not set)
	SSECAllowed  bool   // SSE-C uploads are allowed
	WrongKey     string // the key default encryption uses instead of the region's
	NoRegionKey  bool   // no customer-managed key is configured for the region
	BucketKeyOff bool

	NoTLSDeny        bool // the policy has no Deny of requests without TLS
	PolicyUnreadable bool
	DenyDiffers      bool // gcguard's Deny statements are missing or differ

	PublicPrincipals []string // principals a bucket policy grants publicly

	PABOff   []string // Block Public Access settings that are off
	PABUnset bool     // no Block Public Access configuration at all
}

var (
	reKeyOfUser    = regexp.MustCompile(`^access key (\S+) (?:of IAM user|was created for IAM user) (\S+?)(?::| is |$)`)
	reUser         = regexp.MustCompile(`^IAM user (\S+) `)
	reACLGrants    = regexp.MustCompile(`^the bucket ACL grants (.+)$`)
	reACLsEnabled  = regexp.MustCompile(`^ACLs (?:are|stay) enabled \(Object Ownership ([^)]*)\)`)
	reAlgorithm    = regexp.MustCompile(`default encryption is (\S+), not SSE-KMS`)
	reWrongKey     = regexp.MustCompile(`default encryption uses key (\S+), not the region's customer-managed key`)
	rePABOff       = regexp.MustCompile(`Block Public Access is not fully on[^:]*: (.+)$`)
	trustKindOrder = []string{"public", "foreign_account", "org_wide", "account_wide", "federated_unrestricted"}
)

// FactsOf reads the facts a notice's findings establish. The findings'
// reasons are the rules' own words; the patterns here follow them, and
// TestFactsFromRuleFindings feeds the rules' exact shapes.
func FactsOf(n *Notice) Facts {
	f := Facts{FromEvent: n.EventName != ""}
	for _, fd := range n.Findings {
		r := fd.Reason
		if m := reKeyOfUser.FindStringSubmatch(r); m != nil {
			f.AccessKey, f.User = m[1], m[2]
		} else if m := reUser.FindStringSubmatch(r); m != nil {
			f.User = m[1]
		}
		if slices.Contains(trustKindOrder, fd.Code) && !slices.Contains(f.TrustKinds, fd.Code) {
			f.TrustKinds = append(f.TrustKinds, fd.Code)
		}
		if m := reACLGrants.FindStringSubmatch(r); m != nil {
			f.ACLGrants = append(f.ACLGrants, strings.Split(m[1], ", ")...)
		}
		if m := reACLsEnabled.FindStringSubmatch(r); m != nil && strings.HasPrefix(r, "ACLs are") {
			f.ACLsEnabled = m[1]
		}
		for _, part := range strings.Split(r, "; ") {
			if m := reAlgorithm.FindStringSubmatch(part); m != nil {
				f.Algorithm = m[1]
			}
			if m := reWrongKey.FindStringSubmatch(part); m != nil {
				f.WrongKey = m[1]
			}
			switch {
			case strings.HasPrefix(part, "SSE-C uploads are allowed"):
				f.SSECAllowed = true
			case part == "S3 Bucket Key is off":
				f.BucketKeyOff = true
			case strings.Contains(part, "no customer-managed key is configured"):
				f.NoRegionKey = true
			}
		}
		switch {
		case strings.Contains(r, "does not deny requests without TLS"), strings.HasPrefix(r, "no Deny of requests without TLS"):
			f.NoTLSDeny = true
		case strings.HasPrefix(r, "the bucket policy cannot be read"):
			f.PolicyUnreadable = true
		case strings.HasPrefix(r, "gcguard's Deny statements are missing"):
			f.DenyDiffers = true
		}
		if fd.Code == string(finding.BucketPublic) && fd.Principal != "" && !slices.Contains(f.PublicPrincipals, fd.Principal) {
			f.PublicPrincipals = append(f.PublicPrincipals, fd.Principal)
		}
		if m := rePABOff.FindStringSubmatch(r); m != nil {
			switch {
			case strings.HasPrefix(m[1], "not set"):
				f.PABUnset = true
			case strings.HasPrefix(m[1], "off: "):
				f.PABOff = strings.Split(strings.TrimPrefix(m[1], "off: "), ", ")
			}
		}
	}
	slices.SortFunc(f.TrustKinds, func(a, b string) int { return slices.Index(trustKindOrder, a) - slices.Index(trustKindOrder, b) })
	return f
}

// Explain says in words what a violation code means, in lang, claiming
// nothing the code alone does not establish.
func Explain(c finding.Code, lang string) string {
	return ExplainFacts(c, Facts{}, lang)
}

// gcasBasis says where "no IAM users, no access keys" comes from. The GCAS
// guide's user-management page (AWS) says that, with GCAS accounts signing
// in to AWS through IAM Identity Center, organizations need not create
// other user accounts; gcguard enforces it as this account's operator
// configured it.
var gcasBasis = map[string]string{
	Japanese: "デジタル庁の GCAS ガイド「ユーザー管理方法（AWS 編）」では、GCAS アカウントによる IAM Identity Center 経由のシングルサインオンが提供されているため、GCAS アカウント以外のユーザーアカウントを利用組織が作成する必要はないとされています。",
	English:  "The Digital Agency's GCAS guide (User management, AWS edition) says that, as GCAS accounts sign in to AWS through IAM Identity Center, organizations need not create user accounts other than GCAS accounts.",
}

// ExplainFacts is the sentence for one violation, from its facts.
func ExplainFacts(c finding.Code, f Facts, lang string) string {
	if Lang(lang) == English {
		return explainEN(c, f)
	}
	return explainJA(c, f)
}

func explainJA(c finding.Code, f Facts) string {
	var s []string
	add := func(x ...string) { s = append(s, x...) }
	who := func() string {
		if f.User != "" {
			return "IAM ユーザー " + f.User + " "
		}
		return "IAM ユーザー"
	}
	switch c {
	case finding.AccessKeyCreated:
		key := "のアクセスキー"
		if f.AccessKey != "" {
			key = "のアクセスキー " + f.AccessKey + " "
		}
		add(who()+key+"が作成されました。", "アクセスキーは有効期限のない認証情報であり、漏えいした場合、第三者がこのアカウントを操作するおそれがあります。", gcasBasis[Japanese])
	case finding.AccessKeyReactivated:
		key := "のアクセスキー"
		if f.AccessKey != "" {
			key = "のアクセスキー " + f.AccessKey + " "
		}
		add("無効化されていた"+who()+key+"が、再び有効化されました。", gcasBasis[Japanese])
	case finding.RootAccessKeyCreated:
		add("ルートユーザーのアクセスキーが作成されました。", "ルートユーザーのアクセスキーはアカウントのすべての操作が可能であり、ポリシーで制限することはできません。",
			"このキーを削除できるのはルートユーザーのみであり、gcguard は削除できません。")
	case finding.IAMUserCreated:
		what := "が作成されました。"
		if !f.FromEvent {
			what = "が存在します。"
		}
		add(who()+what, gcasBasis[Japanese])
	case finding.LoginProfileCreated:
		add(who()+"にコンソールパスワード（ログインプロファイル）が設定されています。", "GCAS アカウントによるシングルサインオンを経由せずにサインインできる状態です。")
	case finding.TrustPolicyOverbroad:
		add("ロールの信頼ポリシーで、このロールを引き受けられる主体（プリンシパル）が十分に限定されていません。")
		for _, k := range f.TrustKinds {
			add(map[string]string{
				"public":                 "誰でも（*）引き受けられる指定があります。",
				"foreign_account":        "信頼されていない他の AWS アカウントが指定されています。",
				"org_wide":               "組織全体（aws:PrincipalOrgID）が指定されています。ガバメントクラウドの組織には、他の事業者や団体のアカウントも含まれます。",
				"account_wide":           "アカウント全体が指定されており、このアカウントのすべての IAM 主体（プリンシパル）が引き受けられます。",
				"federated_unrestricted": "ID の条件がないフェデレーション（外部 ID プロバイダー）が指定されています。",
			}[k])
		}
		add("意図しない主体（プリンシパル）がこのロールの権限を使用するおそれがあります。")
	case finding.BucketEncryptionNotKMS:
		switch {
		case f.Algorithm == "none":
			add("バケットのデフォルト暗号化が設定されていません。")
		case f.Algorithm != "":
			add("バケットのデフォルト暗号化が " + f.Algorithm + " であり、カスタマー管理キーによる SSE-KMS（または DSSE-KMS）ではありません。")
		}
		if f.Algorithm != "" {
			add("SSE-S3 や AWS 管理キー（aws/s3）は、ガバメントクラウドの推奨構成を満たしません。")
		}
		if f.SSECAllowed {
			add("SSE-C（利用者が用意したキーによる暗号化）でのアップロードが許可されています。")
		}
		if len(s) == 0 {
			add("バケットのデフォルト暗号化が、このリージョンのカスタマー管理キーによる SSE-KMS（または DSSE-KMS）になっていません。")
		}
	case finding.BucketKeyWrong:
		if f.WrongKey != "" {
			add("デフォルト暗号化のキー " + f.WrongKey + " は、このリージョン用に設定されたカスタマー管理キーではありません。")
		}
		if f.NoRegionKey {
			add("このリージョン用のカスタマー管理キーが gcguard に設定されていません。")
		}
		if f.BucketKeyOff {
			add("S3 バケットキーが無効です。")
		}
		if len(s) == 0 {
			add("デフォルト暗号化のキーが許可されたカスタマー管理キーでないか、S3 バケットキーが無効です。")
		}
	case finding.BucketPolicyMissingTLSDeny:
		if f.NoTLSDeny {
			add("バケットポリシーに、TLS（HTTPS）を使用しないリクエストを拒否するステートメントがありません。", "暗号化されていない通信でデータが読み書きされるおそれがあります。")
		}
		if f.PolicyUnreadable {
			add("バケットポリシーを解析できないため、TLS を必須とする拒否のステートメントの有無を確認できません。")
		}
		if f.DenyDiffers && !f.NoTLSDeny {
			add("バケットポリシーに、gcguard の拒否のステートメント（TLS の必須化、他の暗号化方式の拒否）が欠けているか、内容が異なっています。")
		}
		if len(s) == 0 {
			add("バケットポリシーに、gcguard が求める拒否のステートメント（TLS の必須化など）が揃っていません。")
		}
	case finding.BucketPublic:
		if len(f.PublicPrincipals) > 0 {
			add("バケットポリシーが、条件で限定されない不特定の者（主体（プリンシパル） " + strings.Join(f.PublicPrincipals, "、") + " ）にアクセスを許可しています。")
		} else {
			add("バケットポリシーが、条件で限定されない不特定の者にアクセスを許可しています。")
		}
		add("バケットのデータが公開されるおそれがあります。")
	case finding.BucketACLPublic:
		if len(f.ACLGrants) > 0 {
			add("バケットの ACL が、不特定の者に権限を付与しています（"+jaGrants(f.ACLGrants)+"）。", "バケットのデータが公開されるおそれがあります。")
		}
		if f.ACLsEnabled != "" {
			add("バケットの ACL が有効です（オブジェクト所有権："+jaOwnership(f.ACLsEnabled)+"）。", "バケットやオブジェクトの ACL によって、データが公開されるおそれがあります。")
		}
		if len(s) == 0 {
			add("バケットの ACL によって、データが公開されるおそれがあります。")
		}
	case finding.BucketPABOff:
		add("バケットの" + jaPAB(f))
	case finding.AccountPABOff:
		add("アカウント全体の S3 "+jaPAB(f), "アカウント内のバケットが公開設定にされても、アカウント全体では防止できないおそれがあります。")
	case finding.RequestParametersOmitted:
		add("CloudTrail の記録でリクエストの内容が省略されていたため（記録が大きすぎる場合に省略されます）、イベントの記録だけでは変更内容を判断できません。")
	default:
		add(string(c))
	}
	return strings.Join(s, "")
}

func jaPAB(f Facts) string {
	switch {
	case f.PABUnset:
		return "パブリックアクセスブロックが設定されていません（4 項目すべて無効）。"
	case len(f.PABOff) > 0:
		return "パブリックアクセスブロックのうち、次の設定が無効です：" + strings.Join(f.PABOff, "、") + "。"
	}
	return "パブリックアクセスブロック（4 項目）のうち、有効になっていない設定があります。"
}

// jaGrants names ACL grantees the way the S3 console does.
func jaGrants(gs []string) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		who, perm, _ := strings.Cut(g, " ")
		switch who {
		case "AllUsers":
			who = "全員（AllUsers）"
		case "AuthenticatedUsers":
			who = "認証済みのすべての AWS ユーザー（AuthenticatedUsers）"
		}
		out[i] = strings.TrimSpace(who + " に " + perm)
	}
	return strings.Join(out, "、")
}

func explainEN(c finding.Code, f Facts) string {
	var s []string
	add := func(x ...string) { s = append(s, x...) }
	user := "an IAM user"
	if f.User != "" {
		user = "IAM user " + f.User
	}
	key := "An access key"
	if f.AccessKey != "" {
		key = "Access key " + f.AccessKey
	}
	switch c {
	case finding.AccessKeyCreated:
		add(key+" was created for "+user+".", "An access key never expires; whoever holds a leaked key can act in this account.", gcasBasis[English])
	case finding.AccessKeyReactivated:
		add(key+" of "+user+" was inactive and has been made active again.", gcasBasis[English])
	case finding.RootAccessKeyCreated:
		add("An access key was created for the root user.", "A root key can do everything in the account and no policy can restrict it.",
			"Only the root user can delete it; gcguard cannot.")
	case finding.IAMUserCreated:
		what := " was created."
		if !f.FromEvent {
			what = " exists."
		}
		u := "An IAM user"
		if f.User != "" {
			u = "IAM user " + f.User
		}
		add(u+what, gcasBasis[English])
	case finding.LoginProfileCreated:
		add("A console password (login profile) is set for "+user+".", "It is a way to sign in that bypasses GCAS single sign-on.")
	case finding.TrustPolicyOverbroad:
		add("The role's trust policy does not narrow down who may assume the role.")
		for _, k := range f.TrustKinds {
			add(map[string]string{
				"public":                 "It lets anyone (*) assume it.",
				"foreign_account":        "It names an AWS account that is not trusted.",
				"org_wide":               "It names a whole organization (aws:PrincipalOrgID); the Government Cloud organization holds other vendors' and bodies' accounts too.",
				"account_wide":           "It names the whole account, so every IAM principal of this account may assume it.",
				"federated_unrestricted": "It names a federated identity provider without an identity condition.",
			}[k])
		}
		add("Principals it was not meant for may use the role's permissions.")
	case finding.BucketEncryptionNotKMS:
		switch {
		case f.Algorithm == "none":
			add("The bucket has no default encryption configured.")
		case f.Algorithm != "":
			add("The bucket's default encryption is " + f.Algorithm + ", not SSE-KMS (or DSSE-KMS) with a customer-managed key.")
		}
		if f.Algorithm != "" {
			add("SSE-S3 and the AWS-managed key aws/s3 do not meet the Government Cloud's recommended setup.")
		}
		if f.SSECAllowed {
			add("Uploads with SSE-C (keys supplied by the caller) are allowed.")
		}
		if len(s) == 0 {
			add("The bucket's default encryption is not SSE-KMS (or DSSE-KMS) with this region's customer-managed key.")
		}
	case finding.BucketKeyWrong:
		if f.WrongKey != "" {
			add("Default encryption uses key " + f.WrongKey + ", not the customer-managed key configured for this region.")
		}
		if f.NoRegionKey {
			add("No customer-managed key is configured in gcguard for this region.")
		}
		if f.BucketKeyOff {
			add("The S3 Bucket Key is off.")
		}
		if len(s) == 0 {
			add("The default-encryption key is not an allowed customer-managed key, or the S3 Bucket Key is off.")
		}
	case finding.BucketPolicyMissingTLSDeny:
		if f.NoTLSDeny {
			add("The bucket policy has no statement denying requests without TLS (HTTPS).", "Data may be read or written over unencrypted connections.")
		}
		if f.PolicyUnreadable {
			add("The bucket policy cannot be parsed, so whether it denies requests without TLS cannot be checked.")
		}
		if f.DenyDiffers && !f.NoTLSDeny {
			add("gcguard's deny statements (TLS required, other encryptions denied) are missing from the bucket policy or differ.")
		}
		if len(s) == 0 {
			add("The bucket policy lacks deny statements gcguard requires (such as requiring TLS).")
		}
	case finding.BucketPublic:
		if len(f.PublicPrincipals) > 0 {
			add("The bucket policy grants access to anyone not narrowed down by a condition (principal " + strings.Join(f.PublicPrincipals, ", ") + ").")
		} else {
			add("The bucket policy grants access to anyone not narrowed down by a condition.")
		}
		add("The bucket's data may be public.")
	case finding.BucketACLPublic:
		if len(f.ACLGrants) > 0 {
			add("The bucket ACL grants permissions to everyone outside the account ("+strings.Join(f.ACLGrants, ", ")+").", "The bucket's data may be public.")
		}
		if f.ACLsEnabled != "" {
			own := "Object Ownership " + f.ACLsEnabled
			if f.ACLsEnabled == "none" {
				own = "Object Ownership not set"
			}
			add("ACLs are enabled on the bucket ("+own+").", "A bucket or object ACL can make data public.")
		}
		if len(s) == 0 {
			add("The bucket's ACLs may make data public.")
		}
	case finding.BucketPABOff:
		add(enPAB(f, "the bucket"))
	case finding.AccountPABOff:
		add(enPAB(f, "the account (S3, account level)"), "A bucket made public is not stopped at the account level.")
	case finding.RequestParametersOmitted:
		add("CloudTrail omitted the request parameters (it does so for oversized records), so the event alone does not say what changed.")
	default:
		add(string(c))
	}
	return strings.Join(s, " ")
}

func enPAB(f Facts, whose string) string {
	switch {
	case f.PABUnset:
		return "Block Public Access of " + whose + " is not configured (all four settings off)."
	case len(f.PABOff) > 0:
		return "These Block Public Access settings of " + whose + " are off: " + strings.Join(f.PABOff, ", ") + "."
	}
	return "Not all four Block Public Access settings of " + whose + " are on."
}
