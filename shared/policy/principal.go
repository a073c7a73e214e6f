package policy

import "strings"

// awsKind is what an AWS principal value names.
type awsKind uint8

const (
	awsInvalid  awsKind = iota
	awsAnyone           // "*", or an ARN whose account is a wildcard
	awsAccount          // an account: bare ID, :root, or every principal of it
	awsSpecific         // one role, user, session, or a narrow pattern of them
	awsUniqueID         // AROA…/AIDA…: IAM's stand-in for a deleted principal
)

type awsPrincipal struct {
	kind      awsKind
	partition string
	account   string
	arn       string // ARN or ARN pattern ("" for bare IDs and "*")
}

// arnParts splits an ARN into its six parts; the resource may hold ':'.
func arnParts(s string) (partition, service, region, account, resource string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return
	}
	// strings.SplitN's answer, without its slice: this runs for every
	// principal of every class.
	rest := s[len("arn:"):]
	var f [4]string
	for i := range f {
		var found bool
		f[i], rest, found = strings.Cut(rest, ":")
		if !found {
			return
		}
	}
	return f[0], f[1], f[2], f[3], rest, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	switch s[:4] {
	case "AROA", "AIDA", "AGPA", "ANPA", "ANVA", "ASIA", "AKIA":
	default:
		return false
	}
	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// specificResource reports whether an IAM ARN resource part names one
// principal or a narrow family of them ("role/app-*" but not "role/*").
func specificResource(res string) bool {
	if res == "" {
		return false
	}
	lp := literalPrefix(res)
	if lp == res {
		return true
	}
	i := strings.IndexByte(lp, '/')
	return i >= 0 && i < len(lp)-1
}

func classifyAWS(v string) awsPrincipal {
	switch {
	case v == "*":
		return awsPrincipal{kind: awsAnyone}
	case isAccountID(v):
		return awsPrincipal{kind: awsAccount, account: v}
	case isUniqueID(v):
		return awsPrincipal{kind: awsUniqueID}
	}
	part, svc, region, acct, res, ok := arnParts(v)
	if !ok || (svc != "iam" && svc != "sts") || region != "" || part == "" || hasWildcard(part) {
		return awsPrincipal{kind: awsInvalid}
	}
	ap := awsPrincipal{partition: part, account: acct, arn: v}
	switch {
	case hasWildcard(acct):
		// arn:aws:iam::*:root and friends: IAM rejects them in trust
		// policies; read literally, they name every account.
		ap.kind, ap.account = awsAnyone, ""
		if res == "root" {
			ap.arn = "" // every account as a whole: every principal
		}
	case !isAccountID(acct) || res == "":
		ap.kind = awsInvalid
	case res == "root":
		ap.kind = awsAccount
	case specificResource(res):
		ap.kind = awsSpecific
	default:
		ap.kind = awsAccount
	}
	return ap
}

// rootARN is the account principal's ARN, the form IAM stores it in.
func rootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

// patternAccount returns the account part of an ARN pattern, and whether it
// is a literal account ID.
func patternAccount(p string) (string, bool) {
	_, _, _, acct, _, ok := arnParts(p)
	if !ok {
		return "", false
	}
	return acct, isAccountID(acct)
}

// providerHost returns the identity provider a Federated value names:
// "token.actions.githubusercontent.com" for
// arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com,
// the value itself for bare web-identity providers.
func providerHost(v string) (host, kind, account, partition string) {
	if part, svc, _, acct, res, ok := arnParts(v); ok && svc == "iam" {
		switch {
		case strings.HasPrefix(res, "oidc-provider/"):
			return strings.TrimPrefix(res, "oidc-provider/"), "oidc", acct, part
		case strings.HasPrefix(res, "saml-provider/"):
			return strings.TrimPrefix(res, "saml-provider/"), "saml", acct, part
		}
		return "", "", acct, part
	}
	if strings.Contains(v, ".") && !strings.ContainsAny(v, ": ") {
		return v, "web", "", ""
	}
	return "", "", "", ""
}
