package policy

import (
	"slices"
	"strings"
	"testing"
)

// One table per defect class the request-class evaluator fixes. Each case
// is a policy and the verdict "flags|plan" (see verdict in trust_test.go);
// every plan is also checked for the properties all plans keep.

type classCase struct {
	name, policy, want string
}

const (
	gh   = `"Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"`
	own  = `"Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"`
	star = `"Principal":{"AWS":"*"},"Action":"sts:AssumeRole"`
)

func allow(body string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + body + `}]}`
}

func fed(principal, action, cond string) string {
	return allow(`"Principal":{"Federated":"` + principal + `"},"Action":"` + action + `","Condition":` + cond)
}

func runClassCases(t *testing.T, opt TrustOptions, cases []classCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Parse([]byte(c.policy))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			r := AnalyzeTrust(doc, opt)
			p, perr := PlanTrust(doc, opt, 2048)
			if got := verdict(r, p, perr); got != c.want {
				t.Errorf("verdict = %s, want %s\nfindings: %v\nplan: %+v err=%v", got, c.want, r.Findings, p, perr)
			}
			if len(p.Preview.Gains) > 0 {
				t.Errorf("preview gains: %v", p.Preview.Gains)
			}
			checkPlanProperties(t, doc, p, perr)
		})
	}
}

// Class 1: federation is pinned by the claims the platform fixes.
func TestFederationByClaimControl(t *testing.T) {
	web := "sts:AssumeRoleWithWebIdentity"
	ghc := func(op, key, v string) string {
		return allow(gh + `,"Condition":{"` + op + `":{"token.actions.githubusercontent.com:` + key + `":"` + v + `"}}`)
	}
	runClassCases(t, testOpt, []classCase{
		{"github repo owner pins", ghc("StringLike", "sub", "repo:octo-org/*"), "clean|none"},
		{"github repository_owner_id pins", ghc("StringLike", "sub", "repository_owner_id:123456:*"), "clean|none"},
		{"github exact repository_owner pins", ghc("StringEquals", "sub", "repository_owner:octo-org"), "clean|none"},
		{"github repository claim key pins", ghc("StringEquals", "repository", "octo-org/app"), "clean|none"},
		{"github job_workflow_ref with owner pins", ghc("StringLike", "job_workflow_ref", "octo-org/wf/.github/workflows/d.yml@*"), "clean|none"},
		{"github environment template pins nobody", ghc("StringEquals", "sub", "environment:production"), "federated|rewrite"},
		{"github ref template pins nobody", ghc("StringLike", "sub", "ref:refs/heads/main"), "federated|rewrite"},
		{"github owner prefix pins nobody", ghc("StringLike", "sub", "repository_owner:octo*"), "federated|rewrite"},
		{"github repo owner prefix pins nobody", ghc("StringLike", "sub", "repo:octo*"), "federated|rewrite"},
		{"github aud only", ghc("StringEquals", "aud", "sts.amazonaws.com"), "federated|rewrite"},
		{"gitlab project_path pins", fed("arn:aws:iam::111111111111:oidc-provider/gitlab.com", web, `{"StringLike":{"gitlab.com:sub":"project_path:my-group/*"}}`), "clean|none"},
		{"gitlab aud only", fed("arn:aws:iam::111111111111:oidc-provider/gitlab.com", web, `{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"}}`), "federated|rewrite"},
		{"terraform organization pins", fed("arn:aws:iam::111111111111:oidc-provider/app.terraform.io", web, `{"StringLike":{"app.terraform.io:sub":"organization:my-org:project:*"}}`), "clean|none"},
		{"terraform aud only", fed("arn:aws:iam::111111111111:oidc-provider/app.terraform.io", web, `{"StringEquals":{"app.terraform.io:aud":"aws.workload.identity"}}`), "federated|rewrite"},
		{"cognito aud pins", fed("cognito-identity.amazonaws.com", web, `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"ap-northeast-1:11111111-2222-3333-4444-555555555555"}}`), "clean|none"},
		{"cognito amr only", fed("cognito-identity.amazonaws.com", web, `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`), "federated|rewrite"},
		{"google aud pins", fed("accounts.google.com", web, `{"StringEquals":{"accounts.google.com:aud":"1234-abc.apps.googleusercontent.com"}}`), "clean|none"},
		{"google sub pins", fed("accounts.google.com", web, `{"StringEquals":{"accounts.google.com:sub":"110000000000000000001"}}`), "clean|none"},
		{"facebook app_id pins", fed("graph.facebook.com", web, `{"StringEquals":{"graph.facebook.com:app_id":"1234567890"}}`), "clean|none"},
		{"amazon app_id pins", fed("www.amazon.com", web, `{"StringEquals":{"www.amazon.com:app_id":"amzn1.application.abc"}}`), "clean|none"},
		{"facebook without app_id", allow(`"Principal":{"Federated":"graph.facebook.com"},"Action":"sts:AssumeRoleWithWebIdentity"`), "federated|rewrite"},
		{"eks namespace and service account pin", fed("arn:aws:iam::111111111111:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/ABC", web, `{"StringEquals":{"oidc.eks.ap-northeast-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:app:deployer"}}`), "clean|none"},
		{"eks any service account of a namespace", fed("arn:aws:iam::111111111111:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/ABC", web, `{"StringLike":{"oidc.eks.ap-northeast-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:app:*"}}`), "federated|rewrite"},
		{"unknown OIDC platform is unsure", fed("arn:aws:iam::111111111111:oidc-provider/idp.example.jp", web, `{"StringEquals":{"idp.example.jp:sub":"user-1"}}`), "unsure|report"},
	})
}

// Class 2: principals and conditions are judged together.
func TestPrincipalConditionIntersection(t *testing.T) {
	both := allow(star + `,"Condition":{"ArnEquals":{"aws:PrincipalArn":["arn:aws:iam::111111111111:role/deployer","arn:aws:iam::999999999999:role/vendor"]}}`)
	runClassCases(t, testOpt, []classCase{
		{"own root and one role name in any account", allow(own + `,"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci-deployer"}}`), "clean|none"},
		{"star, own account and a role pattern", allow(star + `,"Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci-*"}}`), "clean|none"},
		{"star and a role name in any account is public", allow(star + `,"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/ci-deployer"}}`), "public|rewrite"},
		{"star and own and foreign role", both, "foreign|rewrite"},
		{"own root and aws:username pins a user", allow(own + `,"Condition":{"StringEquals":{"aws:username":"alice"}}`), "clean|none"},
		{"star and aws:username is anyone's user", allow(star + `,"Condition":{"StringEquals":{"aws:username":"alice"}}`), "public|rewrite"},
		{"own root and session name only", allow(own + `,"Condition":{"StringLike":{"aws:userid":"*:alice"}}`), "account|rewrite"},
		{"own root and unique role ID", allow(own + `,"Condition":{"StringLike":{"aws:userid":"AROAEXAMPLEID1234567:*"}}`), "clean|none"},
	})
	// The plan of "* + own and foreign role" loses only the foreign role.
	doc, _ := Parse([]byte(both))
	p, err := PlanTrust(doc, testOpt, 2048)
	if err != nil || !p.Changed {
		t.Fatalf("plan: %+v %v", p, err)
	}
	out, _ := Parse(p.Document)
	call := func(arn, acct string) bool {
		return Eval(out, &Request{Principal: Caller{Type: "AWS", ID: arn, Account: acct, Partition: "aws"}, Action: "sts:AssumeRole",
			Context: Context{"aws:PrincipalArn": {arn}, "aws:PrincipalAccount": {acct}}}) == Allowed
	}
	if !call("arn:aws:iam::111111111111:role/deployer", "111111111111") || call("arn:aws:iam::999999999999:role/vendor", "999999999999") {
		t.Errorf("rewrite should keep deployer and drop vendor: %s", p.Document)
	}
	if !slices.ContainsFunc(p.Preview.Loses, func(s string) bool { return strings.Contains(s, "999999999999:role/vendor") }) ||
		!slices.ContainsFunc(p.Preview.Keeps, func(s string) bool { return strings.Contains(s, "role/deployer") }) {
		t.Errorf("preview = %s", p.Preview)
	}
}

// Class 3: Deny statements count exactly as far as they deny.
func TestDenyStatements(t *testing.T) {
	deny := func(allowBody, denyBody string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + allowBody + `},{"Effect":"Deny",` + denyBody + `}]}`
	}
	runClassCases(t, testOpt, []classCase{
		{"negated org Deny is honoured", deny(star, star+`,"Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-trusted123"}}`), "clean|none"},
		{"negated account Deny leaves this account", deny(star, star+`,"Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}`), "account|rewrite"},
		{"Deny on Referer narrows nothing", deny(star, star+`,"Condition":{"StringNotLike":{"aws:Referer":"https://example.jp/*"}}`), "public|rewrite"},
		{"Deny on PrincipalTag narrows nothing", deny(star, star+`,"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"ops"}}`), "public|rewrite"},
		{"Deny without MFA narrows nothing", deny(star, star+`,"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`), "public|rewrite"},
		{"Deny on dates narrows nothing", deny(star, star+`,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`), "public|rewrite"},
		{"never-firing Deny is no opt-out", deny(star, star+`,"Condition":{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}`), "public|rewrite"},
		{"NotPrincipal Deny leaves one role", deny(star, `"NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/deployer"},"Action":"sts:AssumeRole"`), "clean|none"},
		{"Deny outside a VPC endpoint keeps foreigners out, the trusted organization in", deny(star, star+`,"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0123456789abcdef0"}}`), "clean|none"},
	})
}

// Class 4: wildcards in narrowing values.
func TestWildcardNarrowingValues(t *testing.T) {
	runClassCases(t, testOpt, []classCase{
		{"any organization is public", allow(star + `,"Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`), "public|rewrite"},
		{"any organization path is public", allow(star + `,"Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/*"}}`), "public|rewrite"},
		{"source account on * admits only services", allow(`"Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}`), "clean|none"},
		{"source ARN on * admits only services", allow(`"Principal":"*","Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:events:ap-northeast-1:111111111111:rule/*"}}`), "clean|none"},
	})
}

// Class 5: the planner's proposal is checked by the preview.
func TestPlannerChecks(t *testing.T) {
	excludeSSO := allow(own + `,"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*"}}`)
	runClassCases(t, testOpt, []classCase{
		{"restriction that admits no allowed principal quarantines", excludeSSO, "account|rewrite"},
		{"AND with an existing PrincipalArn keeps the intersection", allow(own + `,"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}`), "account|rewrite"},
	})
	doc, _ := Parse([]byte(excludeSSO))
	p, _ := PlanTrust(doc, testOpt, 2048)
	if !strings.Contains(string(p.Document), QuarantineSid) {
		t.Errorf("want quarantine, got %s (%v)", p.Document, p.Changes)
	}
	if len(p.Preview.Keeps) != 0 {
		t.Errorf("quarantine keeps %v", p.Preview.Keeps)
	}

	// An organization-wide * keeps this account's SSO path, as a public * does.
	noOrg := TrustOptions{Account: "111111111111", TrustedAccounts: []string{"222222222222"}}
	doc, _ = Parse([]byte(allow(star + `,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-other456"}}`)))
	r := AnalyzeTrust(doc, noOrg)
	p, err := PlanTrust(doc, noOrg, 2048)
	if !r.OrgWide || err != nil || !p.Changed || !strings.Contains(string(p.Document), "sso.amazonaws.com") || strings.Contains(string(p.Document), QuarantineSid) {
		t.Errorf("org-wide *: report %+v plan %s %v %s err %v", r, p.Document, p.Changes, p.Reason, err)
	}

	// A wildcard organization or path admits this account as surely as any
	// other: the rewrite keeps its SSO path instead of quarantining (a GCAS
	// account is always in an organization).
	for _, cond := range []string{
		`{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`,
		`{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/*"}}`,
		`{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-other456/r-ab12/ou-ab12-cd34/*"}}`,
	} {
		doc, _ = Parse([]byte(allow(star + `,"Condition":` + cond)))
		p, err = PlanTrust(doc, noOrg, 2048)
		if err != nil || !p.Changed || !strings.Contains(string(p.Document), "sso.amazonaws.com") || strings.Contains(string(p.Document), QuarantineSid) || len(p.Preview.Keeps) == 0 {
			t.Errorf("* with %s: plan %s %v %s keeps %v err %v", cond, p.Document, p.Changes, p.Reason, p.Preview.Keeps, err)
		}
	}

	// Owner statements under a Gcguard Sid are the owner's: kept whole.
	doc, _ = Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"GcguardAccountScoped","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/deployer"},"Action":"sts:AssumeRole"},{"Effect":"Allow",` + star + `}]}`))
	p, err = PlanTrust(doc, testOpt, 2048)
	if err != nil || !p.Changed || !strings.Contains(string(p.Document), `{"Sid":"GcguardAccountScoped","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/deployer"},"Action":"sts:AssumeRole"}`) {
		t.Errorf("owner statement not kept: %s %v", p.Document, err)
	}
}

// Class 6: rewrites drop orphaned unique IDs, which IAM rejects.
func TestOrphanedUniqueIDsDropped(t *testing.T) {
	doc, _ := Parse([]byte(allow(`"Principal":{"AWS":["AROAEXAMPLEUNIQUEID1","arn:aws:iam::999999999999:root","arn:aws:iam::111111111111:role/deployer","AIDAEXAMPLEUNIQUEID2"]},"Action":"sts:AssumeRole"`)))
	p, err := PlanTrust(doc, testOpt, 2048)
	if err != nil || !p.Changed {
		t.Fatalf("plan: %+v %v", p, err)
	}
	if strings.Contains(string(p.Document), "AROA") || strings.Contains(string(p.Document), "AIDA") || strings.Contains(string(p.Document), "999999999999") {
		t.Errorf("rewrite keeps orphaned IDs or the foreign account: %s", p.Document)
	}
	if !strings.Contains(string(p.Document), "role/deployer") {
		t.Errorf("rewrite dropped the owner's role: %s", p.Document)
	}
}
