package policy

import "fmt"

// Generic edits for resource policies (bucket policies merge gcguard's
// fixed-Sid statements into the owner's): keyed by Sid, order-preserving,
// and reporting whether anything changed so a second run writes nothing.

// StatementBySid returns the index of the statement with the given Sid, or -1.
func (d *Document) StatementBySid(sid string) int {
	for i, s := range d.Statements {
		if s.HasSid && s.Sid == sid {
			return i
		}
	}
	return -1
}

// UpsertStatement replaces the statement with s's Sid in place, or appends
// s; it reports whether the document changed. s must have a Sid.
func (d *Document) UpsertStatement(s *Statement) (bool, error) {
	if !s.HasSid || s.Sid == "" {
		return false, fmt.Errorf("upsert statement: statement has no Sid")
	}
	want := s.appendJSON(nil)
	if i := d.StatementBySid(s.Sid); i >= 0 {
		if string(d.Statements[i].appendJSON(nil)) == string(want) {
			return false, nil
		}
		d.Statements[i] = s.Clone()
		return true, nil
	}
	d.Statements = append(d.Statements, s.Clone())
	if len(d.Statements) > 1 {
		d.SingleStatement = false
	}
	return true, nil
}

// RemoveStatement removes the statement with the given Sid and reports
// whether there was one.
func (d *Document) RemoveStatement(sid string) bool {
	i := d.StatementBySid(sid)
	if i < 0 {
		return false
	}
	d.Statements = append(d.Statements[:i:i], d.Statements[i+1:]...)
	return true
}

// MinifyJSON parses raw in any accepted form and returns Minify's output.
func MinifyJSON(raw []byte) ([]byte, error) {
	d, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return Minify(d), nil
}
