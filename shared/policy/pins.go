package policy

import (
	"fmt"
	"strings"
)

// pinValue is one condition value of a positive (narrowing) condition.
type pinValue struct {
	text string
	like bool // * and ? are wildcards
	vary bool // holds a policy variable: its value depends on the request
}

// pins is what a statement's conditions say about who the caller is. Each
// inner slice is one condition key's values (ORed); slices AND together.
// Only positive, unconditional forms count: negated operators can only
// remove the principals they name, …IfExists passes when the key is
// missing, and ForAllValues is vacuously true over a missing key.
type pins struct {
	principalArn  [][]pinValue
	account       [][]pinValue
	orgID         [][]pinValue
	orgPaths      [][]pinValue
	userid        [][]pinValue
	sourceAccount [][]pinValue
	sourceArn     [][]pinValue
	claims        map[string][][]pinValue // lower-case key → values
	unsure        []string
}

var positiveBases = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true,
}

func collectPins(c *Condition, version string) *pins {
	p := &pins{}
	if c == nil {
		return p
	}
	for _, b := range c.Blocks {
		op := ParseOperator(b.Operator)
		if !op.Known() {
			p.unsure = append(p.unsure, fmt.Sprintf("unknown condition operator %q", b.Operator))
			continue
		}
		if !positiveBases[op.Base] || op.IfExists || op.Set == "ForAllValues" {
			continue
		}
		for _, e := range b.Entries {
			vals := make([]pinValue, 0, len(e.Values))
			for _, v := range e.Values {
				vals = append(vals, pinValue{text: v.Text, like: op.Like(), vary: hasVariable(v.Text, version)})
			}
			if len(vals) == 0 {
				continue
			}
			switch k := strings.ToLower(e.Key); k {
			case "aws:principalarn":
				p.principalArn = append(p.principalArn, vals)
			case "aws:principalaccount":
				p.account = append(p.account, vals)
			case "aws:principalorgid":
				p.orgID = append(p.orgID, vals)
			case "aws:principalorgpaths":
				p.orgPaths = append(p.orgPaths, vals)
			case "aws:userid":
				p.userid = append(p.userid, vals)
			case "aws:sourceaccount":
				p.sourceAccount = append(p.sourceAccount, vals)
			case "aws:sourcearn":
				p.sourceArn = append(p.sourceArn, vals)
			default:
				if p.claims == nil {
					p.claims = map[string][][]pinValue{}
				}
				p.claims[k] = append(p.claims[k], vals)
			}
		}
	}
	return p
}

// exact reports whether the value names exactly one string.
func (v pinValue) exact() bool { return !v.vary && (!v.like || !hasWildcard(v.text)) }

// pattern returns the value as a glob (Equals values hold no wildcards in
// practice; treating a literal '*' as a wildcard only over-approximates).
func (v pinValue) pattern() string { return v.text }

// allValues reports whether some key's values all satisfy f: one such
// key is enough, since keys AND together.
func anySet(sets [][]pinValue, f func(pinValue) bool) bool {
	for _, set := range sets {
		ok := true
		for _, v := range set {
			if !f(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// specificArnPin reports whether an aws:PrincipalArn value names specific
// principals of one literal account.
func specificArnPin(v pinValue, allowed []string) bool {
	if v.vary {
		return false
	}
	for _, a := range allowed {
		if v.text == a {
			return true
		}
	}
	_, svc, _, acct, res, ok := arnParts(v.text)
	if !ok || (svc != "iam" && svc != "sts") || !isAccountID(acct) {
		return false
	}
	if !v.like {
		return res != ""
	}
	return specificResource(res)
}

// useridPinned reports whether an aws:userid value fixes a principal's
// unique ID ("AROA…:*", "AIDA…"): the session-name part after ':' is the
// caller's choice, the unique ID is not.
func useridPinned(v pinValue) bool {
	if v.vary {
		return false
	}
	t := v.text
	lp := t
	if v.like {
		lp = literalPrefix(t)
	}
	if !strings.HasPrefix(lp, "AROA") && !strings.HasPrefix(lp, "AIDA") {
		return false
	}
	return lp == t || strings.Contains(lp, ":")
}
