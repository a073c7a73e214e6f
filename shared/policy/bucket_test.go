// Coverage matrix: each case file in testdata/bucket and what it covers.
// Verdict flags: external, log (log delivery), nosource (service principal
// without a source condition), notls (no Deny of insecure transport), org,
// public, unsure; "clean" when none. Plan: rewrite, none, report, error.
//
//	public forms
//	  public_star_string              Principal "*"
//	  public_aws_star                 {"AWS":"*"}
//	  public_aws_star_list            {"AWS":["*"]} on bucket and objects
//	  public_notprincipal             Allow with NotPrincipal (statement dropped, others kept)
//	  public_partial_wildcard_root    arn:aws:iam::*:root
//	  public_mixed_principals         "*" removed per principal, two roles kept
//	  public_mixed_types              {"AWS":"*"} removed, service principal kept
//	  public_service_wildcard         {"Service":"*"}
//	  public_website_with_others      static-website PublicReadGetObject between owner statements
//	  public_write_anonymous          anonymous PutObject/PutObjectAcl
//	  statement_object_public         Statement as one public object
//	  version_2008_public             Version 2008-10-17 kept
//	  urlencoded_public               URL-encoded input
//	  order_kept_many                 six statements, public ones removed, order kept
//	  deny_unconditional_kept         public Allow next to an unconditional Deny
//	conditions that restrict (S3 "The meaning of public") and that do not
//	  sourceip_fixed                  IpAddress aws:SourceIp /24 and a single address
//	  sourceip_slash8                 10.0.0.0/8 (the widest IPv4 range that restricts)
//	  sourceip_ipv6                   2001:db8::/32 (the widest IPv6 range that restricts)
//	  sourceip_all                    0.0.0.0/0 does not restrict
//	  sourceip_ipv6_all               ::/0 does not restrict
//	  sourceip_too_broad              one /1 among the values spoils the set
//	  sourceip_negated                NotIpAddress does not restrict
//	  sourceip_ifexists               IpAddressIfExists does not restrict
//	  sourcevpce_fixed                aws:SourceVpce fixed
//	  sourcevpce_ifexists             StringEqualsIfExists does not restrict
//	  sourcevpce_wildcard             StringLike vpce-* is not a fixed value
//	  sourcevpce_forallvalues         ForAllValues: is vacuously true over a missing key
//	  sourcevpc_fixed                 aws:SourceVpc fixed
//	  sourcearn_fixed                 aws:SourceArn fixed
//	  sourceaccount_foreign           aws:SourceAccount of a foreign account: not public, external
//	  sourceaccount_negated           StringNotEquals aws:SourceAccount does not restrict
//	  principalaccount_own            aws:PrincipalAccount = own account
//	  principalarn_foreign            aws:PrincipalArn naming a foreign role: external
//	  userid_fixed                    aws:userid fixed (a user's unique ID)
//	  userid_roleid_star              aws:userid "AROLEID:*" does not restrict (S3's rule)
//	  kms_key_id_fixed                s3:x-amz-server-side-encryption-aws-kms-key-id fixed
//	  orgid_untrusted                 aws:PrincipalOrgID of another org: org_wide, reported not removed
//	  orgid_trusted                   aws:PrincipalOrgID of the trusted org
//	  orgpaths_untrusted              ForAnyValue:StringLike aws:PrincipalOrgPaths of another org
//	  orgid_ifexists                  StringEqualsIfExists aws:PrincipalOrgID does not restrict
//	  referer_only                    aws:Referer restricts nothing
//	  securetransport_allow_only      Allow "*" over TLS is still public
//	  policy_variable_2012            a policy variable is not a fixed value
//	  policy_variable_2008            ${…} is literal under 2008-10-17
//	  ops_case_insensitive            operator and key in other case
//	CloudFront
//	  cloudfront_oac                  service principal + AWS:SourceArn of one distribution
//	  cloudfront_oac_account_pattern  ArnLike SourceArn distribution/* of own account
//	  cloudfront_oac_no_source        OAC without SourceArn: any distribution (reported)
//	  cloudfront_oai                  origin access identity (Version 2008, Id kept)
//	log delivery (report-only class) and other service principals
//	  logdelivery_s3_access_logs      logging.s3.amazonaws.com
//	  logdelivery_elb_account         ELB account of ap-northeast-1 (ALB access logs)
//	  logdelivery_elb_service         logdelivery.elasticloadbalancing.amazonaws.com
//	  logdelivery_delivery_logs       delivery.logs.amazonaws.com write + ACL check
//	  logdelivery_cloudfront_canonical CloudFront standard logging canonical user
//	  service_cloudtrail              CloudTrail ACL check + write with SourceArn
//	  service_no_source               service principal without a source condition
//	  service_foreign_source          aws:SourceAccount naming a foreign account
//	cross-account and other principals
//	  cross_account_root              foreign :root: reported, kept
//	  cross_account_role_bare_id      foreign role and bare account ID
//	  trusted_account                 trusted account
//	  other_partition                 own account ID in aws-cn is another account
//	  canonical_user_other            CanonicalUser: fixed, kept
//	  unique_id_principal             unique ID of a deleted role
//	existing TLS denies
//	  tls_owner_s3star                owner's Deny s3:* bucket+objects (gcguard's added too)
//	  tls_owner_star_action_aws_star  Action "*", {"AWS":"*"}, boolean false
//	  tls_owner_boolifexists          BoolIfExists
//	  tls_owner_wildcard_resource     Resource pattern covering the bucket
//	  tls_owner_objects_only          objects only: does not count
//	  tls_owner_extra_condition       also conditioned on SourceVpce: does not count
//	  tls_owner_tlsversion_only       s3:TlsVersion only: does not count
//	gcguard's own statements
//	  gcguard_tampered_tls            GcguardDenyInsecureTransport edited: replaced
//	  gcguard_old_kms_key             GcguardDenyOtherKMSKey for another key: replaced
//	  (every rewrite's output is planned again and must be unchanged)
//	size
//	  size_near_limit_fits            ~18.9 KB minified (24 KB as written): fits after the merge
//	  size_near_limit_overflow        ~19.9 KB minified: the merge would pass 20 KB: report
//	forms
//	  statement_object                Statement as one object
//	  empty_statement_list            "Statement": []
//	  version_missing                 no Version (kept absent)
//	  unknown_member_kept             unknown statement and top-level members, Id kept
//	  urlencoded_plus_kept            URL-encoded: + stays +
//	unsure (report only)
//	  unsure_unknown_operator         unknown condition operator
//	  unsure_conditional_deny_vpce    Deny unless SourceVpce may already make "*" non-public
//	  unsure_bare_string_principal    Principal a bare ARN string
//	  unsure_effect_lowercase         Effect "allow"
//	  unsure_unknown_principal_type   principal type "Aws"
//	  unsure_no_principal             Allow without Principal
//	  unsure_duplicate_member         duplicate Principal member

package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/finding"
)

// bucketOpt is the configuration every bucket case is judged under; the
// accounts and organizations are testOpt's.
var bucketOpt = BucketOptions{
	Account:         "111111111111",
	Bucket:          "gcguard-test-bucket",
	Region:          "ap-northeast-1",
	KMSKeyARN:       simKey,
	TrustedAccounts: []string{"222222222222"},
	TrustedOrg:      "o-trusted123",
}

var bucketCases = []struct{ name, want string }{
	{"canonical_user_other", "notls|rewrite"},
	{"cloudfront_oac", "notls|rewrite"},
	{"compliant_after_merge", "clean|none"},
	{"cloudfront_oac_account_pattern", "notls|rewrite"},
	{"cloudfront_oac_no_source", "nosource,notls|rewrite"},
	{"cloudfront_oai", "notls|rewrite"},
	{"cross_account_role_bare_id", "external,notls|rewrite"},
	{"cross_account_root", "external,notls|rewrite"},
	{"deny_unconditional_kept", "notls,public|rewrite"},
	{"empty_statement_list", "notls|rewrite"},
	{"gcguard_old_kms_key", "notls|rewrite"},
	{"gcguard_tampered_tls", "notls|rewrite"},
	{"kms_key_id_fixed", "notls|rewrite"},
	{"logdelivery_cloudfront_canonical", "log,notls|rewrite"},
	{"logdelivery_delivery_logs", "log,notls|rewrite"},
	{"logdelivery_elb_account", "log,notls|rewrite"},
	{"logdelivery_elb_service", "log,notls|rewrite"},
	{"logdelivery_s3_access_logs", "log,notls|rewrite"},
	{"ops_case_insensitive", "notls|rewrite"},
	{"order_kept_many", "notls,public|rewrite"},
	{"orgid_ifexists", "notls,public|rewrite"},
	{"orgid_trusted", "notls|rewrite"},
	{"orgid_untrusted", "notls,org|rewrite"},
	{"orgpaths_untrusted", "notls,org|rewrite"},
	{"other_partition", "external,notls|rewrite"},
	{"policy_variable_2008", "notls|rewrite"},
	{"policy_variable_2012", "notls,public|rewrite"},
	{"principalaccount_own", "notls|rewrite"},
	{"principalarn_foreign", "external,notls|rewrite"},
	{"public_aws_star", "notls,public|rewrite"},
	{"public_aws_star_list", "notls,public|rewrite"},
	{"public_mixed_principals", "notls,public|rewrite"},
	{"public_mixed_types", "log,nosource,notls,public|rewrite"},
	{"public_notprincipal", "notls,public|rewrite"},
	{"public_partial_wildcard_root", "notls,public|rewrite"},
	{"public_service_wildcard", "notls,public|rewrite"},
	{"public_star_string", "notls,public|rewrite"},
	{"public_website_with_others", "notls,public|rewrite"},
	{"public_write_anonymous", "notls,public|rewrite"},
	{"referer_only", "notls,public|rewrite"},
	{"securetransport_allow_only", "notls,public|rewrite"},
	{"service_cloudtrail", "log,notls|rewrite"},
	{"service_foreign_source", "external,log,notls|rewrite"},
	{"service_no_source", "log,nosource,notls|rewrite"},
	{"size_near_limit_fits", "notls|rewrite"},
	{"size_near_limit_overflow", "notls|report"},
	{"sourceaccount_foreign", "external,notls|rewrite"},
	{"sourceaccount_negated", "notls,public|rewrite"},
	{"sourcearn_fixed", "notls|rewrite"},
	{"sourceip_all", "notls,public|rewrite"},
	{"sourceip_fixed", "notls|rewrite"},
	{"sourceip_ifexists", "notls,public|rewrite"},
	{"sourceip_ipv6", "notls|rewrite"},
	{"sourceip_ipv6_all", "notls,public|rewrite"},
	{"sourceip_negated", "notls,public|rewrite"},
	{"sourceip_slash8", "notls|rewrite"},
	{"sourceip_too_broad", "notls,public|rewrite"},
	{"sourcevpc_fixed", "notls|rewrite"},
	{"sourcevpce_fixed", "notls|rewrite"},
	{"sourcevpce_forallvalues", "notls,public|rewrite"},
	{"sourcevpce_ifexists", "notls,public|rewrite"},
	{"sourcevpce_wildcard", "notls,public|rewrite"},
	{"statement_object", "notls|rewrite"},
	{"statement_object_public", "notls,public|rewrite"},
	{"tls_owner_boolifexists", "clean|rewrite"},
	{"tls_owner_extra_condition", "notls|rewrite"},
	{"tls_owner_objects_only", "notls|rewrite"},
	{"tls_owner_s3star", "clean|rewrite"},
	{"tls_owner_star_action_aws_star", "clean|rewrite"},
	{"tls_owner_tlsversion_only", "notls|rewrite"},
	{"tls_owner_wildcard_resource", "clean|rewrite"},
	{"trusted_account", "notls|rewrite"},
	{"unique_id_principal", "notls|rewrite"},
	{"unknown_member_kept", "notls|rewrite"},
	{"unsure_bare_string_principal", "notls,unsure|report"},
	{"unsure_conditional_deny_vpce", "notls,public,unsure|report"},
	{"unsure_duplicate_member", "notls,unsure|report"},
	{"unsure_effect_lowercase", "notls,unsure|report"},
	{"unsure_no_principal", "notls,unsure|report"},
	{"unsure_unknown_operator", "notls,public,unsure|report"},
	{"unsure_unknown_principal_type", "notls,unsure|report"},
	{"urlencoded_plus_kept", "notls|rewrite"},
	{"urlencoded_public", "notls,public|rewrite"},
	{"userid_fixed", "notls|rewrite"},
	{"userid_roleid_star", "notls,public|rewrite"},
	{"version_2008_public", "notls,public|rewrite"},
	{"version_missing", "notls|rewrite"},
}

func bucketVerdict(r BucketReport, p BucketPlan, err error) string {
	var flags []string
	if len(r.ExternalAccounts) > 0 {
		flags = append(flags, "external")
	}
	if r.LogDelivery {
		flags = append(flags, "log")
	}
	if slices.ContainsFunc(r.Findings, func(f finding.Finding) bool { return f.Code == KindServiceNoSource }) {
		flags = append(flags, "nosource")
	}
	if !r.DeniesInsecureTransport {
		flags = append(flags, "notls")
	}
	if r.OrgWide {
		flags = append(flags, "org")
	}
	if r.Public {
		flags = append(flags, "public")
	}
	if r.Unsure {
		flags = append(flags, "unsure")
	}
	if len(flags) == 0 {
		flags = []string{"clean"}
	}
	plan := "none"
	switch {
	case err != nil:
		plan = "error"
	case p.ReportOnly:
		plan = "report"
	case p.Changed:
		plan = "rewrite"
	}
	return strings.Join(flags, ",") + "|" + plan
}

type bucketGolden struct {
	Report BucketReport    `json:"report"`
	Plan   goldenPlan      `json:"plan"`
	Output json.RawMessage `json:"output"`
}

func bucketCaseFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/bucket/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	return out
}

func TestBucketCases(t *testing.T) {
	files := bucketCaseFiles(t)
	if len(files) < 40 {
		t.Fatalf("want at least 40 bucket case files, have %d", len(files))
	}
	listed := map[string]bool{}
	for _, c := range bucketCases {
		listed[c.name] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !listed[name] {
			t.Errorf("case file %s is not in bucketCases (and the coverage matrix)", f)
		}
	}
	for _, c := range bucketCases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/bucket", c.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(raw)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			r := AnalyzeBucket(doc, bucketOpt)
			p, perr := PlanBucketPolicy(doc, bucketOpt)
			if got := bucketVerdict(r, p, perr); got != c.want {
				t.Errorf("verdict = %s, want %s\nfindings: %v\nplan: %+v err=%v", got, c.want, r.Findings, p, perr)
			}
			checkBucketPlan(t, doc, bucketOpt, p, perr)

			g := bucketGolden{Report: r, Plan: goldenPlan{Changed: p.Changed, ReportOnly: p.ReportOnly, Reason: p.Reason, Changes: p.Changes}}
			if perr != nil {
				g.Plan.Error = perr.Error()
			}
			g.Output = json.RawMessage("null")
			if p.Changed {
				g.Output = p.Document
			}
			checkGolden(t, filepath.Join("testdata/bucket", c.name+".golden.json"), g)
		})
	}
}

// checkBucketPlan asserts what every bucket plan must satisfy: a rewrite
// fits 20 KB, re-analyzes clean, re-plans to nothing, never widens access
// for any sampled request, keeps every owner statement (in order) except
// public grants, and keeps uploads without encryption headers working.
func checkBucketPlan(t testing.TB, doc *Document, opt BucketOptions, p BucketPlan, perr error) {
	t.Helper()
	if p.Findings == nil || p.Changes == nil {
		t.Errorf("plan has null lists: %+v", p)
	}
	if perr != nil || !p.Changed {
		if p.Changed || len(p.Document) > 0 {
			t.Errorf("unchanged plan carries a document")
		}
		if perr == nil && !p.ReportOnly && len(p.Changes) > 0 {
			t.Errorf("unchanged plan lists changes: %v", p.Changes)
		}
		return
	}
	if p.ReportOnly {
		t.Errorf("a report-only plan says changed")
	}
	if len(p.Document) > BucketPolicyMaxBytes {
		t.Errorf("merged policy is %d bytes, over %d", len(p.Document), BucketPolicyMaxBytes)
	}
	out, err := Parse(p.Document)
	if err != nil {
		t.Fatalf("merged policy does not parse: %v", err)
	}
	if string(Minify(out)) != string(p.Document) {
		t.Errorf("merged policy is not in minified canonical form")
	}
	if r := AnalyzeBucket(out, opt); r.Public || r.Unsure || !r.DeniesInsecureTransport {
		t.Errorf("merged policy does not analyze clean: %v", r.Findings)
	}
	again, err := PlanBucketPolicy(out, opt)
	if err != nil || again.Changed || len(again.Changes) > 0 {
		t.Errorf("planning the merged policy again: changed=%v changes=%v err=%v", again.Changed, again.Changes, err)
	}
	checkOwnerStatementsKept(t, doc, out, opt)
	// gcguard owns its Sids and replaces what it finds under them, so
	// access is compared with the owner's statements alone.
	owner := ownerStatements(doc, opt)
	errs := 0
	for _, req := range sampleS3Requests(doc, opt) {
		if isUniqueID(req.arn) {
			continue // a deleted principal sends no requests; its ID names nobody
		}
		before, after := simulateBucket(owner, req), simulateBucket(out, req)
		if widens(before, after) {
			t.Errorf("merge widens access: %s → %s for %s", before, after, req)
			errs++
		}
		// Over TLS and without encryption headers, nothing that was
		// allowed becomes denied: uploads relying on default encryption
		// keep working.
		if before == allowed && after == denied && !gcguardMayDeny(req, opt) {
			t.Errorf("merge denies a TLS request without encryption headers: %s", req)
			errs++
		}
		if errs >= 3 {
			t.Fatalf("stopping after %d access errors", errs)
		}
	}
}

// ownerStatements returns doc without gcguard's statements (nil for nil).
func ownerStatements(doc *Document, opt BucketOptions) *Document {
	if doc == nil {
		return nil
	}
	c := doc.Clone()
	c.Statements = slices.DeleteFunc(c.Statements, func(s *Statement) bool { return IsGcguardBucketStatement(s, opt) })
	return c
}

// gcguardMayDeny reports whether gcguard's statements are meant to deny req.
func gcguardMayDeny(req s3Request, opt BucketOptions) bool {
	if v, _ := req.ctx.lookup(condSecureTransport); slices.Contains(v, "false") {
		return true
	}
	for _, k := range []string{condSSE, condSSEKMSKeyID, condSSECustomerAlgorithm} {
		if _, ok := req.ctx.lookup(k); ok && req.action == "s3:PutObject" {
			return true
		}
	}
	return false
}

// checkOwnerStatementsKept walks the owner's statements and the output in
// step: each owner statement is in the output unchanged, or with only
// public principals removed, or gone because every principal was public;
// what remains is gcguard's.
func checkOwnerStatementsKept(t testing.TB, doc, out *Document, opt BucketOptions) {
	t.Helper()
	if doc == nil {
		doc = &Document{}
	}
	a := analyzeBucket(doc, opt)
	j := 0
	for i, s := range doc.Statements {
		if IsGcguardBucketStatement(s, opt) {
			continue
		}
		for j < len(out.Statements) && IsGcguardBucketStatement(out.Statements[j], opt) {
			j++
		}
		sj := a.stmts[i]
		orphans := 0
		if s.Principal != nil && !s.Principal.Wildcard {
			for _, v := range s.Principal.Values("AWS") {
				if isUniqueID(v) {
					orphans++
				}
			}
		}
		if j < len(out.Statements) {
			o := out.Statements[j]
			if string(o.appendJSON(nil)) == string(s.appendJSON(nil)) {
				j++
				continue
			}
			if (sj.public > 0 || orphans > 0) && samePrincipalsRemoved(s, o, sj) {
				j++
				continue
			}
		}
		if len(sj.principals) == 0 && orphans > 0 {
			continue // a Deny naming only deleted principals: it named nobody
		}
		if sj.public+orphans == 0 || sj.public+orphans != len(sj.principals) {
			t.Errorf("owner statement %d (%s) was dropped or changed, but not every principal in it was public:\n%s", i, s.Sid, s.appendJSON(nil))
			return
		}
	}
	for ; j < len(out.Statements); j++ {
		if o := out.Statements[j]; !IsGcguardBucketStatement(o, opt) {
			t.Errorf("output statement %d (%s) is neither the owner's nor gcguard's", j, o.Sid)
		}
	}
}

// samePrincipalsRemoved reports whether o is s with exactly its public
// principals removed and nothing else changed.
func samePrincipalsRemoved(s, o *Statement, sj bucketStmt) bool {
	if s.Principal == nil || o.Principal == nil {
		return false
	}
	c := s.Clone()
	c.Principal = o.Principal
	if string(c.appendJSON(nil)) != string(o.appendJSON(nil)) {
		return false
	}
	var want []string
	k := 0
	for _, e := range s.Principal.Entries {
		for _, v := range e.Values.List {
			public := k < len(sj.principals) && sj.principals[k].public
			if !public && !(e.Type == "AWS" && isUniqueID(v)) {
				want = append(want, e.Type+"|"+v)
			}
			k++
		}
	}
	var got []string
	for _, e := range o.Principal.Entries {
		for _, v := range e.Values.List {
			got = append(got, e.Type+"|"+v)
		}
	}
	return slices.Equal(want, got)
}

func TestPlanBucketNoPolicy(t *testing.T) {
	r := AnalyzeBucket(nil, bucketOpt)
	if r.Public || r.DeniesInsecureTransport || r.Findings == nil || r.ExternalAccounts == nil {
		t.Errorf("report for no policy: %+v", r)
	}
	p, err := PlanBucketPolicy(nil, bucketOpt)
	if err != nil || !p.Changed {
		t.Fatalf("plan for no policy: %+v %v", p, err)
	}
	checkBucketPlan(t, nil, bucketOpt, p, err)
	out, _ := Parse(p.Document)
	if len(out.Statements) != 5 || out.Version != Version2012 {
		t.Errorf("want gcguard's five statements under 2012-10-17, got %s", p.Document)
	}
}

func TestPlanBucketOptions(t *testing.T) {
	doc, _ := Parse([]byte(`{"Statement":[]}`))
	for _, o := range []BucketOptions{
		{Bucket: "b"},
		{Account: "111111111111"},
		{Account: "111111111111", Bucket: "b/c"},
		{Account: "111111111111", Bucket: "b", KMSKeyARN: "arn:aws:kms:ap-northeast-1:111111111111:alias/s3"},
	} {
		if _, err := PlanBucketPolicy(doc, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	// Without a configured key the other-key statement is left out.
	o := bucketOpt
	o.KMSKeyARN = ""
	p, err := PlanBucketPolicy(doc, o)
	if err != nil || strings.Contains(string(p.Document), SidDenyOtherKMSKey) {
		t.Errorf("plan without key: %s %v", p.Document, err)
	}
}

// TestBucketEncryptionDenies checks gcguard's statements against the
// requests DESIGN §2 names, with IAM's condition semantics.
func TestBucketEncryptionDenies(t *testing.T) {
	doc := &Document{Version: Version2012, HasVersion: true, Statements: GcguardBucketStatements(bucketOpt)}
	obj := bucketOpt.BucketARN() + "/a/b.txt"
	cases := []struct {
		name string
		ctx  Context
		deny bool
	}{
		{"no encryption header (default encryption applies)", Context{}, false},
		{"SSE-S3", Context{condSSE: {"AES256"}}, true},
		{"aws:kms without key id (would be aws/s3)", Context{condSSE: {"aws:kms"}}, true},
		{"aws:kms:dsse without key id", Context{condSSE: {"aws:kms:dsse"}}, true},
		{"aws:kms with the allowed key ARN", Context{condSSE: {"aws:kms"}, condSSEKMSKeyID: {simKey}}, false},
		{"aws:kms with the allowed key ID", Context{condSSE: {"aws:kms"}, condSSEKMSKeyID: {"1234abcd-12ab-34cd-56ef-1234567890ab"}}, false},
		{"aws:kms:dsse with the allowed key", Context{condSSE: {"aws:kms:dsse"}, condSSEKMSKeyID: {simKey}}, false},
		{"aws:kms with another key", Context{condSSE: {"aws:kms"}, condSSEKMSKeyID: {simOtherKey}}, true},
		{"aws:kms with an alias", Context{condSSE: {"aws:kms"}, condSSEKMSKeyID: {"alias/aws/s3"}}, true},
		{"SSE-C", Context{condSSECustomerAlgorithm: {"AES256"}}, true},
		{"aws:fsx", Context{condSSE: {"aws:fsx"}}, true},
	}
	for _, c := range cases {
		for _, tls := range []string{"true", "false"} {
			ctx := Context{condSecureTransport: {tls}}
			for k, v := range c.ctx {
				ctx[k] = v
			}
			req := s3Request{typ: "AWS", arn: "arn:aws:iam::111111111111:role/app", account: "111111111111", action: "s3:PutObject", resource: obj, ctx: ctx}
			got := simulateBucket(doc, req) == denied
			want := c.deny || tls == "false"
			if got != want {
				t.Errorf("%s (SecureTransport %s): denied=%v, want %v", c.name, tls, got, want)
			}
		}
	}
	// Reads and bucket operations are only subject to the TLS Deny.
	for _, act := range []string{"s3:GetObject", "s3:ListBucket"} {
		req := s3Request{typ: "AWS", arn: "anonymous", action: act, resource: obj, ctx: Context{condSecureTransport: {"true"}, condSSE: {"AES256"}}}
		if simulateBucket(doc, req) == denied {
			t.Errorf("%s over TLS denied", act)
		}
	}
}

// TestBucketSizeLimit: a merge that cannot fit is report-only and says so.
func TestBucketSizeLimit(t *testing.T) {
	raw, err := os.ReadFile("testdata/bucket/size_near_limit_overflow.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(Minify(doc)); n > BucketPolicyMaxBytes || n < BucketPolicyMaxBytes-1024 {
		t.Fatalf("fixture is %d bytes minified; want just under the limit", n)
	}
	p, err := PlanBucketPolicy(doc, bucketOpt)
	if err != nil || !p.ReportOnly || p.Changed || !strings.Contains(p.Reason, "20480") {
		t.Errorf("plan: %+v %v", p, err)
	}
}

// A typical GCAS bucket policy: the application role, CloudFront OAC, the
// owner's TLS Deny, and a public statement left behind by a test.
var benchBucketPolicy = []byte(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/app"},
     "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::gcguard-test-bucket/*"},
    {"Sid": "OAC", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::gcguard-test-bucket/*",
     "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::111111111111:distribution/EDFDVBD6EXAMPLE"}}},
    {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::gcguard-test-bucket", "arn:aws:s3:::gcguard-test-bucket/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::gcguard-test-bucket/*"}
  ]
}`)

// BenchmarkPlanBucketPolicy measures parse + plan (analysis, merge, size
// check, re-parse and re-analysis) of a policy that needs a merge, and of
// one that is already merged (the common case once gcguard has run).
func BenchmarkPlanBucketPolicy(b *testing.B) {
	doc, err := Parse(benchBucketPolicy)
	if err != nil {
		b.Fatal(err)
	}
	first, err := PlanBucketPolicy(doc, bucketOpt)
	if err != nil || !first.Changed {
		b.Fatal(first, err)
	}
	for _, c := range []struct {
		name    string
		raw     []byte
		changed bool
	}{{"merge", benchBucketPolicy, true}, {"compliant", first.Document, false}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := Parse(c.raw)
				if err != nil {
					b.Fatal(err)
				}
				p, err := PlanBucketPolicy(d, bucketOpt)
				if err != nil || p.Changed != c.changed {
					b.Fatal(p, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
		})
	}
}

// BenchmarkAnalyzeBucket measures parse + analysis of a typical policy.
func BenchmarkAnalyzeBucket(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(benchBucketPolicy)
		if err != nil {
			b.Fatal(err)
		}
		if r := AnalyzeBucket(d, bucketOpt); !r.Public {
			b.Fatal("public statement not found")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
}
