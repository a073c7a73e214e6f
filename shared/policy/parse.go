package policy

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Parse reads a policy in any form AWS hands it out:
//   - plain JSON;
//   - URL-encoded JSON, as iam:GetRole and iam:ListRoles return trust
//     policies (RFC 3986; decoded exactly once with path unescaping, so a
//     literal "+" stays "+");
//   - a JSON string holding the JSON, as CloudTrail carries
//     requestParameters.assumeRolePolicyDocument.
//
// Forms IAM would reject (NotPrincipal or partial wildcards in a trust
// policy, say) parse; ValidateTrust is where they are refused.
func Parse(raw []byte) (*Document, error) {
	return parseForm(raw, true)
}

func parseForm(raw []byte, allowWrapped bool) (*Document, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil, errors.New("parse policy: empty document")
	}
	switch t[0] {
	case '{':
		return parseObject(t)
	case '"':
		if !allowWrapped {
			return nil, errors.New("parse policy: JSON string nested inside a JSON string")
		}
		n, err := parseJSON(t)
		if err != nil {
			return nil, fmt.Errorf("parse policy: string-wrapped form: %w", err)
		}
		return parseForm([]byte(n.text), false)
	}
	if !allowWrapped {
		return nil, errors.New("parse policy: wrapped content is not a JSON object")
	}
	dec, err := url.PathUnescape(string(t))
	if err != nil {
		return nil, fmt.Errorf("parse policy: URL-encoded form: %w", err)
	}
	dt := strings.TrimSpace(dec)
	if !strings.HasPrefix(dt, "{") {
		return nil, errors.New("parse policy: neither JSON nor URL-encoded JSON (no leading '{')")
	}
	return parseObject([]byte(dt))
}

func parseObject(src []byte) (*Document, error) {
	root, err := parseJSON(src)
	if err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	d, err := buildDocument(root, src)
	if err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	return d, nil
}

func rawOf(n *node) []byte {
	return appendNode(nil, n)
}

func buildDocument(root *node, src []byte) (*Document, error) {
	if root.kind != nodeObject {
		return nil, fmt.Errorf("policy must be a JSON object, got %s", root.kind)
	}
	d := &Document{}
	seen := map[string]bool{}
	var stmtNode *node
	for _, m := range root.members {
		if seen[m.key] {
			d.notes = append(d.notes, fmt.Sprintf("duplicate member %q", m.key))
		}
		seen[m.key] = true
		switch m.key {
		case "Version":
			if m.val.kind != nodeString {
				return nil, fmt.Errorf("element Version must be a string, got %s", m.val.kind)
			}
			d.Version, d.HasVersion = m.val.text, true
		case "Id":
			if m.val.kind != nodeString {
				return nil, fmt.Errorf("element Id must be a string, got %s", m.val.kind)
			}
			d.ID, d.HasID = m.val.text, true
		case "Statement":
			stmtNode = m.val
		default:
			if looksLikeElement(m.key, "Version", "Id", "Statement") {
				d.notes = append(d.notes, fmt.Sprintf("member %q differs from a policy element only in case", m.key))
			}
			d.Extra = append(d.Extra, Member{Key: m.key, Value: rawOf(m.val)})
		}
	}
	if stmtNode == nil {
		return d, nil
	}
	switch stmtNode.kind {
	case nodeObject:
		d.SingleStatement = true
		s, err := buildStatement(stmtNode)
		if err != nil {
			return nil, fmt.Errorf("statement 0: %w", err)
		}
		d.Statements = []*Statement{s}
	case nodeArray:
		d.Statements = make([]*Statement, 0, len(stmtNode.elems))
		for i, e := range stmtNode.elems {
			if e.kind != nodeObject {
				return nil, fmt.Errorf("statement %d: must be an object, got %s", i, e.kind)
			}
			s, err := buildStatement(e)
			if err != nil {
				return nil, fmt.Errorf("statement %d: %w", i, err)
			}
			d.Statements = append(d.Statements, s)
		}
	default:
		return nil, fmt.Errorf("Statement must be an object or a list, got %s", stmtNode.kind)
	}
	return d, nil
}

var statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func looksLikeElement(key string, names ...string) bool {
	for _, n := range names {
		if strings.EqualFold(key, n) && key != n {
			return true
		}
	}
	return false
}

func buildStatement(n *node) (*Statement, error) {
	s := &Statement{}
	seen := map[string]bool{}
	for _, m := range n.members {
		if seen[m.key] {
			s.notes = append(s.notes, fmt.Sprintf("duplicate member %q", m.key))
		}
		seen[m.key] = true
		var err error
		switch m.key {
		case "Sid":
			if m.val.kind != nodeString {
				return nil, fmt.Errorf("element Sid must be a string, got %s", m.val.kind)
			}
			s.Sid, s.HasSid = m.val.text, true
		case "Effect":
			if m.val.kind != nodeString {
				return nil, fmt.Errorf("element Effect must be a string, got %s", m.val.kind)
			}
			s.Effect = m.val.text
		case "Principal":
			s.Principal, err = buildPrincipal(m.val)
		case "NotPrincipal":
			s.NotPrincipal, err = buildPrincipal(m.val)
		case "Action":
			s.Action, err = buildValues(m.val)
		case "NotAction":
			s.NotAction, err = buildValues(m.val)
		case "Resource":
			s.Resource, err = buildValues(m.val)
		case "NotResource":
			s.NotResource, err = buildValues(m.val)
		case "Condition":
			s.Condition, err = buildCondition(m.val)
		default:
			if looksLikeElement(m.key, statementElements...) {
				s.notes = append(s.notes, fmt.Sprintf("member %q differs from a policy element only in case", m.key))
			}
			s.Extra = append(s.Extra, Member{Key: m.key, Value: rawOf(m.val)})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.key, err)
		}
	}
	return s, nil
}

func buildValues(n *node) (*Values, error) {
	switch n.kind {
	case nodeString:
		return &Values{List: []string{n.text}, Single: true}, nil
	case nodeArray:
		v := &Values{List: make([]string, 0, len(n.elems))}
		for i, e := range n.elems {
			if e.kind != nodeString {
				return nil, fmt.Errorf("item %d must be a string, got %s", i, e.kind)
			}
			v.List = append(v.List, e.text)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("expected a string or a list of strings, got %s", n.kind)
	}
}

func buildPrincipal(n *node) (*Principal, error) {
	switch n.kind {
	case nodeString:
		if n.text != "*" {
			// Only "*" may stand alone; keep the literal for the judges.
			return &Principal{Entries: []PrincipalEntry{{Type: "", Values: Values{List: []string{n.text}, Single: true}}}}, nil
		}
		return &Principal{Wildcard: true}, nil
	case nodeObject:
		p := &Principal{Entries: make([]PrincipalEntry, 0, len(n.members))}
		for _, m := range n.members {
			v, err := buildValues(m.val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.key, err)
			}
			p.Entries = append(p.Entries, PrincipalEntry{Type: m.key, Values: *v})
		}
		return p, nil
	default:
		return nil, fmt.Errorf("expected \"*\" or an object, got %s", n.kind)
	}
}

func buildCondition(n *node) (*Condition, error) {
	if n.kind != nodeObject {
		return nil, fmt.Errorf("expected an object of operators, got %s", n.kind)
	}
	c := &Condition{Blocks: make([]ConditionBlock, 0, len(n.members))}
	for _, m := range n.members {
		if m.val.kind != nodeObject {
			return nil, fmt.Errorf("%s: expected an object of condition keys, got %s", m.key, m.val.kind)
		}
		b := ConditionBlock{Operator: m.key, Entries: make([]ConditionEntry, 0, len(m.val.members))}
		for _, k := range m.val.members {
			e := ConditionEntry{Key: k.key}
			switch k.val.kind {
			case nodeArray:
				e.Values = make([]ConditionValue, 0, len(k.val.elems))
				for i, v := range k.val.elems {
					cv, err := conditionValue(v)
					if err != nil {
						return nil, fmt.Errorf("%s: %s: item %d: %w", m.key, k.key, i, err)
					}
					e.Values = append(e.Values, cv)
				}
			default:
				cv, err := conditionValue(k.val)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", m.key, k.key, err)
				}
				e.Values, e.Single = []ConditionValue{cv}, true
			}
			b.Entries = append(b.Entries, e)
		}
		c.Blocks = append(c.Blocks, b)
	}
	return c, nil
}

func conditionValue(n *node) (ConditionValue, error) {
	switch n.kind {
	case nodeString:
		return ConditionValue{Text: n.text, Kind: ValueString}, nil
	case nodeBool:
		return ConditionValue{Text: n.text, Kind: ValueBool}, nil
	case nodeNumber:
		return ConditionValue{Text: n.text, Kind: ValueNumber}, nil
	default:
		return ConditionValue{}, fmt.Errorf("condition values must be strings, booleans or numbers, got %s", n.kind)
	}
}
