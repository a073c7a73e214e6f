package iamrules

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
)

// Never-touch evidence for roles (DESIGN §2). Each class needs evidence
// beyond the role's name or path, which whoever creates the role chooses:
//
//   - service-linked: path /aws-service-role/ (IAM reserves it) and a trust
//     naming service principals only;
//   - IAM Identity Center: path /aws-reserved/sso.amazonaws.com/ and a trust
//     naming only the account's own AWSSSO_… SAML provider;
//   - CDK bootstrap: CloudFormation says the role is a live resource of the
//     CDKToolkit stack, and the trust names only this account, trusted
//     accounts or cloudformation.amazonaws.com;
//   - gcguard's own roles: ARN in Config.OwnRoleARNs.
//
// Whatever the class, a trust that lets in the public, a foreign account,
// another organization or unrestricted federated users is analyzed and
// fixed like any other.
const (
	serviceLinkedPath = "/aws-service-role/"
	ssoPath           = "/aws-reserved/sso.amazonaws.com/"
	cdkToolkitStack   = "CDKToolkit"
)

// regionSuffix finds the region CDK bootstrap role names end with
// (cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1); it only says
// where to ask CloudFormation, never decides anything itself.
var regionSuffix = regexp.MustCompile(`-\d{12}-([a-z]{2}(?:-[a-z]+)+-\d)$`)

type principal struct{ typ, value string }

// grantPrincipals lists the principals of the Allow statements; ok is false
// when an Allow statement grants through "*" or NotPrincipal, which no
// never-touch class ever has.
func grantPrincipals(doc *policy.Document) (ps []principal, ok bool) {
	for _, s := range doc.Statements {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		if s.NotPrincipal != nil || s.Principal == nil || s.Principal.Wildcard {
			return nil, false
		}
		for _, e := range s.Principal.Entries {
			for _, v := range e.Values.List {
				ps = append(ps, principal{e.Type, v})
			}
		}
	}
	return ps, len(ps) > 0
}

func all(ps []principal, f func(principal) bool) bool {
	for _, p := range ps {
		if !f(p) {
			return false
		}
	}
	return true
}

// neverTouch fills st.NeverTouch (or st.Doubt) from live evidence.
func (r *RoleTrust) neverTouch(ctx context.Context, t guardrail.Target, st *RoleTrustState) error {
	cfg := r.Config
	if cfg == nil {
		return nil
	}
	doc, err := policy.Parse([]byte(st.Document))
	if err != nil {
		return nil // Plan reports what it cannot read
	}
	ps, ok := grantPrincipals(doc)
	own := ownRole(cfg.OwnRoleARNs, st.RoleARN)
	if !ok && !own {
		return nil
	}
	var why string
	switch {
	case own:
		why = "gcguard's own role"
	case strings.HasPrefix(st.Path, serviceLinkedPath) && all(ps, func(p principal) bool { return p.typ == "Service" }):
		why = "service-linked role (path " + st.Path + ", reserved by IAM, trusting only AWS services)"
	case strings.HasPrefix(st.Path, ssoPath) && all(ps, func(p principal) bool { return ssoProvider(cfg, p) }):
		why = "IAM Identity Center role (path " + st.Path + ", trusting only the account's AWSSSO_ SAML provider)"
	case all(ps, func(p principal) bool { return cdkTrust(cfg, p) }):
		stack, doubt, err := r.cdkStack(ctx, t.Role, cfg)
		if err != nil {
			return err
		}
		if doubt != "" {
			st.Doubt = doubt
			return nil
		}
		if stack == "" {
			return nil
		}
		why = "CDK bootstrap role (resource of stack " + stack + ", trusting only this account, trusted accounts or CloudFormation)"
	default:
		return nil
	}
	rep := policy.AnalyzeTrust(doc, trustOptions(cfg))
	if rep.Public || len(rep.ExternalAccounts) > 0 || rep.OrgWide || rep.UnrestrictedFederated {
		r.logger().WarnContext(ctx, "looks like a "+why+" but its trust lets outsiders in: analyzed and fixed like any other role",
			"rule", RoleTrustSpec.Name, "resource", st.RoleARN)
		return nil
	}
	st.NeverTouch = why
	return nil
}

// ownRole matches gcguard's own role ARNs as the loop guard does (patterns
// allowed).
func ownRole(patterns []string, arn string) bool {
	for _, p := range patterns {
		if p == arn {
			return true
		}
		if strings.ContainsAny(p, "*?") {
			if ok, _ := path.Match(p, arn); ok {
				return true
			}
		}
	}
	return false
}

// ssoProvider: Federated arn:<partition>:iam::<this account>:saml-provider/AWSSSO_….
func ssoProvider(cfg *config.Config, p principal) bool {
	prefix := "arn:" + cfg.Partition + ":iam::" + cfg.Account + ":saml-provider/AWSSSO_"
	return p.typ == "Federated" && strings.HasPrefix(p.value, prefix) && len(p.value) > len(prefix)
}

// cdkTrust: this account or a trusted one (bare ID or :root), or CloudFormation.
func cdkTrust(cfg *config.Config, p principal) bool {
	switch p.typ {
	case "Service":
		return p.value == "cloudformation.amazonaws.com"
	case "AWS":
		acct := p.value
		if a, ok := strings.CutPrefix(p.value, "arn:"+cfg.Partition+":iam::"); ok {
			id, rest, _ := strings.Cut(a, ":")
			if rest != "root" {
				return false
			}
			acct = id
		}
		return cfg.Account == acct || slices.Contains(cfg.TrustedAccounts, acct)
	}
	return false
}

// cdkStack asks CloudFormation whether the role is a live resource of the
// CDKToolkit stack. It returns the stack's name when it is, "" when not;
// doubt when the answer could not be had (the role is then only reported).
func (r *RoleTrust) cdkStack(ctx context.Context, role string, cfg *config.Config) (stack, doubt string, err error) {
	if r.CFN == nil {
		return "", "", nil
	}
	regions := []string{cfg.HomeRegion}
	if m := regionSuffix.FindStringSubmatch(role); m != nil && m[1] != cfg.HomeRegion {
		regions = append([]string{m[1]}, regions...)
	}
	for _, region := range regions {
		roles, err := r.toolkit.roles(ctx, r.CFN(region), region, role)
		switch {
		case awsapi.IsTransient(err):
			return "", "", fmt.Errorf("ask CloudFormation (%s) for the %s stack's roles: %w", region, cdkToolkitStack, err)
		case err != nil:
			return "", fmt.Sprintf("cannot tell whether role %s is a CDK bootstrap role (CloudFormation in %s: %v), so it is reported, not changed", role, region, err), nil
		case roles[role]:
			return cdkToolkitStack + " (" + region + ")", "", nil
		}
	}
	return "", "", nil
}

// toolkitCache keeps the CDKToolkit stack's live roles per region, so a
// sweep over thousands of roles asks CloudFormation a handful of times, not
// once per role. A role missing from a list older than toolkitFresh makes
// it ask again: a role CDK bootstrap is creating right now must not be
// mistaken for an ordinary one.
type toolkitCache struct {
	mu       sync.Mutex
	byRegion map[string]toolkitRoles
}

type toolkitRoles struct {
	roles   map[string]bool
	fetched time.Time
}

const toolkitFresh = 10 * time.Second

func (c *toolkitCache) roles(ctx context.Context, cfn guardrail.CloudFormationAPI, region, role string) (map[string]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRegion == nil {
		c.byRegion = map[string]toolkitRoles{}
	}
	if e, ok := c.byRegion[region]; ok && (e.roles[role] || time.Since(e.fetched) < toolkitFresh) {
		return e.roles, nil
	}
	out, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(cdkToolkitStack)})
	roles := map[string]bool{}
	switch {
	case awsapi.Code(err) == "ValidationError" || awsapi.IsNotFound(err):
		// "Stack with id CDKToolkit does not exist": no bootstrap here.
	case err != nil:
		return nil, err
	default:
		for _, res := range out.StackResources {
			if aws.ToString(res.ResourceType) == "AWS::IAM::Role" && aws.ToString(res.StackName) == cdkToolkitStack &&
				!strings.HasPrefix(string(res.ResourceStatus), "DELETE_") {
				roles[aws.ToString(res.PhysicalResourceId)] = true
			}
		}
	}
	c.byRegion[region] = toolkitRoles{roles: roles, fetched: time.Now()}
	return roles, nil
}
