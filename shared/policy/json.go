package policy

import (
	"bytes"
	"encoding/json"
)

// Minify returns the document as minified JSON in a stable member order:
// Version, Id, Statement, then unknown members as written; in statements
// Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource,
// NotResource, Condition, then unknown members. Stable order keeps golden
// files deterministic; IAM counts policy size without whitespace, so this
// is also the form whose length is checked against quotas.
func Minify(d *Document) []byte {
	return d.appendJSON(make([]byte, 0, 512))
}

// MarshalJSON implements json.Marshaler with Minify's order.
func (d *Document) MarshalJSON() ([]byte, error) {
	return Minify(d), nil
}

// Indent returns the document pretty-printed, for humans and golden files.
func Indent(d *Document) []byte {
	var out bytes.Buffer
	// Minify's output is always valid JSON, so Indent cannot fail.
	_ = json.Indent(&out, Minify(d), "", "  ")
	out.WriteByte('\n')
	return out.Bytes()
}

func (d *Document) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if d.HasVersion {
		sep()
		b = append(b, `"Version":`...)
		b = appendString(b, d.Version)
	}
	if d.HasID {
		sep()
		b = append(b, `"Id":`...)
		b = appendString(b, d.ID)
	}
	if d.Statements != nil || d.SingleStatement {
		sep()
		b = append(b, `"Statement":`...)
		if d.SingleStatement && len(d.Statements) == 1 {
			b = d.Statements[0].appendJSON(b)
		} else {
			b = append(b, '[')
			for i, s := range d.Statements {
				if i > 0 {
					b = append(b, ',')
				}
				b = s.appendJSON(b)
			}
			b = append(b, ']')
		}
	}
	for _, m := range d.Extra {
		sep()
		b = appendString(b, m.Key)
		b = append(b, ':')
		b = append(b, m.Value...)
	}
	return append(b, '}')
}

func (s *Statement) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
	}
	if s.HasSid {
		key("Sid")
		b = appendString(b, s.Sid)
	}
	if s.Effect != "" {
		key("Effect")
		b = appendString(b, s.Effect)
	}
	if s.Principal != nil {
		key("Principal")
		b = s.Principal.appendJSON(b)
	}
	if s.NotPrincipal != nil {
		key("NotPrincipal")
		b = s.NotPrincipal.appendJSON(b)
	}
	for _, f := range []struct {
		name string
		v    *Values
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if f.v != nil {
			key(f.name)
			b = f.v.appendJSON(b)
		}
	}
	if s.Condition != nil {
		key("Condition")
		b = s.Condition.appendJSON(b)
	}
	for _, m := range s.Extra {
		key(m.Key)
		b = append(b, m.Value...)
	}
	return append(b, '}')
}

func (v *Values) appendJSON(b []byte) []byte {
	if v.Single && len(v.List) == 1 {
		return appendString(b, v.List[0])
	}
	b = append(b, '[')
	for i, s := range v.List {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func (p *Principal) appendJSON(b []byte) []byte {
	if p.Wildcard {
		return append(b, `"*"`...)
	}
	// A bare non-"*" string (invalid, kept literally) is an untyped entry.
	if len(p.Entries) == 1 && p.Entries[0].Type == "" && p.Entries[0].Values.Single {
		return appendString(b, p.Entries[0].Values.List[0])
	}
	b = append(b, '{')
	for i, e := range p.Entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.Type)
		b = append(b, ':')
		b = e.Values.appendJSON(b)
	}
	return append(b, '}')
}

func (c *Condition) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, blk := range c.Blocks {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, blk.Operator)
		b = append(b, ":{"...)
		for j, e := range blk.Entries {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e.Key)
			b = append(b, ':')
			if e.Single && len(e.Values) == 1 {
				b = e.Values[0].appendJSON(b)
				continue
			}
			b = append(b, '[')
			for k, v := range e.Values {
				if k > 0 {
					b = append(b, ',')
				}
				b = v.appendJSON(b)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (v ConditionValue) appendJSON(b []byte) []byte {
	if v.Kind == ValueString {
		return appendString(b, v.Text)
	}
	return append(b, v.Text...)
}
