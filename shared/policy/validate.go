package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Actions IAM accepts in a role trust policy.
var trustActions = []string{
	"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext",
}

// ValidateTrust checks doc against the trust-policy grammar IAM enforces,
// which moto does not: gcguard must never write a policy IAM would reject.
// It refuses NotPrincipal, Resource/NotResource, partial-wildcard and
// malformed principals, non-STS actions, unknown elements and operators,
// and characters outside what IAM accepts in policy documents.
func ValidateTrust(doc []byte) error {
	if err := validateCharset(doc); err != nil {
		return fmt.Errorf("validate trust policy: %w", err)
	}
	d, err := Parse(doc)
	if err != nil {
		return fmt.Errorf("validate trust policy: %w", err)
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for _, n := range d.notes {
		add("%s", n)
	}
	for _, m := range d.Extra {
		add("unknown top-level element %q", m.Key)
	}
	if d.HasVersion && d.Version != Version2012 && d.Version != Version2008 {
		add("Version %q is neither %s nor %s", d.Version, Version2012, Version2008)
	}
	if len(d.Statements) == 0 {
		add("Statement is missing or empty")
	}
	for i, s := range d.Statements {
		for _, e := range validateStatement(s) {
			add("statement %d: %s", i, e)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("validate trust policy: %w", errors.Join(errs...))
	}
	return nil
}

func validateCharset(doc []byte) error {
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Errorf("invalid UTF-8 at byte %d", i)
		}
		if !(r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF)) {
			return fmt.Errorf("character %U at byte %d is outside what IAM accepts in policies", r, i)
		}
		i += n
	}
	return nil
}

func validateStatement(s *Statement) []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	errs = append(errs, s.notes...)
	for _, m := range s.Extra {
		add("unknown element %q", m.Key)
	}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		add("Effect must be Allow or Deny, got %q", s.Effect)
	}
	if s.NotPrincipal != nil {
		add("NotPrincipal is not allowed in a trust policy")
	}
	if s.Resource != nil || s.NotResource != nil {
		add("Resource/NotResource is not allowed in a trust policy")
	}
	if s.Principal == nil {
		add("Principal is missing")
	} else {
		for _, e := range validatePrincipal(s.Principal) {
			add("Principal: %s", e)
		}
	}
	switch {
	case s.Action != nil && s.NotAction != nil:
		add("both Action and NotAction")
	case s.Action != nil:
		errs = append(errs, validateActions("Action", s.Action)...)
	case s.NotAction != nil:
		errs = append(errs, validateActions("NotAction", s.NotAction)...)
	default:
		add("Action is missing")
	}
	if s.Condition != nil {
		errs = append(errs, validateCondition(s.Condition)...)
	}
	return errs
}

func validateActions(name string, v *Values) []string {
	var errs []string
	if len(v.List) == 0 {
		return []string{name + " is empty"}
	}
	for _, a := range v.List {
		if a == "*" {
			continue
		}
		ok := false
		if strings.HasPrefix(strings.ToLower(a), "sts:") {
			for _, t := range trustActions {
				if globMatch(a, t, true) {
					ok = true
					break
				}
			}
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("%s %q is not an action a trust policy can grant", name, a))
		}
	}
	return errs
}

func validatePrincipal(p *Principal) []string {
	if p.Wildcard {
		return nil
	}
	if len(p.Entries) == 0 {
		return []string{"empty"}
	}
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for _, e := range p.Entries {
		if len(e.Values.List) == 0 {
			add("%s has no values", e.Type)
		}
		for _, v := range e.Values.List {
			switch e.Type {
			case "AWS":
				if v == "*" {
					continue
				}
				ap := classifyAWS(v)
				if ap.kind == awsInvalid || hasWildcard(v) {
					add("AWS %q is not an account, an IAM/STS principal ARN or \"*\"", v)
					continue
				}
				if ap.arn != "" {
					_, _, _, _, res, _ := arnParts(v)
					if res != "root" && !validPrincipalResource(res) {
						add("AWS %q does not name a role, user, assumed-role session or federated user", v)
					}
				}
			case "Service":
				if !hostLike(v) {
					add("Service %q is not a service principal name", v)
				}
			case "Federated":
				host, kind, acct, _ := providerHost(v)
				switch {
				case hasWildcard(v):
					add("Federated %q holds a wildcard", v)
				case kind == "saml" || kind == "oidc":
					if !isAccountID(acct) || host == "" {
						add("Federated %q is not a provider ARN", v)
					}
				case kind == "web" && hostLike(v):
				default:
					add("Federated %q is not an identity provider", v)
				}
			case "":
				add("a bare principal string must be \"*\", got %q", v)
			default:
				add("principal type %q is not allowed in a trust policy", e.Type)
			}
		}
	}
	return errs
}

func validPrincipalResource(res string) bool {
	for _, p := range []string{"role/", "user/", "assumed-role/", "federated-user/"} {
		if strings.HasPrefix(res, p) && len(res) > len(p) {
			return true
		}
	}
	return false
}

func hostLike(v string) bool {
	if v == "" || !strings.Contains(v, ".") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '/') {
			return false
		}
	}
	return true
}

func validateCondition(c *Condition) []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if len(c.Blocks) == 0 {
		add("Condition is empty")
	}
	for _, b := range c.Blocks {
		op := ParseOperator(b.Operator)
		if !op.Known() {
			add("unknown condition operator %q", b.Operator)
			continue
		}
		if len(b.Entries) == 0 {
			add("condition operator %s has no keys", b.Operator)
		}
		for _, e := range b.Entries {
			if e.Key == "" {
				add("%s: empty condition key", b.Operator)
			}
			if len(e.Values) == 0 {
				add("%s %s: no values", b.Operator, e.Key)
			}
			for _, v := range e.Values {
				switch {
				case op.Base == "Null" || op.Base == "Bool":
					if !strings.EqualFold(v.Text, "true") && !strings.EqualFold(v.Text, "false") {
						add("%s %s: %q is not true or false", b.Operator, e.Key, v.Text)
					}
				case strings.HasPrefix(op.Base, "Numeric"):
					if _, err := strconv.ParseFloat(v.Text, 64); err != nil {
						add("%s %s: %q is not a number", b.Operator, e.Key, v.Text)
					}
				}
			}
		}
	}
	return errs
}

// ValidateBucket checks doc against the bucket-policy grammar S3 enforces
// and moto does not, so gcguard never writes a policy S3 would reject: a
// Principal or NotPrincipal in every statement and no orphaned unique ID
// (AROA…/AIDA…: "Invalid principal in policy"), Action and Resource (or
// their Not forms), unique Sids, known operators and the size limit.
func ValidateBucket(doc []byte) error {
	d, err := Parse(doc)
	if err != nil {
		return fmt.Errorf("validate bucket policy: %w", err)
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if n := len(Minify(d)); n > BucketPolicyMaxBytes {
		add("%d bytes minified, over S3's limit of %d", n, BucketPolicyMaxBytes)
	}
	if d.HasVersion && d.Version != Version2012 && d.Version != Version2008 {
		add("Version %q is neither %s nor %s", d.Version, Version2012, Version2008)
	}
	if len(d.Statements) == 0 {
		add("Statement is missing or empty")
	}
	sids := map[string]bool{}
	for i, s := range d.Statements {
		if s.HasSid && s.Sid != "" {
			if sids[s.Sid] {
				add("statement %d: Sid %q is not unique", i, s.Sid)
			}
			sids[s.Sid] = true
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			add("statement %d: Effect must be Allow or Deny, got %q", i, s.Effect)
		}
		if (s.Principal == nil) == (s.NotPrincipal == nil) {
			add("statement %d: needs exactly one of Principal and NotPrincipal", i)
		}
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil {
				continue
			}
			if !p.Wildcard && len(p.Entries) == 0 {
				add("statement %d: empty principal", i)
			}
			for _, v := range p.Values("AWS") {
				if isUniqueID(v) {
					add("statement %d: principal %s is a unique ID (a deleted principal): S3 rejects it as an invalid principal", i, v)
				}
			}
		}
		if (s.Action == nil) == (s.NotAction == nil) {
			add("statement %d: needs exactly one of Action and NotAction", i)
		}
		if (s.Resource == nil) == (s.NotResource == nil) {
			add("statement %d: needs exactly one of Resource and NotResource", i)
		}
		if s.Condition != nil {
			for _, e := range validateCondition(s.Condition) {
				add("statement %d: %s", i, e)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("validate bucket policy: %w", errors.Join(errs...))
	}
	return nil
}
