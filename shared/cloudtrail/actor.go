package cloudtrail

import (
	"strings"

	"github.com/gcguard/gcguard/shared/config"
)

// Actor kinds, as a notice names who made the call.
const (
	ActorSSOUser = "sso_user"
	ActorRole    = "role"
	ActorIAMUser = "iam_user"
	ActorRoot    = "root"
	ActorService = "service"
	ActorAccount = "account"
	ActorUnknown = "unknown"
)

// Actor is who made the call, named for people.
type Actor struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`            // e-mail for SSO users, role/session, user name, "root"
	Email   string `json:"email,omitempty"` // the SSO user's e-mail, where there is one
	ARN     string `json:"arn,omitempty"`   // the principal: for a session, its role's ARN
	Account string `json:"account,omitempty"`
}

// Actor names who made the call.
func (e *Event) Actor() Actor {
	id := e.Detail.UserIdentity
	a := Actor{Kind: ActorUnknown, ARN: id.ARN, Account: id.AccountID, Name: id.ARN}
	switch id.Type {
	case "Root":
		a.Kind, a.Name = ActorRoot, "root"
	case "IAMUser":
		a.Kind, a.Name = ActorIAMUser, id.UserName
		if a.Name == "" {
			a.Name = lastSegment(id.ARN)
		}
	case "AssumedRole":
		role := e.IssuerRoleARN()
		session := lastSegment(id.ARN)
		a.Kind, a.ARN = ActorRole, role
		a.Name = lastSegment(role) + "/" + session
		if IsSSORoleARN(role) {
			a.Kind = ActorSSOUser
			a.Name = session
			if strings.Contains(session, "@") {
				a.Email = session
			}
		}
	case "IdentityCenterUser":
		a.Kind = ActorSSOUser
		a.Name = id.UserName
		if a.Name == "" && id.OnBehalfOf != nil {
			a.Name = id.OnBehalfOf.UserID // the identity store's user id
		}
		if strings.Contains(id.UserName, "@") {
			a.Email = id.UserName
		}
	case "AWSService":
		a.Kind, a.Name = ActorService, id.InvokedBy
	case "AWSAccount":
		a.Kind, a.Name = ActorAccount, id.AccountID
	case "FederatedUser":
		a.Kind, a.Name = ActorRole, lastSegment(id.ARN)
	}
	if a.Name == "" {
		a.Name = "unknown"
	}
	return a
}

// IssuerRoleARN is the role behind an assumed-role session, or "".
func (e *Event) IssuerRoleARN() string {
	if sc := e.Detail.UserIdentity.SessionContext; sc != nil {
		return sc.SessionIssuer.ARN
	}
	return ""
}

// CausedBy reports whether the call was made by a session of one of the
// given roles. Only the issuing role's ARN counts, never the session name:
// anyone who may assume any role chooses their own session name.
func (e *Event) CausedBy(roleARNs []string) bool {
	if e.Detail.UserIdentity.Type != "AssumedRole" {
		return false
	}
	issuer := e.IssuerRoleARN()
	if issuer == "" {
		return false
	}
	for _, r := range roleARNs {
		if r == issuer {
			return true
		}
		if strings.ContainsAny(r, "*?") && config.WildcardMatch(r, issuer) {
			return true
		}
	}
	return false
}

// IsSSORoleARN reports whether a role ARN has the IAM Identity Center shape.
// The shape is evidence of origin only when the role also trusts the
// account's AWSSSO_ SAML provider: names are chosen by whoever creates roles.
func IsSSORoleARN(arn string) bool {
	return strings.Contains(arn, ":role/aws-reserved/sso.amazonaws.com/") &&
		strings.HasPrefix(lastSegment(arn), "AWSReservedSSO_")
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
