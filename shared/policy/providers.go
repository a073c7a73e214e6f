package policy

import "strings"

// The federation table: for each web-identity platform, which claims the
// platform fixes from the tenant's identity (a tenant cannot choose them)
// and which the token requester chooses. A claim pins a tenant only when
// the platform fixes it and the policy's value names one tenant. Sources:
//
//   - IAM condition keys for web identity federation:
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
//   - GitHub Actions claims, custom audience (core.getIDToken(audience)) and
//     subject templates set per organization or repository:
//     https://docs.github.com/actions/reference/openid-connect-reference
//     https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
//   - GitLab ID tokens (sub = project_path:<group>/<project>:ref_type:…; aud
//     is set by the job's id_tokens):
//     https://docs.gitlab.com/ee/ci/secrets/id_token_authentication.html
//   - HCP Terraform workload identity (sub = organization:<org>:project:…;
//     audience set by the workspace's TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE):
//     https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration
//   - Cognito identity pools (aud = identity pool id, amr):
//     https://docs.aws.amazon.com/cognito/latest/developerguide/iam-roles.html
//   - EKS IRSA (sub = system:serviceaccount:<namespace>:<name>):
//     https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html

// provider describes one platform.
type provider struct {
	name string
	// fixed lists the claims the platform sets from the tenant's identity.
	fixed map[string]bool
	// pins reports whether a policy value of a fixed claim names a tenant
	// an arbitrary tenant is not (the tenant's part literal and complete).
	pins func(claim, value string, like bool) bool
	// probe is the arbitrary tenant's own value of each fixed claim.
	probe map[string]string
}

// providerFor returns the table entry for a provider host; nil when the
// platform is not in the table (its verdict is then unsure).
func providerFor(host string) *provider {
	h := strings.ToLower(host)
	switch {
	case h == "token.actions.githubusercontent.com" || strings.HasPrefix(h, "token.actions.githubusercontent.com/"):
		return &githubProvider
	case h == "gitlab.com":
		return &gitlabProvider
	case h == "app.terraform.io":
		return &terraformProvider
	case h == "cognito-identity.amazonaws.com":
		return &cognitoProvider
	case h == "accounts.google.com":
		return &googleProvider
	case h == "graph.facebook.com":
		return &facebookProvider
	case h == "www.amazon.com":
		return &amazonProvider
	case strings.HasPrefix(h, "oidc.eks.") && strings.Contains(h, ".amazonaws.com/id/"):
		return &eksProvider
	}
	return nil
}

// The arbitrary tenant's identity on every platform.
const (
	probeOwner   = "gcguard-probe-owner"
	probeOwnerID = "990099009"
)

var githubProvider = provider{
	name: "GitHub Actions",
	// sub is fixed in the sense that its repository parts are the
	// tenant's own; its shape (the template) is the tenant's choice.
	fixed: map[string]bool{"sub": true, "repository": true, "repository_id": true,
		"repository_owner": true, "repository_owner_id": true, "job_workflow_ref": true},
	pins: githubPins,
	probe: map[string]string{
		"sub":                 "repo:" + probeOwner + "/app:ref:refs/heads/main",
		"repository":          probeOwner + "/app",
		"repository_id":       "990099010",
		"repository_owner":    probeOwner,
		"repository_owner_id": probeOwnerID,
		"job_workflow_ref":    probeOwner + "/app/.github/workflows/deploy.yml@refs/heads/main",
	},
}

// githubPins: sub pins when it starts with a claim GitHub fills from the
// repository (repo:<owner>/, repository:<owner>/, repository_owner_id:<id>,
// repository_owner:<owner>, repository_id:<id>) with that value literal and
// complete. Custom templates that start with a context the workflow
// chooses (environment:, ref:, context, workflow…) pin nobody: any
// repository can configure the same template. The repository claim keys
// STS exposes pin when literal (repository and job_workflow_ref: when the
// owner part is).
func githubPins(claim, v string, like bool) bool {
	switch claim {
	case "sub":
		return prefixPins(v, like, "repo:", "/") || prefixPins(v, like, "repository:", "/") ||
			prefixPins(v, like, "repository_owner_id:", ":") || prefixPins(v, like, "repository_owner:", ":") ||
			prefixPins(v, like, "repository_id:", ":")
	case "repository", "job_workflow_ref":
		lit := v
		if like {
			lit = literalPrefix(v)
		}
		return v != "" && (lit == v || strings.IndexByte(lit, '/') > 0)
	case "repository_owner", "repository_owner_id", "repository_id":
		return v != "" && (!like || !hasWildcard(v))
	}
	return false
}

var gitlabProvider = provider{
	name:  "GitLab",
	fixed: map[string]bool{"sub": true},
	pins: func(claim, v string, like bool) bool {
		return claim == "sub" && prefixPins(v, like, "project_path:", "/")
	},
	probe: map[string]string{"sub": "project_path:" + probeOwner + "/app:ref_type:branch:ref:main"},
}

var terraformProvider = provider{
	name:  "HCP Terraform",
	fixed: map[string]bool{"sub": true},
	pins: func(claim, v string, like bool) bool {
		return claim == "sub" && prefixPins(v, like, "organization:", ":")
	},
	probe: map[string]string{"sub": "organization:" + probeOwner + ":project:Default Project:workspace:app:run_phase:apply"},
}

var cognitoProvider = provider{
	name:  "Cognito identity pools",
	fixed: map[string]bool{"aud": true, "sub": true},
	pins:  exactPins("aud", "sub"),
	probe: map[string]string{"aud": "ap-northeast-1:99009900-0000-4000-8000-000000000000", "sub": "ap-northeast-1:99009900-0000-4000-8000-000000000001"},
}

var googleProvider = provider{
	name:  "Google",
	fixed: map[string]bool{"aud": true, "sub": true, "oaud": true},
	pins:  exactPins("aud", "sub", "oaud"),
	probe: map[string]string{"aud": "990099009-probe.apps.googleusercontent.com", "sub": "990099009990099009", "oaud": "990099009-probe.apps.googleusercontent.com"},
}

var facebookProvider = provider{
	name:  "Facebook",
	fixed: map[string]bool{"app_id": true, "id": true},
	pins:  exactPins("app_id", "id"),
	probe: map[string]string{"app_id": probeOwnerID, "id": probeOwnerID},
}

var amazonProvider = provider{
	name:  "Login with Amazon",
	fixed: map[string]bool{"app_id": true, "user_id": true},
	pins:  exactPins("app_id", "user_id"),
	probe: map[string]string{"app_id": "amzn1.application.990099009", "user_id": "amzn1.account.990099009"},
}

var eksProvider = provider{
	name:  "EKS (IRSA)",
	fixed: map[string]bool{"sub": true},
	// A service account the attacker can create pins nobody: namespace and
	// name must both be fixed.
	pins: func(claim, v string, like bool) bool {
		if claim != "sub" {
			return false
		}
		rest, ok := strings.CutPrefix(v, "system:serviceaccount:")
		if !ok {
			return false
		}
		ns, name, ok := strings.Cut(rest, ":")
		return ok && ns != "" && name != "" && (!like || !hasWildcard(rest))
	},
	probe: map[string]string{"sub": "system:serviceaccount:" + probeOwner + ":probe"},
}

// exactPins: the listed claims pin when the value is literal.
func exactPins(claims ...string) func(string, string, bool) bool {
	return func(claim, v string, like bool) bool {
		for _, c := range claims {
			if c == claim {
				return v != "" && (!like || !hasWildcard(v))
			}
		}
		return false
	}
}

// prefixPins: the value starts with prefix followed by a literal,
// non-empty tenant name ended by sep (or the end of a literal value).
func prefixPins(v string, like bool, prefix, sep string) bool {
	lit := v
	if like {
		lit = literalPrefix(v)
	}
	rest, ok := strings.CutPrefix(lit, prefix)
	if !ok {
		return false
	}
	if lit == v {
		return rest != ""
	}
	i := strings.Index(rest, sep)
	return i > 0
}
