package notify_test

import (
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// claim is one thing a sentence says, in both languages.
type claim struct{ ja, en string }

var (
	claimPublicGrant  = claim{"不特定の者に権限を付与しています", "grants permissions to everyone outside the account"}
	claimACLsEnabled  = claim{"ACL が有効です", "ACLs are enabled"}
	claimNoTLS        = claim{"TLS（HTTPS）を使用しないリクエストを拒否するステートメントがありません", "no statement denying requests without TLS"}
	claimUnencrypted  = claim{"暗号化されていない通信", "unencrypted connections"}
	claimNotKMS       = claim{"ではありません", "not SSE-KMS"}
	claimSSEC         = claim{"SSE-C", "SSE-C"}
	claimBucketKeyOff = claim{"S3 バケットキーが無効です", "S3 Bucket Key is off"}
	claimCreated      = claim{"が作成されました", "was created"}
	claimExists       = claim{"が存在します", "exists"}
	claimEveryone     = claim{"誰でも（*）", "anyone (*)"}
	claimForeign      = claim{"信頼されていない他の AWS アカウント", "an AWS account that is not trusted"}
	claimOrg          = claim{"組織全体", "a whole organization"}
	claimAccountWide  = claim{"アカウント全体が指定されており", "names the whole account"}
	claimFederated    = claim{"フェデレーション", "federated identity provider"}
	claimJudgedLive   = claim{"現在の設定", "current configuration"}
	claimGCAS         = claim{"GCAS ガイド「ユーザー管理方法（AWS 編）」", "GCAS guide (User management, AWS edition)"}
)

// TestSentencesFollowFacts: for every violation code, the facts in and
// the sentence out, in both languages. Each case lists what the sentence
// must claim (supported by the facts) and what it must not (the fact is
// absent).
func TestSentencesFollowFacts(t *testing.T) {
	cases := []struct {
		name    string
		code    finding.Code
		facts   notify.Facts
		says    []claim
		saysNot []claim
		names   []string // identifiers from the facts, shown as they are
	}{
		{"key created, key known", finding.AccessKeyCreated, notify.Facts{FromEvent: true, AccessKey: "AKIAX", User: "u1"}, []claim{claimCreated, claimGCAS}, nil, []string{"AKIAX", "u1"}},
		{"key created, key unknown", finding.AccessKeyCreated, notify.Facts{FromEvent: true}, []claim{claimCreated}, nil, nil},
		{"key reactivated", finding.AccessKeyReactivated, notify.Facts{FromEvent: true, AccessKey: "AKIAY", User: "u2"}, []claim{{"再び有効化されました", "made active again"}}, []claim{claimCreated}, []string{"AKIAY", "u2"}},
		{"root key", finding.RootAccessKeyCreated, notify.Facts{FromEvent: true}, []claim{{"ルートユーザーのみ", "Only the root user"}}, nil, nil},
		{"user created by an event", finding.IAMUserCreated, notify.Facts{FromEvent: true, User: "u3"}, []claim{claimCreated, claimGCAS}, []claim{claimExists}, []string{"u3"}},
		{"user found by the sweep", finding.IAMUserCreated, notify.Facts{User: "u3"}, []claim{claimExists}, []claim{claimCreated}, []string{"u3"}},
		{"login profile", finding.LoginProfileCreated, notify.Facts{User: "u4"}, []claim{{"コンソールパスワード", "console password"}}, nil, []string{"u4"}},
		{"trust: public", finding.TrustPolicyOverbroad, notify.Facts{TrustKinds: []string{"public"}}, []claim{claimEveryone}, []claim{claimForeign, claimOrg, claimAccountWide, claimFederated}, nil},
		{"trust: foreign account", finding.TrustPolicyOverbroad, notify.Facts{TrustKinds: []string{"foreign_account"}}, []claim{claimForeign}, []claim{claimEveryone, claimOrg, claimAccountWide, claimFederated}, nil},
		{"trust: organization", finding.TrustPolicyOverbroad, notify.Facts{TrustKinds: []string{"org_wide"}}, []claim{claimOrg}, []claim{claimEveryone, claimForeign, claimAccountWide, claimFederated}, nil},
		{"trust: whole account", finding.TrustPolicyOverbroad, notify.Facts{TrustKinds: []string{"account_wide"}}, []claim{claimAccountWide}, []claim{claimEveryone, claimForeign, claimOrg, claimFederated}, nil},
		{"trust: federated", finding.TrustPolicyOverbroad, notify.Facts{TrustKinds: []string{"federated_unrestricted"}}, []claim{claimFederated}, []claim{claimEveryone, claimForeign, claimOrg, claimAccountWide}, nil},
		{"trust: no kind known", finding.TrustPolicyOverbroad, notify.Facts{}, []claim{{"十分に限定されていません", "does not narrow down"}}, []claim{claimEveryone, claimForeign, claimOrg, claimAccountWide, claimFederated}, nil},
		{"encryption AES256", finding.BucketEncryptionNotKMS, notify.Facts{Algorithm: "AES256"}, []claim{claimNotKMS}, []claim{claimSSEC}, []string{"AES256"}},
		{"encryption: only SSE-C allowed", finding.BucketEncryptionNotKMS, notify.Facts{SSECAllowed: true}, []claim{claimSSEC}, []claim{{"AES256", "AES256"}, {"SSE-S3 や", "SSE-S3 and"}}, nil},
		{"encryption: none", finding.BucketEncryptionNotKMS, notify.Facts{Algorithm: "none"}, []claim{{"設定されていません", "no default encryption"}}, []claim{claimSSEC}, nil},
		{"key: another key", finding.BucketKeyWrong, notify.Facts{WrongKey: "arn:aws:kms:ap-northeast-1:1:key/k"}, []claim{{"カスタマー管理キーではありません", "not the customer-managed key"}}, []claim{claimBucketKeyOff}, []string{"arn:aws:kms:ap-northeast-1:1:key/k"}},
		{"key: bucket key off", finding.BucketKeyWrong, notify.Facts{BucketKeyOff: true}, []claim{claimBucketKeyOff}, []claim{{"カスタマー管理キーではありません", "not the customer-managed key"}}, nil},
		{"key: no key configured", finding.BucketKeyWrong, notify.Facts{NoRegionKey: true}, []claim{{"設定されていません", "No customer-managed key is configured"}}, []claim{claimBucketKeyOff}, nil},
		{"policy: no TLS deny", finding.BucketPolicyMissingTLSDeny, notify.Facts{NoTLSDeny: true}, []claim{claimNoTLS, claimUnencrypted}, nil, nil},
		{"policy: gcguard's denies differ", finding.BucketPolicyMissingTLSDeny, notify.Facts{DenyDiffers: true}, []claim{{"内容が異なっています", "missing from the bucket policy or differ"}}, []claim{claimNoTLS, claimUnencrypted}, nil},
		{"policy: unreadable", finding.BucketPolicyMissingTLSDeny, notify.Facts{PolicyUnreadable: true}, []claim{{"解析できない", "cannot be parsed"}}, []claim{claimNoTLS, claimUnencrypted}, nil},
		{"policy: public", finding.BucketPublic, notify.Facts{PublicPrincipals: []string{"*"}}, []claim{{"不特定の者", "anyone"}}, nil, nil},
		{"ACL: public grant", finding.BucketACLPublic, notify.Facts{ACLGrants: []string{"AllUsers READ"}}, []claim{claimPublicGrant, {"全員（AllUsers）", "AllUsers READ"}}, []claim{claimACLsEnabled}, []string{"AllUsers", "READ"}},
		{"ACL: only enabled", finding.BucketACLPublic, notify.Facts{ACLsEnabled: "ObjectWriter"}, []claim{claimACLsEnabled, {"おそれがあります", "can make data public"}}, []claim{claimPublicGrant}, []string{"ObjectWriter"}},
		{"ACL: no facts", finding.BucketACLPublic, notify.Facts{}, []claim{{"おそれがあります", "may make data public"}}, []claim{claimPublicGrant, claimACLsEnabled}, nil},
		{"bucket BPA: two off", finding.BucketPABOff, notify.Facts{PABOff: []string{"BlockPublicPolicy", "RestrictPublicBuckets"}}, []claim{{"BlockPublicPolicy、RestrictPublicBuckets", "BlockPublicPolicy, RestrictPublicBuckets"}}, []claim{{"4 項目すべて無効", "all four settings off"}}, nil},
		{"bucket BPA: not set", finding.BucketPABOff, notify.Facts{PABUnset: true}, []claim{{"4 項目すべて無効", "all four settings off"}}, nil, nil},
		{"account BPA", finding.AccountPABOff, notify.Facts{PABUnset: true}, []claim{{"アカウント全体", "account level"}}, nil, nil},
		{"parameters omitted", finding.RequestParametersOmitted, notify.Facts{FromEvent: true}, []claim{{"省略", "omitted"}}, []claim{claimJudgedLive}, nil},
	}
	covered := map[finding.Code]bool{}
	for _, c := range cases {
		covered[c.code] = true
		for _, lang := range langs {
			got := notify.ExplainFacts(c.code, c.facts, lang)
			pick := func(cl claim) string {
				if lang == "ja" {
					return cl.ja
				}
				return cl.en
			}
			for _, cl := range c.says {
				if !strings.Contains(got, pick(cl)) {
					t.Errorf("%s/%s: sentence does not say %q:\n%s", c.name, lang, pick(cl), got)
				}
			}
			for _, cl := range c.saysNot {
				if strings.Contains(got, pick(cl)) {
					t.Errorf("%s/%s: sentence claims %q without the fact:\n%s", c.name, lang, pick(cl), got)
				}
			}
			for _, n := range c.names {
				if !strings.Contains(got, n) {
					t.Errorf("%s/%s: sentence does not name %s:\n%s", c.name, lang, n, got)
				}
			}
		}
	}
	for _, c := range finding.Codes {
		if !covered[c] {
			t.Errorf("violation code %s has no facts case", c)
		}
	}
}

// TestFactsOfFindings reads facts from the rules' finding reasons.
func TestFactsOfFindings(t *testing.T) {
	f := func(code, reason string) finding.Finding {
		return finding.Finding{Statement: -1, Code: code, Reason: reason}
	}
	cases := []struct {
		name     string
		findings []finding.Finding
		check    func(notify.Facts) bool
	}{
		{"public ACL grant", []finding.Finding{f("bucket_acl_public", "the bucket ACL grants AllUsers READ, AuthenticatedUsers WRITE")},
			func(x notify.Facts) bool { return len(x.ACLGrants) == 2 && x.ACLsEnabled == "" }},
		{"ACLs only enabled", []finding.Finding{f("bucket_acl_public", "ACLs are enabled (Object Ownership ObjectWriter): any bucket or object ACL can make data public")},
			func(x notify.Facts) bool { return x.ACLsEnabled == "ObjectWriter" && len(x.ACLGrants) == 0 }},
		{"ACLs stay enabled is not a violation fact", []finding.Finding{f("bucket_acl_grants_outside_account", "ACLs stay enabled (Object Ownership BucketOwnerPreferred): the ACL grants partner READ, and S3 refuses BucketOwnerEnforced while it does")},
			func(x notify.Facts) bool { return x.ACLsEnabled == "" && len(x.ACLGrants) == 0 }},
		{"encryption problems", []finding.Finding{f("bucket_key_wrong", "default encryption uses key arn:k, not the region's customer-managed key; S3 Bucket Key is off")},
			func(x notify.Facts) bool { return x.WrongKey == "arn:k" && x.BucketKeyOff && x.Algorithm == "" }},
		{"SSE-C only", []finding.Finding{f("bucket_encryption_not_kms", "SSE-C uploads are allowed (BlockedEncryptionTypes NONE)")},
			func(x notify.Facts) bool { return x.SSECAllowed && x.Algorithm == "" }},
		{"no TLS deny", []finding.Finding{f("bucket_policy_missing_tls_deny", "the bucket policy does not deny requests without TLS")},
			func(x notify.Facts) bool { return x.NoTLSDeny && !x.DenyDiffers }},
		{"deny differs", []finding.Finding{f("bucket_policy_missing_tls_deny", "gcguard's Deny statements are missing from the bucket policy or differ")},
			func(x notify.Facts) bool { return x.DenyDiffers && !x.NoTLSDeny }},
		{"BPA off list", []finding.Finding{f("bucket_pab_off", "Block Public Access is not fully on for the bucket: off: BlockPublicPolicy, RestrictPublicBuckets")},
			func(x notify.Facts) bool { return len(x.PABOff) == 2 && !x.PABUnset }},
		{"account BPA unset", []finding.Finding{f("account_pab_off", "account-level Block Public Access is not fully on: not set (all off)")},
			func(x notify.Facts) bool { return x.PABUnset }},
		{"access key", []finding.Finding{f("access_key_created", "access key AKIAQ of IAM user bob is Active")},
			func(x notify.Facts) bool { return x.AccessKey == "AKIAQ" && x.User == "bob" }},
		{"trust kinds in order", []finding.Finding{{Statement: 1, Code: "account_wide"}, {Statement: 0, Code: "public"}, {Statement: 2, Code: "service_no_source"}},
			func(x notify.Facts) bool { return len(x.TrustKinds) == 2 && x.TrustKinds[0] == "public" }},
	}
	for _, c := range cases {
		if got := notify.FactsOf(&notify.Notice{Findings: c.findings}); !c.check(got) {
			t.Errorf("%s: facts %+v", c.name, got)
		}
	}
}

// TestFindingKindsInJapanese: judgements that are not violations
// (service_no_source, unsure) are said in Japanese by their code when the
// policy package's words are not known.
func TestFindingKindsInJapanese(t *testing.T) {
	n := notify.Sample("roletrust", finding.WouldFix)
	n.Findings = []finding.Finding{
		{Statement: 0, Principal: "lambda.amazonaws.com", Code: "service_no_source", Reason: "service principal without aws:SourceAccount or aws:SourceArn: the service may act on another account's behalf (confused deputy)"},
		{Statement: 1, Principal: "AROAEXAMPLE", Code: "unsure", Reason: "some future judgement"},
	}
	text := notify.Text(n, "ja")
	for _, want := range []string{"aws:SourceAccount または aws:SourceArn の条件がないサービスプリンシパルです", "確実には判断できない指定です。［unsure］"} {
		if !strings.Contains(text, want) {
			t.Errorf("ja text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "some future judgement") {
		t.Error("an unknown English judgement leaked into the Japanese notice")
	}
}
