package policy

import (
	"fmt"
	"slices"
	"strings"
)

// A small reference model of how STS decides an assume request against a
// trust policy, used to check rewrites semantically: a rewrite must allow
// no request the original denied, and must keep allowing requests from
// allowed principals that the original allowed.

type request struct {
	typ     string // AWS, Service, Federated
	arn     string // caller principal ARN (AWS), service name, provider ARN
	account string // caller account (AWS)
	action  string
	ctx     Context
}

func (r request) String() string {
	return fmt.Sprintf("%s %s %s %v", r.typ, r.arn, r.action, r.ctx)
}

func principalMatches(p *Principal, req request) bool {
	if p == nil {
		return false
	}
	if p.Wildcard {
		return true
	}
	for _, e := range p.Entries {
		if e.Type != req.typ {
			continue
		}
		for _, v := range e.Values.List {
			if v == "*" {
				return true
			}
			switch req.typ {
			case "AWS":
				if isAccountID(v) && v == req.account {
					return true
				}
				if part, _, _, acct, res, ok := arnParts(v); ok && res == "root" {
					// An account principal stands for every principal of
					// the account (literally, of every matching account).
					rpart, _, _, _, _, _ := arnParts(req.arn)
					if globMatch(acct, req.account, false) && part == rpart {
						return true
					}
					continue
				}
				// Literal meaning of a wildcard principal.
				if globMatch(v, req.arn, false) {
					return true
				}
			default:
				if v == req.arn {
					return true
				}
			}
		}
	}
	return false
}

func statementApplies(s *Statement, req request, version string) bool {
	switch {
	case s.Action != nil:
		if !slices.ContainsFunc(s.Action.List, func(a string) bool { return globMatch(a, req.action, true) }) {
			return false
		}
	case s.NotAction != nil:
		if slices.ContainsFunc(s.NotAction.List, func(a string) bool { return globMatch(a, req.action, true) }) {
			return false
		}
	}
	switch {
	case s.NotPrincipal != nil:
		if principalMatches(s.NotPrincipal, req) {
			return false
		}
	case !principalMatches(s.Principal, req):
		return false
	}
	ok, err := Evaluate(s.Condition, req.ctx, version)
	return err == nil && ok
}

// simulate reports whether the policy lets req assume the role.
func simulate(d *Document, req request) bool {
	allowed := false
	for _, s := range d.Statements {
		if !statementApplies(s, req, d.Version) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// sampleRequests builds callers that exercise the policy: principals of
// own, trusted and foreign accounts (SSO roles, other roles, users),
// identity-provider and service callers, each with and without the
// condition values the policy itself mentions.
func sampleRequests(d *Document, opt TrustOptions) []request {
	opt = opt.withDefaults()
	type caller struct {
		typ, arn, account, userid string
	}
	own, tr, foreign := opt.Account, "222222222222", "999999999999"
	ssoRole := func(acct string) string {
		return "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AWSAdministratorAccess_0123456789abcdef"
	}
	callers := []caller{
		{"AWS", ssoRole(own), own, "AROAOWNSSO0000000001:alice@lg.id.cloud.go.jp"},
		{"AWS", "arn:aws:iam::" + own + ":role/deployer", own, "AROAOWNDEPLOYER00001:ci"},
		{"AWS", "arn:aws:iam::" + own + ":role/app-web", own, "AROAEXAMPLEID1234567:x"},
		{"AWS", "arn:aws:iam::" + own + ":user/bob", own, "AIDAEXAMPLEUSERID123"},
		{"AWS", "arn:aws:iam::" + own + ":root", own, own},
		{"AWS", ssoRole(tr), tr, "AROATRSSO00000000001:alice@lg.id.cloud.go.jp"},
		{"AWS", "arn:aws:iam::" + tr + ":role/ops", tr, "AROATROPS00000000001:x"},
		{"AWS", ssoRole(foreign), foreign, "AROAFORSSO0000000001:alice@lg.id.cloud.go.jp"},
		{"AWS", "arn:aws:iam::" + foreign + ":role/vendor", foreign, "AROAFORVENDOR0000001:s"},
		{"AWS", "arn:aws:iam::" + foreign + ":root", foreign, foreign},
	}
	// Principals written in the policy are callers too.
	for _, s := range d.Statements {
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, e := range p.Entries {
				for _, v := range e.Values.List {
					switch e.Type {
					case "AWS":
						if _, _, _, acct, _, ok := arnParts(v); ok && isAccountID(acct) && !hasWildcard(v) && !strings.HasSuffix(v, ":root") {
							callers = append(callers, caller{"AWS", v, acct, "AROAWRITTEN000000001:s"})
						}
					case "Service", "Federated":
						callers = append(callers, caller{e.Type, v, "", ""})
					}
				}
			}
		}
	}
	callers = append(callers, caller{"Service", "lambda.amazonaws.com", "", ""},
		caller{"Federated", "arn:aws:iam::" + own + ":oidc-provider/token.actions.githubusercontent.com", "", ""})

	// Condition values mentioned by the policy, per key.
	mentioned := map[string][]string{}
	for _, s := range d.Statements {
		if s.Condition == nil {
			continue
		}
		for _, b := range s.Condition.Blocks {
			for _, e := range b.Entries {
				k := strings.ToLower(e.Key)
				for _, v := range e.Values {
					mentioned[k] = append(mentioned[k], strings.ReplaceAll(v.Text, "*", "x"))
				}
			}
		}
	}
	var reqs []request
	for _, c := range callers {
		actions := []string{"sts:AssumeRole"}
		if c.typ == "Federated" {
			actions = []string{"sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"}
		}
		for _, act := range actions {
			for variant := 0; variant < 3; variant++ {
				ctx := Context{}
				if c.typ == "AWS" {
					ctx["aws:PrincipalArn"] = []string{c.arn}
					ctx["aws:PrincipalAccount"] = []string{c.account}
					ctx["aws:userid"] = []string{c.userid}
					if c.account == own || c.account == tr {
						ctx["aws:PrincipalOrgID"] = []string{"o-trusted123"}
						ctx["aws:PrincipalOrgPaths"] = []string{"o-trusted123/r-ab12/ou-ab12-11111111/"}
					} else {
						ctx["aws:PrincipalOrgID"] = []string{"o-other456"}
						ctx["aws:PrincipalOrgPaths"] = []string{"o-other456/r-ab12/ou-ab12-11111111/"}
					}
				}
				// Variant 0: no other keys; 1: first mentioned value of
				// every other key; 2: last mentioned value.
				if variant > 0 {
					for k, vs := range mentioned {
						if _, set := ctx.lookup(k); set && c.typ == "AWS" && strings.HasPrefix(k, "aws:principal") {
							continue
						}
						if isClaimKey(k) && c.typ != "Federated" {
							continue // identity-provider claims come only with web identity calls
						}
						if (k == "aws:userid" || k == "aws:username") && c.typ == "AWS" {
							// Set by AWS from who the caller is.
							continue
						}
						v := vs[0]
						if variant == 2 {
							v = vs[len(vs)-1]
						}
						ctx[k] = []string{v}
					}
				}
				reqs = append(reqs, request{typ: c.typ, arn: c.arn, account: c.account, action: act, ctx: ctx})
			}
		}
	}
	return reqs
}
