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
	// Set when the entry is written to the parameter, and signed with it.
	AddedBy string `json:"added_by,omitempty"` // who wrote it
	AddedAt string `json:"added_at,omitempty"` // when, RFC 3339 UTC
	Source  string `json:"source,omitempty"`   // SourceConfig or SourceCLI
	MAC     string `json:"mac,omitempty"`      // base64 HMAC over Signed()
}

// Where an entry came from: `gcguard exempt sync` replaces the entries it
// wrote from the config file and keeps those `gcguard exempt add` wrote.
const (
	SourceConfig = "config"
	SourceCLI    = "cli"
)

// ExemptionsVersion is the format of the signed parameter value.
const ExemptionsVersion = 2

// ExemptionDoc is the exemptions parameter's value:
// {"version":2,"entries":[...]}, each entry carrying its own MAC.
type ExemptionDoc struct {
	Version int        `json:"version"`
	Entries Exemptions `json:"entries"`
}

// Signed is every field the entry's MAC covers: all that decides whether
// and until when it applies, and who put it there. Only MAC is left out.
func (e Exemption) Signed() map[string]string {
	return map[string]string{
		"rule": e.Rule, "resource": e.Resource, "approval": e.Approval, "expires": e.Expires,
		"note": e.Note, "added_by": e.AddedBy, "added_at": e.AddedAt, "source": e.Source,
	}
}

// DecodeExemptionDoc reads the parameter's value. legacy is true for the
// old unsigned format (a bare JSON list): its entries are returned only so
// that they can be reported, never to be applied. An empty value is an
// empty document.
func DecodeExemptionDoc(raw []byte) (doc ExemptionDoc, legacy bool, err error) {
	trimmed := strings.TrimSpace(string(raw))
	switch {
	case trimmed == "":
		return ExemptionDoc{Version: ExemptionsVersion}, false, nil
	case strings.HasPrefix(trimmed, "["):
		if err := json.Unmarshal([]byte(trimmed), &doc.Entries); err != nil {
			return doc, true, fmt.Errorf("exemptions: old-format list unreadable: %w", err)
		}
		return doc, true, nil
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return doc, false, fmt.Errorf(`exemptions: not {"version":2,"entries":[...]}: %w`, err)
	}
	if doc.Version != ExemptionsVersion {
		return doc, false, fmt.Errorf("exemptions: version %d, want %d", doc.Version, ExemptionsVersion)
	}
	return doc, false, nil
}

// ValidateEntry checks one entry as `gcguard exempt add` must before
// signing it; field names are prefixed with where.
func ValidateEntry(e Exemption, knownRules []string, where string) error {
	return errors.Join(entryErrors(e, knownRules, func(name string) string { return where + "." + name })...)
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
		errs = append(errs, entryErrors(e, knownRules, func(name string) string { return fmt.Sprintf("exemptions[%d].%s", i, name) })...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ex, nil
}

func entryErrors(e Exemption, knownRules []string, field func(string) string) []error {
	var errs []error
	{
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
	return errs
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

// Expiry is the first instant the entry no longer applies.
func (e Exemption) Expiry() (time.Time, error) { return e.expiry() }

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
