package policy

import "encoding/json"

// Policy language versions. Only Version2012 enables policy variables.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Document is one IAM-style policy: trust, identity or resource policy.
// It keeps what it does not model (Extra) and the written shape of
// polymorphic fields, so a rewrite changes only what it means to change.
type Document struct {
	Version    string // "" when the document has none
	HasVersion bool
	ID         string
	HasID      bool
	Statements []*Statement
	// SingleStatement records that Statement was one object, not a list.
	SingleStatement bool
	Extra           []Member // unknown top-level members, in source order

	notes []string // oddities seen while parsing (duplicate members…)
}

// Statement is one policy statement. Nil fields were absent.
type Statement struct {
	Sid          string
	HasSid       bool
	Effect       string
	Principal    *Principal
	NotPrincipal *Principal
	Action       *Values
	NotAction    *Values
	Resource     *Values
	NotResource  *Values
	Condition    *Condition
	Extra        []Member // unknown members, in source order

	notes []string
}

// Member is one JSON member kept verbatim (minified).
type Member struct {
	Key   string
	Value json.RawMessage
}

// Values is a string-or-list field. Single records that it was written
// as one string, so an untouched field is written back the same way.
type Values struct {
	List   []string
	Single bool
}

// Principal is a Principal or NotPrincipal element: "*" or a map from
// principal type (AWS, Service, Federated, CanonicalUser) to values.
type Principal struct {
	Wildcard bool // written as the bare string "*"
	Entries  []PrincipalEntry
}

// PrincipalEntry is one principal type with its values.
type PrincipalEntry struct {
	Type   string
	Values Values
}

// Condition is a Condition element: operator blocks in source order.
type Condition struct {
	Blocks []ConditionBlock
}

// ConditionBlock is one operator ("StringEquals", "ForAnyValue:ArnLike"…).
type ConditionBlock struct {
	Operator string
	Entries  []ConditionEntry
}

// ConditionEntry is one condition key with its values.
type ConditionEntry struct {
	Key    string
	Values []ConditionValue
	Single bool // written as a scalar, not a list
}

// ValueKind is the JSON type a condition value was written as.
type ValueKind uint8

const (
	ValueString ValueKind = iota
	ValueBool
	ValueNumber
)

// ConditionValue is one condition value: its text and its JSON type
// (IAM compares "true" and true alike, but a rewrite keeps the type).
type ConditionValue struct {
	Text string
	Kind ValueKind
}

// Values of a principal type, case-sensitive type name as IAM requires.
func (p *Principal) Values(typ string) []string {
	if p == nil {
		return nil
	}
	for _, e := range p.Entries {
		if e.Type == typ {
			return e.Values.List
		}
	}
	return nil
}

// Strings returns the values as text.
func (e ConditionEntry) Strings() []string {
	out := make([]string, len(e.Values))
	for i, v := range e.Values {
		out[i] = v.Text
	}
	return out
}

// Clone returns a deep copy, so a planner can edit without touching the
// analysed original.
func (d *Document) Clone() *Document {
	c := *d
	if d.Statements != nil {
		c.Statements = make([]*Statement, len(d.Statements))
		for i, s := range d.Statements {
			c.Statements[i] = s.Clone()
		}
	}
	c.Extra = append([]Member(nil), d.Extra...)
	c.notes = append([]string(nil), d.notes...)
	return &c
}

// Clone returns a deep copy of the statement.
func (s *Statement) Clone() *Statement {
	c := *s
	c.Principal = s.Principal.clone()
	c.NotPrincipal = s.NotPrincipal.clone()
	c.Action = s.Action.clone()
	c.NotAction = s.NotAction.clone()
	c.Resource = s.Resource.clone()
	c.NotResource = s.NotResource.clone()
	c.Condition = s.Condition.clone()
	c.Extra = append([]Member(nil), s.Extra...)
	c.notes = append([]string(nil), s.notes...)
	return &c
}

func (v *Values) clone() *Values {
	if v == nil {
		return nil
	}
	return &Values{List: append([]string(nil), v.List...), Single: v.Single}
}

func (p *Principal) clone() *Principal {
	if p == nil {
		return nil
	}
	c := &Principal{Wildcard: p.Wildcard, Entries: make([]PrincipalEntry, len(p.Entries))}
	for i, e := range p.Entries {
		c.Entries[i] = PrincipalEntry{Type: e.Type, Values: *e.Values.clone()}
	}
	return c
}

func (c *Condition) clone() *Condition {
	if c == nil {
		return nil
	}
	out := &Condition{Blocks: make([]ConditionBlock, len(c.Blocks))}
	for i, b := range c.Blocks {
		nb := ConditionBlock{Operator: b.Operator, Entries: make([]ConditionEntry, len(b.Entries))}
		for j, e := range b.Entries {
			nb.Entries[j] = ConditionEntry{Key: e.Key, Single: e.Single, Values: append([]ConditionValue(nil), e.Values...)}
		}
		out.Blocks[i] = nb
	}
	return out
}
