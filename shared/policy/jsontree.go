package policy

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader that keeps object member order. encoding/json's maps
// lose the order of statements' keys and its token API is slow; a policy is
// a few hundred bytes, so a direct recursive reader is both simpler to
// reason about and fast enough for the sweep (thousands of roles).

type nodeKind uint8

const (
	nodeNull nodeKind = iota
	nodeBool
	nodeNumber
	nodeString
	nodeArray
	nodeObject
)

func (k nodeKind) String() string {
	switch k {
	case nodeNull:
		return "null"
	case nodeBool:
		return "boolean"
	case nodeNumber:
		return "number"
	case nodeString:
		return "string"
	case nodeArray:
		return "list"
	default:
		return "object"
	}
}

type node struct {
	kind    nodeKind
	text    string // string value, number literal, "true"/"false"
	elems   []*node
	members []jsonMember
	start   int // byte offsets in the source, for raw copies
	end     int
}

type jsonMember struct {
	key string
	val *node
}

// maxDepth bounds recursion: real policies nest four levels deep.
const maxDepth = 64

type reader struct {
	src []byte
	pos int
}

func parseJSON(src []byte) (*node, error) {
	r := &reader{src: src}
	r.skipSpace()
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.skipSpace()
	if r.pos != len(r.src) {
		return nil, fmt.Errorf("unexpected %q after the JSON value at byte %d", r.src[r.pos], r.pos)
	}
	return n, nil
}

func (r *reader) skipSpace() {
	for r.pos < len(r.src) {
		switch r.src[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *reader) errorf(format string, a ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", r.pos, fmt.Sprintf(format, a...))
}

func (r *reader) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, r.errorf("nested deeper than %d levels", maxDepth)
	}
	if r.pos >= len(r.src) {
		return nil, r.errorf("unexpected end of input")
	}
	start := r.pos
	var n *node
	var err error
	switch c := r.src[r.pos]; {
	case c == '{':
		n, err = r.object(depth)
	case c == '[':
		n, err = r.array(depth)
	case c == '"':
		var s string
		s, err = r.str()
		n = &node{kind: nodeString, text: s}
	case c == 't':
		err = r.literal("true")
		n = &node{kind: nodeBool, text: "true"}
	case c == 'f':
		err = r.literal("false")
		n = &node{kind: nodeBool, text: "false"}
	case c == 'n':
		err = r.literal("null")
		n = &node{kind: nodeNull, text: "null"}
	case c == '-' || (c >= '0' && c <= '9'):
		var s string
		s, err = r.number()
		n = &node{kind: nodeNumber, text: s}
	default:
		return nil, r.errorf("unexpected character %q", c)
	}
	if err != nil {
		return nil, err
	}
	n.start, n.end = start, r.pos
	return n, nil
}

func (r *reader) literal(word string) error {
	if len(r.src)-r.pos < len(word) || string(r.src[r.pos:r.pos+len(word)]) != word {
		return r.errorf("expected %s", word)
	}
	r.pos += len(word)
	return nil
}

func (r *reader) number() (string, error) {
	start := r.pos
	if r.src[r.pos] == '-' {
		r.pos++
	}
	digits := func() int {
		n := 0
		for r.pos < len(r.src) && r.src[r.pos] >= '0' && r.src[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if r.pos < len(r.src) && r.src[r.pos] == '0' {
		r.pos++
	} else if digits() == 0 {
		return "", r.errorf("malformed number")
	}
	if r.pos < len(r.src) && r.src[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			return "", r.errorf("malformed number")
		}
	}
	if r.pos < len(r.src) && (r.src[r.pos] == 'e' || r.src[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.src) && (r.src[r.pos] == '+' || r.src[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			return "", r.errorf("malformed number")
		}
	}
	return string(r.src[start:r.pos]), nil
}

func (r *reader) str() (string, error) {
	r.pos++ // opening quote
	start := r.pos
	// Fast path: no escapes, valid UTF-8.
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		if c == '"' {
			s := r.src[start:r.pos]
			r.pos++
			if !utf8.Valid(s) {
				return "", r.errorf("string is not valid UTF-8")
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", r.errorf("control character in string")
		}
		r.pos++
	}
	buf := append([]byte(nil), r.src[start:r.pos]...)
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		switch {
		case c == '"':
			r.pos++
			if !utf8.Valid(buf) {
				return "", r.errorf("string is not valid UTF-8")
			}
			return string(buf), nil
		case c < 0x20:
			return "", r.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			r.pos++
			continue
		}
		r.pos++
		if r.pos >= len(r.src) {
			break
		}
		e := r.src[r.pos]
		r.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			rn, err := r.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(rn) {
				// A high surrogate must be followed by \uDC00-\uDFFF.
				if r.pos+1 < len(r.src) && r.src[r.pos] == '\\' && r.src[r.pos+1] == 'u' {
					r.pos += 2
					lo, err := r.hex4()
					if err != nil {
						return "", err
					}
					rn = utf16.DecodeRune(rn, lo)
				} else {
					rn = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, rn)
		default:
			return "", r.errorf("invalid escape \\%c", e)
		}
	}
	return "", r.errorf("unterminated string")
}

func (r *reader) hex4() (rune, error) {
	if len(r.src)-r.pos < 4 {
		return 0, r.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(r.src[r.pos:r.pos+4]), 16, 32)
	if err != nil {
		return 0, r.errorf("invalid \\u escape")
	}
	r.pos += 4
	return rune(v), nil
}

func (r *reader) array(depth int) (*node, error) {
	r.pos++
	n := &node{kind: nodeArray}
	r.skipSpace()
	if r.pos < len(r.src) && r.src[r.pos] == ']' {
		r.pos++
		return n, nil
	}
	for {
		r.skipSpace()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		r.skipSpace()
		if r.pos >= len(r.src) {
			return nil, r.errorf("unterminated list")
		}
		switch r.src[r.pos] {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return n, nil
		default:
			return nil, r.errorf("expected , or ] in list")
		}
	}
}

func (r *reader) object(depth int) (*node, error) {
	r.pos++
	n := &node{kind: nodeObject}
	r.skipSpace()
	if r.pos < len(r.src) && r.src[r.pos] == '}' {
		r.pos++
		return n, nil
	}
	for {
		r.skipSpace()
		if r.pos >= len(r.src) || r.src[r.pos] != '"' {
			return nil, r.errorf("expected a quoted member name")
		}
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		r.skipSpace()
		if r.pos >= len(r.src) || r.src[r.pos] != ':' {
			return nil, r.errorf("expected : after member name %q", k)
		}
		r.pos++
		r.skipSpace()
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, jsonMember{key: k, val: v})
		r.skipSpace()
		if r.pos >= len(r.src) {
			return nil, r.errorf("unterminated object")
		}
		switch r.src[r.pos] {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return n, nil
		default:
			return nil, r.errorf("expected , or } in object")
		}
	}
}

// appendNode writes n as minified JSON.
func appendNode(b []byte, n *node) []byte {
	switch n.kind {
	case nodeString:
		return appendString(b, n.text)
	case nodeArray:
		b = append(b, '[')
		for i, e := range n.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNode(b, e)
		}
		return append(b, ']')
	case nodeObject:
		b = append(b, '{')
		for i, m := range n.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			b = appendNode(b, m.val)
		}
		return append(b, '}')
	default:
		return append(b, n.text...)
	}
}

const hexDigits = "0123456789abcdef"

// appendString quotes s for JSON. No HTML escaping: IAM stores policies
// as given and golden files should read like the policies people write.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
