package policy

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Operator is a parsed condition operator such as
// "ForAnyValue:StringLikeIfExists".
type Operator struct {
	Raw      string
	Set      string // "", "ForAnyValue" or "ForAllValues"
	Base     string // canonical base name, e.g. "StringLike"; "" if unknown
	IfExists bool
}

// Known reports whether IAM knows the operator.
func (o Operator) Known() bool { return o.Base != "" }

// Negated reports whether the operator matches when values differ
// (StringNotEquals, ArnNotLike, NotIpAddress…): such a condition can only
// remove principals named in it, never pin the remaining ones.
func (o Operator) Negated() bool { return negatedOps[o.Base] }

// Like reports whether policy values are patterns with * and ?.
// ArnEquals counts as one: the IAM guide describes it with ArnLike's
// wildcard matching (the .NET SDK calls it exact); treating it as a
// pattern never credits a condition with more narrowing than it has.
func (o Operator) Like() bool {
	switch o.Base {
	case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals":
		return true
	}
	return false
}

var baseOps = func() map[string]string {
	m := map[string]string{}
	for _, op := range []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	} {
		m[strings.ToLower(op)] = op
	}
	return m
}()

var negatedOps = map[string]bool{
	"StringNotEquals": true, "StringNotEqualsIgnoreCase": true, "StringNotLike": true,
	"NumericNotEquals": true, "DateNotEquals": true, "NotIpAddress": true,
	"ArnNotEquals": true, "ArnNotLike": true,
}

// canonicalOps holds ParseOperator's answer for every operator spelled
// as the IAM documentation spells it, which is how policies write them:
// conditions are evaluated for every request, and this spares the
// lowercasing.
var canonicalOps = func() map[string]Operator {
	m := map[string]Operator{}
	for _, base := range baseOps {
		for _, set := range []string{"", "ForAnyValue:", "ForAllValues:"} {
			for _, sfx := range []string{"", "IfExists"} {
				name := set + base + sfx
				m[name] = parseOperator(name)
			}
		}
	}
	return m
}()

// ParseOperator splits an operator into set prefix, base and IfExists.
// Names are matched case-insensitively; unknown ones have Base "".
func ParseOperator(raw string) Operator {
	if o, ok := canonicalOps[raw]; ok {
		return o
	}
	return parseOperator(raw)
}

func parseOperator(raw string) Operator {
	o := Operator{Raw: raw}
	s := raw
	if i := strings.IndexByte(s, ':'); i >= 0 {
		switch strings.ToLower(s[:i]) {
		case "foranyvalue":
			o.Set = "ForAnyValue"
		case "forallvalues":
			o.Set = "ForAllValues"
		default:
			return o
		}
		s = s[i+1:]
	}
	ls := strings.ToLower(s)
	if strings.HasSuffix(ls, "ifexists") && ls != "ifexists" {
		o.IfExists = true
		ls = strings.TrimSuffix(ls, "ifexists")
	}
	base, ok := baseOps[ls]
	if !ok || (base == "Null" && (o.IfExists || o.Set != "")) {
		return Operator{Raw: raw}
	}
	o.Base = base
	return o
}

// Context is a request context for Evaluate: condition key (any case) to
// its values; a multi-valued key has several.
type Context map[string][]string

func (c Context) lookup(key string) ([]string, bool) {
	if v, ok := c[key]; ok {
		return v, true
	}
	// Requests carry keys in lower case; policies write them in any.
	if len(key) <= 128 {
		var buf [128]byte
		b := buf[:len(key)]
		upper := false
		for i := 0; i < len(key); i++ {
			b[i] = lowerASCII(key[i])
			upper = upper || b[i] != key[i]
		}
		if upper {
			if v, ok := c[string(b)]; ok {
				return v, true
			}
		}
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// Evaluate reports whether the condition holds for ctx as IAM evaluates it:
// blocks and keys AND together, a key's values OR together; a missing key
// fails unless the operator is negated, …IfExists, ForAllValues (vacuously
// true) or Null; policy variables resolve only under Version 2012-10-17.
func Evaluate(c *Condition, ctx Context, version string) (bool, error) {
	if c == nil {
		return true, nil
	}
	for _, b := range c.Blocks {
		op := ParseOperator(b.Operator)
		if !op.Known() {
			return false, fmt.Errorf("evaluate condition: unknown operator %q", b.Operator)
		}
		for _, e := range b.Entries {
			ok, err := evalEntry(op, e, ctx, version)
			if err != nil {
				return false, fmt.Errorf("evaluate condition %s %s: %w", b.Operator, e.Key, err)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

func evalEntry(op Operator, e ConditionEntry, ctx Context, version string) (bool, error) {
	vals, present := ctx.lookup(e.Key)
	present = present && len(vals) > 0
	if op.Base == "Null" {
		for _, v := range e.Values {
			// Null true: the key is absent; Null false: it is present.
			if strings.EqualFold(v.Text, "true") != present {
				return true, nil
			}
		}
		return false, nil
	}
	if !present {
		switch {
		case op.IfExists, op.Set == "ForAllValues":
			return true, nil
		case op.Set == "ForAnyValue":
			return false, nil
		default:
			return op.Negated(), nil
		}
	}
	one := func(cv string) (bool, error) {
		any := false
		for _, pv := range e.Values {
			p, ok := resolveVars(pv.Text, version, ctx)
			if !ok {
				continue
			}
			m, err := matchBase(op, cv, p)
			if err != nil {
				return false, err
			}
			if m {
				any = true
				break
			}
		}
		if op.Negated() {
			return !any, nil
		}
		return any, nil
	}
	switch op.Set {
	case "ForAllValues":
		for _, cv := range vals {
			ok, err := one(cv)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	default: // ForAnyValue, and single-valued keys (any context value)
		for _, cv := range vals {
			ok, err := one(cv)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	}
}

// matchBase compares one context value with one policy value, ignoring
// negation (the caller negates).
func matchBase(op Operator, cv, pv string) (bool, error) {
	switch op.Base {
	case "StringEquals", "StringNotEquals":
		return cv == pv, nil
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(cv, pv), nil
	case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals":
		return globMatch(pv, cv, false), nil
	case "Bool":
		return strings.EqualFold(cv, pv), nil
	case "BinaryEquals":
		a, err1 := base64.StdEncoding.DecodeString(cv)
		b, err2 := base64.StdEncoding.DecodeString(pv)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("BinaryEquals needs base64 values")
		}
		return string(a) == string(b), nil
	case "IpAddress", "NotIpAddress":
		addr, err := netip.ParseAddr(cv)
		if err != nil {
			return false, nil
		}
		pfx, err := netip.ParsePrefix(pv)
		if err != nil {
			a, err2 := netip.ParseAddr(pv)
			if err2 != nil {
				return false, fmt.Errorf("%q is not an IP address or CIDR", pv)
			}
			return a == addr, nil
		}
		return pfx.Contains(addr), nil
	}
	if strings.HasPrefix(op.Base, "Numeric") {
		a, err1 := strconv.ParseFloat(cv, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%s needs numbers, got %q and %q", op.Base, cv, pv)
		}
		return compare(strings.TrimPrefix(op.Base, "Numeric"), a, b), nil
	}
	if strings.HasPrefix(op.Base, "Date") {
		a, err1 := parseDate(cv)
		b, err2 := parseDate(pv)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%s needs dates, got %q and %q", op.Base, cv, pv)
		}
		return compare(strings.TrimPrefix(op.Base, "Date"), float64(a.UnixNano()), float64(b.UnixNano())), nil
	}
	return false, fmt.Errorf("unsupported operator %s", op.Base)
}

func compare(rel string, a, b float64) bool {
	switch rel {
	case "Equals":
		return a == b
	case "NotEquals": // negated by the caller
		return a == b
	case "LessThan":
		return a < b
	case "LessThanEquals":
		return a <= b
	case "GreaterThan":
		return a > b
	default: // GreaterThanEquals
		return a >= b
	}
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

// resolveVars substitutes policy variables (${aws:username}, ${*}…) when
// the version supports them. ok is false when a variable has no value in
// ctx: IAM then treats the value as not matching.
func resolveVars(v, version string, ctx Context) (string, bool) {
	if version != Version2012 || !strings.Contains(v, "${") {
		return v, true
	}
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		b.WriteString(v[:i])
		name := strings.TrimSpace(v[i+2 : i+j])
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
		default:
			def := ""
			hasDef := false
			if k := strings.IndexByte(name, ','); k >= 0 {
				def = strings.Trim(strings.TrimSpace(name[k+1:]), "'")
				name, hasDef = strings.TrimSpace(name[:k]), true
			}
			if vals, ok := ctx.lookup(name); ok && len(vals) > 0 {
				b.WriteString(vals[0])
			} else if hasDef {
				b.WriteString(def)
			} else {
				return "", false
			}
		}
		v = v[i+j+1:]
	}
}

// hasVariable reports whether v holds a request-dependent policy variable
// under version (${*}, ${?} and ${$} are escapes, not variables).
func hasVariable(v, version string) bool {
	if version != Version2012 {
		return false
	}
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			return false
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return false
		}
		switch strings.TrimSpace(v[i+2 : i+j]) {
		case "*", "?", "$":
		default:
			return true
		}
		v = v[i+j+1:]
	}
}

// positiveBases are the operators whose match narrows who passes (the
// bucket analysis asks which conditions pin a caller).
var positiveBases = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true,
}
