// Coverage matrix: each case file in testdata/trust and the category it covers.
//
//	account_bare_foreign                     foreign account bare ID
//	account_bare_own                         account-wide: own bare ID
//	account_bare_trusted                     trusted account bare ID
//	account_foreign_and_own                  foreign and own account in one statement
//	account_own_principalaccount_own         account + aws:PrincipalAccount own
//	account_own_principalorgid               account + aws:PrincipalOrgID does not pin within the account
//	account_own_with_service                 own account next to a service principal (split)
//	account_own_with_specific_role           own account next to a specific role (split)
//	account_root_foreign                     foreign account :root
//	account_root_own                         account-wide: own :root
//	account_root_own_principalarn_role_star  account + ArnLike role/* (the fix goes under StringLike)
//	account_root_own_principalarn_sso        account + ArnLike allowed SSO roles (tightened form)
//	account_root_own_userid_aroa             account + aws:userid AROA…:* pins a role
//	account_root_own_userid_session          account + aws:userid *:name is still account-wide
//	account_root_trusted                     trusted account :root
//	action_case_insensitive                  action name in other case
//	action_sts_star                          Action sts:*
//	action_tagsession_only                   * with only sts:TagSession grants no assume
//	assumed_role_foreign                     assumed-role session of foreign account
//	bare_string_principal                    Principal as a bare ARN string: unsure
//	canonical_user                           CanonicalUser principal: unsure
//	cognito_aud_wildcard                     Cognito aud wildcard
//	cognito_with_aud                         Cognito with aud
//	cognito_without_aud                      Cognito without aud
//	deny_all_unconditional                   Deny * overrides Allow *
//	deny_conditional                         Deny StringNotEquals PrincipalAccount: honoured, account-wide
//	deny_foreign_unconditional               Deny naming the foreign account removes it
//	deny_notprincipal                        Deny with NotPrincipal: only the named role is left
//	deny_partial_action                      Deny covering only some assume actions
//	duplicate_member                         duplicate Principal member: unsure
//	effect_lowercase                         Effect "allow": not modelled, unsure
//	eks_aud_only                             EKS IRSA aud only
//	eks_sub                                  EKS IRSA with sub
//	empty_statement_list                     no statements
//	external_id_foreign_account              foreign account with sts:ExternalId
//	federated_star                           Federated "*"
//	gcas_switchonly_foreign                  GCAS pattern from an unconfigured account
//	gcas_switchonly_own                      GCAS SwitchOnlyRole (own account) + aws:userid
//	gcas_switchonly_trusted                  GCAS SwitchOnlyRole (trusted account) + aws:userid
//	github_aud_only                          GitHub OIDC aud only
//	github_aud_only_plus_role                GitHub aud-only statement dropped, other statement kept
//	github_foreign_provider                  OIDC provider of a foreign account
//	github_job_workflow_ref                  GitHub job_workflow_ref claim
//	github_repository                        GitHub repository claim
//	github_repository_id                     GitHub repository_id claim
//	github_sub                               GitHub OIDC with sub
//	github_sub_case_insensitive_key          GitHub claim key in other case
//	github_sub_forallvalues                  GitHub ForAllValues:StringLike sub (vacuous)
//	github_sub_ifexists                      GitHub StringLikeIfExists sub
//	github_sub_negated                       GitHub StringNotLike sub
//	github_sub_owner_prefix_only             GitHub sub repo:my-org* (owner not complete)
//	github_sub_owner_wildcard                GitHub sub repo:org/*
//	github_sub_star                          GitHub sub "*"
//	google_aud                               Google web identity with aud
//	many_principals                          several account and role principals
//	multiple_statements_mixed                SSO + GitHub sub + public statement
//	notaction_excludes_assume                NotAction excluding every assume action
//	notaction_public                         NotAction sts:TagSession with * still grants AssumeRole
//	oidc_other_aud_generic                   OIDC platform not in the table: unsure
//	oidc_other_no_condition                  OIDC platform not in the table: unsure
//	oidc_other_sub                           OIDC platform not in the table, even with sub: unsure
//	ops_arn_families                         ArnEquals pins, ArnNotEquals does not
//	ops_arn_notlike_only                     ArnNotLike alone does not pin
//	ops_case_insensitive_key                 condition key in other case
//	ops_case_insensitive_operator            operator name in other case
//	ops_forallvalues_userid                  ForAllValues over aws:userid, always present: pins
//	ops_foranyvalue_userid_aroa              ForAnyValue:StringLike aws:userid AROA
//	ops_ifexists_principalarn_account        ArnLikeIfExists aws:PrincipalArn, always present: pins
//	ops_non_string_families                  Numeric/Date/Bool/IpAddress/NotIpAddress/BinaryEquals/Null do not pin
//	ops_null_principalarn                    Null aws:PrincipalArn false does not pin
//	ops_string_families                      String* operators on a specific role
//	ops_unknown_operator                     unknown operator: not modelled, unsure
//	ops_values_bool_number_kept              bool/number condition values keep their JSON types
//	partition_mismatch                       own account ID in another partition
//	policy_variable_2008                     ${…} is literal under 2008-10-17
//	policy_variable_2012                     role/${aws:username}: no role has a user name, nobody
//	principalarn_all_operators_taken         no free operator for aws:PrincipalArn: report
//	public_aws_star                          public: {"AWS":"*"}
//	public_aws_star_list                     public: {"AWS":["*"]}
//	public_notprincipal                      public: Allow NotPrincipal
//	public_partial_wildcard_root             public: partial wildcard arn:aws:iam::*:root
//	public_star_externalid                   public: sts:ExternalId does not make * safe
//	public_star_principalarn_forallvalues    ForAllValues: over a missing key is vacuously true
//	public_star_principalarn_ifexists        IfExists does not pin
//	public_star_principalarn_negated         negated operator does not pin
//	public_star_principaltag                 aws:PrincipalTag does not pin
//	public_star_string                       public: Principal "*"
//	public_star_userid_session_only          aws:userid *:name pins only the session name
//	public_star_with_specific_role           public next to a specific role (split)
//	resource_in_trust                        Resource in a trust policy: report
//	role_specific_foreign                    specific role of foreign account
//	role_specific_own                        specific own role
//	role_specific_trusted                    specific role of trusted account
//	saml_foreign                             SAML provider of foreign account
//	saml_own                                 SAML provider of own account, no condition
//	saml_with_aud                            SAML with SAML:aud
//	service_list_no_source                   two service principals without source
//	service_no_source                        service principal without aws:SourceAccount
//	service_source_account                   service principal with aws:SourceAccount
//	service_source_arn                       service principal with aws:SourceArn
//	service_star                             Service "*"
//	set_source_identity                      sts:SetSourceIdentity with account principal
//	sid_collision                            split Sid collides with an existing Sid
//	star_orgid_ifexists                      StringEqualsIfExists aws:PrincipalOrgID does not pin
//	star_orgid_trusted                       org-wide, trusted org
//	star_orgid_untrusted                     org-wide, untrusted org
//	star_orgpaths_trusted                    aws:PrincipalOrgPaths, trusted org
//	star_orgpaths_untrusted                  aws:PrincipalOrgPaths, untrusted org
//	star_principalaccount_foreign            aws:PrincipalAccount = foreign account
//	star_principalaccount_like_wildcard      StringLike aws:PrincipalAccount with wildcard does not pin
//	star_principalaccount_own                aws:PrincipalAccount = own is account-wide
//	star_principalaccount_trusted            aws:PrincipalAccount = trusted account
//	star_principalarn_foranyvalue            ForAnyValue:StringLike pins
//	star_principalarn_foreign                aws:PrincipalArn naming a foreign role
//	star_principalarn_own_role               ArnEquals aws:PrincipalArn pins an own role
//	star_principalarn_role_wildcard          aws:PrincipalArn role/* pins the account only
//	star_userid_aroa                         * with aws:userid AROA prefix: account unknown
//	statement_object                         Statement as one object
//	statement_object_split                   Statement object that must become a list
//	string_wrapped                           JSON string holding JSON (CloudTrail)
//	unique_id_principal                      unique ID of a deleted role
//	unknown_member                           unknown statement member kept, IAM would reject: report
//	unknown_principal_type                   unknown principal type: unsure
//	urlencoded_account                       URL-encoded with whitespace, account-wide
//	urlencoded_plus_kept                     URL-encoded: + stays + (role deploy+ci)
//	urlencoded_public                        URL-encoded input (GetRole), public
//	user_specific_foreign                    IAM user of foreign account
//	version_2008_public                      Version 2008-10-17, public
//	version_missing                          Version missing

package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/trust")

// testOpt is the configuration every case is judged under: own account
// 111111111111, trusted account 222222222222 (e.g. GCAS's), trusted
// organization o-trusted123; 999999999999 is a stranger.
var testOpt = TrustOptions{
	Account:         "111111111111",
	TrustedAccounts: []string{"222222222222"},
	TrustedOrg:      "o-trusted123",
}

// trustCases: case → expected verdict "flags|plan". Flags are the report's
// (account, federated, foreign, org, public, service_no_source, unsure;
// clean when none); plan is rewrite, none, report (report-only) or error.
var trustCases = []struct{ name, want string }{
	{"account_bare_foreign", "foreign|rewrite"},
	{"account_bare_own", "account|rewrite"},
	{"account_bare_trusted", "clean|none"},
	{"account_foreign_and_own", "account,foreign|rewrite"},
	{"account_own_principalaccount_own", "account|rewrite"},
	{"account_own_principalorgid", "account|rewrite"},
	{"account_own_with_service", "account,service_no_source|rewrite"},
	{"account_own_with_specific_role", "account|rewrite"},
	{"account_root_foreign", "foreign|rewrite"},
	{"account_root_own", "account|rewrite"},
	{"account_root_own_principalarn_role_star", "account|rewrite"},
	{"account_root_own_principalarn_sso", "clean|none"},
	{"account_root_own_userid_aroa", "clean|none"},
	{"account_root_own_userid_session", "account|rewrite"},
	{"account_root_trusted", "clean|none"},
	{"action_case_insensitive", "account|rewrite"},
	{"action_sts_star", "public|rewrite"},
	{"action_tagsession_only", "clean|none"},
	{"assumed_role_foreign", "foreign|rewrite"},
	{"bare_string_principal", "unsure|report"},
	{"canonical_user", "unsure|report"},
	{"cognito_aud_wildcard", "federated|rewrite"},
	{"cognito_with_aud", "clean|none"},
	{"cognito_without_aud", "federated|rewrite"},
	{"deny_all_unconditional", "clean|none"},
	{"deny_conditional", "account|rewrite"},
	{"deny_foreign_unconditional", "clean|none"},
	{"deny_notprincipal", "clean|none"},
	{"deny_partial_action", "public|rewrite"},
	{"duplicate_member", "public,unsure|report"},
	{"effect_lowercase", "unsure|report"},
	{"eks_aud_only", "federated|rewrite"},
	{"eks_sub", "clean|none"},
	{"empty_statement_list", "clean|none"},
	{"external_id_foreign_account", "foreign|rewrite"},
	{"federated_star", "public|rewrite"},
	{"gcas_switchonly_foreign", "foreign|rewrite"},
	{"gcas_switchonly_own", "clean|none"},
	{"gcas_switchonly_trusted", "clean|none"},
	{"github_aud_only", "federated|rewrite"},
	{"github_aud_only_plus_role", "federated|rewrite"},
	{"github_foreign_provider", "foreign|rewrite"},
	{"github_job_workflow_ref", "clean|none"},
	{"github_repository", "clean|none"},
	{"github_repository_id", "clean|none"},
	{"github_sub", "clean|none"},
	{"github_sub_case_insensitive_key", "clean|none"},
	{"github_sub_forallvalues", "federated|rewrite"},
	{"github_sub_ifexists", "federated|rewrite"},
	{"github_sub_negated", "federated|rewrite"},
	{"github_sub_owner_prefix_only", "federated|rewrite"},
	{"github_sub_owner_wildcard", "clean|none"},
	{"github_sub_star", "federated|rewrite"},
	{"google_aud", "clean|none"},
	{"many_principals", "account,foreign|rewrite"},
	{"multiple_statements_mixed", "public|rewrite"},
	{"notaction_excludes_assume", "clean|none"},
	{"notaction_public", "public|rewrite"},
	{"oidc_other_aud_generic", "unsure|report"},
	{"oidc_other_no_condition", "unsure|report"},
	{"oidc_other_sub", "unsure|report"},
	{"ops_arn_families", "clean|none"},
	{"ops_arn_notlike_only", "account|rewrite"},
	{"ops_case_insensitive_key", "clean|none"},
	{"ops_case_insensitive_operator", "clean|none"},
	{"ops_forallvalues_userid", "clean|none"},
	{"ops_foranyvalue_userid_aroa", "clean|none"},
	{"ops_ifexists_principalarn_account", "clean|none"},
	{"ops_non_string_families", "account|rewrite"},
	{"ops_null_principalarn", "account|rewrite"},
	{"ops_string_families", "clean|none"},
	{"ops_unknown_operator", "unsure|report"},
	{"ops_values_bool_number_kept", "account|rewrite"},
	{"partition_mismatch", "foreign|rewrite"},
	{"policy_variable_2008", "clean|none"},
	{"policy_variable_2012", "clean|none"},
	{"principalarn_all_operators_taken", "account|report"},
	{"public_aws_star", "public|rewrite"},
	{"public_aws_star_list", "public|rewrite"},
	{"public_notprincipal", "public|rewrite"},
	{"public_partial_wildcard_root", "public|rewrite"},
	{"public_star_externalid", "public|rewrite"},
	{"public_star_principalarn_forallvalues", "public|rewrite"},
	{"public_star_principalarn_ifexists", "public|rewrite"},
	{"public_star_principalarn_negated", "public|rewrite"},
	{"public_star_principaltag", "public|rewrite"},
	{"public_star_string", "public|rewrite"},
	{"public_star_userid_session_only", "public|rewrite"},
	{"public_star_with_specific_role", "public|rewrite"},
	{"resource_in_trust", "account|report"},
	{"role_specific_foreign", "foreign|rewrite"},
	{"role_specific_own", "clean|none"},
	{"role_specific_trusted", "clean|none"},
	{"saml_foreign", "foreign|rewrite"},
	{"saml_own", "clean|none"},
	{"saml_with_aud", "clean|none"},
	{"service_list_no_source", "service_no_source|report"},
	{"service_no_source", "service_no_source|report"},
	{"service_source_account", "clean|none"},
	{"service_source_arn", "clean|none"},
	{"service_star", "public|rewrite"},
	{"set_source_identity", "account|rewrite"},
	{"sid_collision", "account|rewrite"},
	{"star_orgid_ifexists", "public|rewrite"},
	{"star_orgid_trusted", "clean|none"},
	{"star_orgid_untrusted", "org|rewrite"},
	{"star_orgpaths_trusted", "clean|none"},
	{"star_orgpaths_untrusted", "org|rewrite"},
	{"star_principalaccount_foreign", "foreign|rewrite"},
	{"star_principalaccount_like_wildcard", "public|rewrite"},
	{"star_principalaccount_own", "account|rewrite"},
	{"star_principalaccount_trusted", "clean|none"},
	{"star_principalarn_foranyvalue", "clean|none"},
	{"star_principalarn_foreign", "foreign|rewrite"},
	{"star_principalarn_own_role", "clean|none"},
	{"star_principalarn_role_wildcard", "account|rewrite"},
	{"star_userid_aroa", "unsure|report"},
	{"statement_object", "account|rewrite"},
	{"statement_object_split", "account|rewrite"},
	{"string_wrapped", "account|rewrite"},
	{"unique_id_principal", "clean|none"},
	{"unknown_member", "account|report"},
	{"unknown_principal_type", "unsure|report"},
	{"urlencoded_account", "account|rewrite"},
	{"urlencoded_plus_kept", "clean|none"},
	{"urlencoded_public", "public|rewrite"},
	{"user_specific_foreign", "foreign|rewrite"},
	{"version_2008_public", "public|rewrite"},
	{"version_missing", "account|rewrite"},
}

func verdict(r TrustReport, p TrustPlan, err error) string {
	var flags []string
	if r.AccountWide {
		flags = append(flags, "account")
	}
	if r.UnrestrictedFederated {
		flags = append(flags, "federated")
	}
	if len(r.ExternalAccounts) > 0 {
		flags = append(flags, "foreign")
	}
	if r.OrgWide {
		flags = append(flags, "org")
	}
	if r.Public {
		flags = append(flags, "public")
	}
	for _, f := range r.Findings {
		if f.Code == KindServiceNoSource {
			flags = append(flags, KindServiceNoSource)
			break
		}
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

type golden struct {
	Report TrustReport     `json:"report"`
	Plan   goldenPlan      `json:"plan"`
	Output json.RawMessage `json:"output"`
}

type goldenPlan struct {
	Changed    bool     `json:"changed"`
	ReportOnly bool     `json:"report_only"`
	Reason     string   `json:"reason,omitempty"`
	Changes    []string `json:"changes"`
	Error      string   `json:"error,omitempty"`
}

func caseFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/trust/*.json")
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

func TestTrustCases(t *testing.T) {
	files := caseFiles(t)
	if len(files) < 80 {
		t.Fatalf("want at least 80 case files, have %d", len(files))
	}
	listed := map[string]bool{}
	for _, c := range trustCases {
		listed[c.name] = true
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !listed[name] {
			t.Errorf("case file %s is not in trustCases (and the coverage matrix)", f)
		}
	}
	for _, c := range trustCases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/trust", c.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(raw)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			r := AnalyzeTrust(doc, testOpt)
			p, perr := PlanTrust(doc, testOpt, 2048)
			if got := verdict(r, p, perr); got != c.want {
				t.Errorf("verdict = %s, want %s\nfindings: %v\nplan: %+v err=%v", got, c.want, r.Findings, p, perr)
			}
			checkPlanProperties(t, doc, p, perr)

			g := golden{Report: r, Plan: goldenPlan{Changed: p.Changed, ReportOnly: p.ReportOnly, Reason: p.Reason, Changes: p.Changes}}
			if perr != nil {
				g.Plan.Error = perr.Error()
			}
			g.Output = json.RawMessage("null")
			if p.Changed {
				g.Output = p.Document
			}
			checkGolden(t, filepath.Join("testdata/trust", c.name+".golden.json"), g)
		})
	}
}

// checkPlanProperties asserts what every plan must satisfy: output
// validates, re-analyzes clean, re-planning is a no-op, nobody gains
// access and allowed principals that could assume still can.
func checkPlanProperties(t testing.TB, doc *Document, p TrustPlan, perr error) {
	t.Helper()
	if perr != nil || !p.Changed {
		if p.Changed || (perr == nil && len(p.Document) > 0) {
			t.Errorf("unchanged plan carries a document")
		}
		return
	}
	if err := ValidateTrust(p.Document); err != nil {
		t.Errorf("rewrite does not validate: %v\n%s", err, p.Document)
	}
	out, err := Parse(p.Document)
	if err != nil {
		t.Fatalf("rewrite does not parse: %v", err)
	}
	if r := AnalyzeTrust(out, testOpt); r.Overbroad() || r.Unsure {
		t.Errorf("rewrite does not analyze clean: %v", r.Findings)
	}
	again, err := PlanTrust(out, testOpt, 2048)
	if err != nil || again.Changed {
		t.Errorf("re-planning the rewrite: changed=%v report_only=%v err=%v changes=%v", again.Changed, again.ReportOnly, err, again.Changes)
	}
	if string(Minify(out)) != string(p.Document) {
		t.Errorf("rewrite is not minified canonical form")
	}
	for _, req := range sampleRequests(doc, testOpt) {
		before, after := simulate(doc, req), simulate(out, req)
		if after && !before {
			t.Errorf("rewrite widens access for %s", req)
		}
		if before && !after && allowedCaller(req, testOpt) {
			t.Errorf("rewrite removes allowed principal %s", req)
		}
	}
}

func allowedCaller(req request, opt TrustOptions) bool {
	opt = opt.withDefaults()
	return req.typ == "AWS" && slices.ContainsFunc(opt.AllowedPrincipals, func(p string) bool { return globMatch(p, req.arn, false) })
}
