package rules_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/testkit"
)

const (
	roleARN     = "arn:aws:iam::123456789012:role/"
	ssoRolePath = "/aws-reserved/sso.amazonaws.com/ap-northeast-1/"
	switchOnly  = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_SwitchOnlyRole_0123456789abcdef"
	ssoPattern  = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"
)

// Trust policies the scenarios start from, written as people write them
// (spaces and all), so an exact restore is visible.
const (
	trustPublic      = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}`
	trustAccountRoot = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}`
	trustForeign     = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999988887777:root", "` + switchOnly + `"]}, "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:userid": "*:taro.yamada@lg.id.cloud.go.jp"}}}]}`
	trustGitHubAud   = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}`
	trustSwitchOnly  = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "` + switchOnly + `"}, "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:userid": ["*:taro.yamada@lg.id.cloud.go.jp"]}}}]}`
	trustOwnSSO      = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole", "Condition": {"ArnLike": {"aws:PrincipalArn": "` + ssoPattern + `"}}}]}`
	trustSSOSAML     = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}`
	// "+" and "%41" must survive GetRole's URL encoding as they are.
	trustPublicExternalID = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"sts:AssumeRole\",\n    \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"a+b %41 c\"}}}]\n}"
)

func (w *world) role(t *testing.T, name, path, trust string) {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if path != "" {
		in.Path = aws.String(path)
	}
	if _, err := w.iam.CreateRole(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func (w *world) setTrust(t *testing.T, name, trust string) {
	t.Helper()
	_, err := w.iam.UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
}

// trust returns the role's trust policy as IAM holds it: GetRole's
// URL-encoded answer decoded once.
func (w *world) trust(t *testing.T, name string) string {
	t.Helper()
	out, err := w.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	raw := aws.ToString(out.Role.AssumeRolePolicyDocument)
	if strings.HasPrefix(raw, "{") {
		t.Fatalf("GetRole returned the trust policy of %s unencoded: moto's fidelity changed", name)
	}
	doc, err := url.PathUnescape(raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// tightened fails unless the role's trust policy is valid for IAM, analyzes
// clean and contains every want fragment.
func (w *world) tightened(t *testing.T, name string, want ...string) string {
	t.Helper()
	doc := w.trust(t, name)
	if err := policy.ValidateTrust([]byte(doc)); err != nil {
		t.Fatalf("gcguard wrote a trust policy IAM would reject: %v\n%s", err, doc)
	}
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if rep := policy.AnalyzeTrust(d, trustOpt(w)); rep.Overbroad() || rep.Unsure {
		t.Fatalf("trust policy of %s still overbroad: %+v\n%s", name, rep.Findings, doc)
	}
	for _, s := range want {
		if !strings.Contains(doc, s) {
			t.Fatalf("trust policy of %s lacks %s:\n%s", name, s, doc)
		}
	}
	return doc
}

func trustOpt(w *world) policy.TrustOptions {
	c := w.sb.Config
	return policy.TrustOptions{Account: c.Account, TrustedAccounts: c.TrustedAccounts, TrustedOrg: c.TrustedOrg, AllowedPrincipals: c.Allowed(), Partition: c.Partition}
}

func (w *world) githubProvider(t *testing.T) {
	t.Helper()
	_, err := w.iam.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"}})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) ssoProvider(t *testing.T) {
	t.Helper()
	meta := `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://portal.sso.ap-northeast-1.amazonaws.com/saml/assertion/example"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>` + strings.Repeat(" ", 1000)
	_, err := w.iam.CreateSAMLProvider(context.Background(), &iam.CreateSAMLProviderInput{
		Name: aws.String("AWSSSO_0123456789abcdef_DO_NOT_DELETE"), SAMLMetadataDocument: aws.String(meta)})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) serviceLinked(t *testing.T, service string) string {
	t.Helper()
	out, err := w.iam.CreateServiceLinkedRole(context.Background(), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(service)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.RoleName)
}

// cdkToolkit makes CloudFormation say that role is a resource of the
// CDKToolkit stack. moto ignores DescribeStackResources' PhysicalResourceId,
// so the proxy answers as CloudFormation does.
func (w *world) cdkToolkit(role string) {
	body := `<DescribeStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackResourcesResult><StackResources>` +
		`<member><StackId>arn:aws:cloudformation:ap-northeast-1:123456789012:stack/CDKToolkit/0a1b2c3d-0000-4000-8000-000000000001</StackId><StackName>CDKToolkit</StackName>` +
		`<LogicalResourceId>DeploymentActionRole</LogicalResourceId><PhysicalResourceId>` + role + `</PhysicalResourceId><ResourceType>AWS::IAM::Role</ResourceType>` +
		`<Timestamp>2026-11-01T00:00:00Z</Timestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>` +
		`</StackResources></DescribeStackResourcesResult><ResponseMetadata><RequestId>testkit-cfn</RequestId></ResponseMetadata></DescribeStackResourcesResponse>`
	w.proxy.SetFault(testkit.Match("cloudformation", func(testkit.Call) *testkit.Fault {
		return &testkit.Fault{Status: 200, Body: []byte(body), ContentType: "text/xml"}
	}, "DescribeStackResources"))
}

// noMutations fails on any mutating call of any service.
func noMutations(t *testing.T, w *world) {
	t.Helper()
	if m := w.proxy.Mutating(""); len(m) != 0 {
		t.Fatalf("unexpected writes: %s", calls(m))
	}
}
