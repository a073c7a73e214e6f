package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// JST is Japan Standard Time; exemption expiry dates are JST calendar days.
var JST = time.FixedZone("JST", 9*60*60)

// Exemption lets one resource (or a pattern of them) keep a violation for one
// rule until a date, on the strength of an approval. For access keys the
// resource is the IAM user's ARN and the approval is the Digital Agency's.
type Exemption struct {
	Rule     string `json:"rule"`
	Resource string `json:"resource"` // ARN, or an ARN pattern with * and ?
	Approval string `json:"approval"` // approval reference, required
	Expires  string `json:"expires"`  // YYYY-MM-DD, inclusive, JST
	Note     string `json:"note,omitempty"`
}

// Exemptions is the list held in the exemptions SSM parameter.
type Exemptions []Exemption

// ParseExemptions reads the parameter's JSON value and validates each entry,
// naming the entry and field that is wrong.
func ParseExemptions(raw []byte, knownRules []string) (Exemptions, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return nil, nil
	}
	var ex Exemptions
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ex); err != nil {
		return nil, fmt.Errorf("exemptions: not a JSON list of {rule, resource, approval, expires}: %w", err)
	}
	var errs []error
	for i, e := range ex {
		field := func(name string) string { return fmt.Sprintf("exemptions[%d].%s", i, name) }
		if knownRules != nil && !slices.Contains(knownRules, e.Rule) {
			errs = append(errs, &FieldError{Field: field("rule"), Value: e.Rule, Err: errors.New("no such rule")})
		}
		if !strings.HasPrefix(e.Resource, "arn:") {
			errs = append(errs, &FieldError{Field: field("resource"), Value: e.Resource, Err: errors.New("want a resource ARN or ARN pattern")})
		}
		if strings.TrimSpace(e.Approval) == "" {
			errs = append(errs, &FieldError{Field: field("approval"), Value: e.Approval, Err: errors.New("an approval reference is required")})
		}
		if _, err := e.expiry(); err != nil {
			errs = append(errs, &FieldError{Field: field("expires"), Value: e.Expires, Err: errors.New("want a date YYYY-MM-DD (inclusive, JST)")})
		}
		if _, err := path.Match(e.Resource, ""); err != nil {
			errs = append(errs, &FieldError{Field: field("resource"), Value: e.Resource, Err: err})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ex, nil
}

// expiry is the first instant the exemption no longer applies: midnight JST
// after the expiry date.
func (e Exemption) expiry() (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", e.Expires, JST)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, 1), nil
}

// Active reports whether the exemption still applies at now.
func (e Exemption) Active(now time.Time) bool {
	end, err := e.expiry()
	return err == nil && now.Before(end)
}

// Covers reports whether the entry names this rule and resource. Patterns use
// * and ? as IAM does: * matches any run of characters, '/' included (IAM
// paths contain '/'), ? any one character.
func (e Exemption) Covers(rule, resource string) bool {
	return e.Rule == rule && WildcardMatch(e.Resource, resource)
}

// WildcardMatch is IAM's ARN matching (* any run, '/' included; ? one
// character): linear, with one backtrack point.
func WildcardMatch(pattern, s string) bool {
	p, i, starP, starI := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			starP, starI = p, i
			p++
		case starP >= 0:
			p = starP + 1
			starI++
			i = starI
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Lookup returns the entry covering the rule and resource. active says
// whether it still applies; an expired entry is returned so that it can be
// reported.
func (ex Exemptions) Lookup(rule, resource string, now time.Time) (e Exemption, active, found bool) {
	var expired *Exemption
	for i := range ex {
		if !ex[i].Covers(rule, resource) {
			continue
		}
		if ex[i].Active(now) {
			return ex[i], true, true
		}
		if expired == nil {
			expired = &ex[i]
		}
	}
	if expired != nil {
		return *expired, false, true
	}
	return Exemption{}, false, false
}
