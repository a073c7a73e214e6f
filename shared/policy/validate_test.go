package policy

import (
	"strings"
	"testing"
)

func TestValidateTrust(t *testing.T) {
	ok := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:SetContext"]}}`,
		`{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["111111111111","AROAEXAMPLEUNIQUEID1","arn:aws:sts::111111111111:assumed-role/r/s"]},"Action":"sts:*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com","Service":"ec2.amazonaws.com"},"NotAction":"sts:TagSession"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:saml-provider/idp"},"Action":"sts:AssumeRoleWithSAML","Condition":{"Null":{"SAML:aud":"false"},"NumericLessThan":{"x":5}}}]}`,
	}
	for _, in := range ok {
		if err := ValidateTrust([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	bad := map[string]string{
		`{"Statement":[]}`: "Statement is missing or empty",
		`{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`:                                    "Version",
		`{"Statement":[{"Effect":"allow","Principal":"*","Action":"sts:AssumeRole"}]}`:                                                           "Effect must be",
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`:                                     "NotPrincipal",
		`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`:                                                                           "Principal is missing",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"sts:AssumeRole"}]}`:                                 "not an account",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/*"},"Action":"sts:AssumeRole"}]}`:                    "not an account",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:group/g"},"Action":"sts:AssumeRole"}]}`:                   "does not name",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}`:                                                     "not an action",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}`:                                    "Resource",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"}}]}`:                                                                             "Action is missing",
		`{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"sts:AssumeRole"}]}`:                                       "not allowed in a trust policy",
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}]}`:                                               "not a service principal",
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"*"},"Action":"sts:AssumeRole"}]}`:                                             "wildcard",
		`{"Statement":[{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}]}`:                                                            "empty",
		`{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"sts:AssumeRole"}]}`:                                         "bare principal",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringFancy":{"a":"b"}}}]}`:                     "unknown condition operator",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"a":"maybe"}}}]}`:                        "not true or false",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"a":[]}}}]}`:                     "no values",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Extra":1}]}`:                                                 "unknown element",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Principal":"*","Action":"sts:AssumeRole"}]}`:                                           "duplicate",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Sid":"` + "\u0100" + `"}]}`:                                  "outside what IAM accepts",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","NotAction":"sts:TagSession"}]}`:                      "both Action and NotAction",
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`: "provider ARN",
	}
	for in, want := range bad {
		err := ValidateTrust([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want error containing %q", in, err, want)
		}
	}
}

func TestPlanTrustQuotaAndOptions(t *testing.T) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PlanTrust(d, testOpt, 100); err == nil || !strings.Contains(err.Error(), "size quota of 100 bytes") {
		t.Errorf("quota: got %v", err)
	}
	if _, err := PlanTrust(d, TrustOptions{}, 0); err == nil {
		t.Error("missing account accepted")
	}
	// Custom allowed principals and partition.
	opt := TrustOptions{Account: "111111111111", Partition: "aws-us-gov", AllowedPrincipals: []string{"arn:aws-us-gov:iam::111111111111:role/admins/*", "arn:aws-us-gov:iam::111111111111:role/deployer"}}
	p, err := PlanTrust(d, opt, 2048)
	if err != nil || !p.Changed {
		t.Fatalf("plan: %+v %v", p, err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws-us-gov:iam::111111111111:role/admins/*","arn:aws-us-gov:iam::111111111111:role/deployer"]}}}]}`
	if string(p.Document) != want {
		t.Errorf("got  %s\nwant %s", p.Document, want)
	}
	// Allowed patterns broader than "specific" still count once configured.
	opt.AllowedPrincipals = []string{"arn:aws-us-gov:iam::111111111111:role/*"}
	p, err = PlanTrust(d, opt, 2048)
	if err != nil || !p.Changed {
		t.Fatalf("broad allowed pattern: %+v %v", p, err)
	}
	if nil == p.Findings {
		t.Error("nil findings")
	}
}
