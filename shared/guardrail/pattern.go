package guardrail

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Pattern is an EventBridge event pattern. Match implements the subset of
// EventBridge matching gcguard's patterns use (value lists, prefix, exists,
// anything-but of values, $or), so every fixture can be checked against every
// pattern in code: moto's matcher is not EventBridge's. Anything else is an
// error, never a silent answer.
type Pattern map[string]any

// JSON renders the pattern as EventBridge takes it.
func (p Pattern) JSON() string {
	b, _ := json.Marshal(map[string]any(p))
	return string(b)
}

// Match reports whether the event (raw EventBridge JSON) matches.
func (p Pattern) Match(event []byte) (bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(event, &doc); err != nil {
		return false, fmt.Errorf("pattern match: event is not a JSON object: %w", err)
	}
	// The whole pattern is checked first: matching stops at the first key
	// that fails, and Go visits map keys in random order, so an unsupported
	// operator under a later key would otherwise be an error on one run and
	// a silent false on the next.
	if err := checkObject(p); err != nil {
		return false, err
	}
	return matchObject(p, doc)
}

// checkObject finds what the matcher cannot judge anywhere in a pattern.
func checkObject(pat map[string]any) error {
	for key, want := range pat {
		if key == "$or" {
			alts, ok := want.([]any)
			if !ok || len(alts) == 0 {
				return fmt.Errorf("pattern $or: want a list of objects, got %T", want)
			}
			for _, a := range alts {
				sub, ok := a.(map[string]any)
				if !ok {
					return fmt.Errorf("pattern $or: want a list of objects, got an element of type %T", a)
				}
				if err := checkObject(sub); err != nil {
					return err
				}
			}
			continue
		}
		switch w := want.(type) {
		case map[string]any:
			if err := checkObject(w); err != nil {
				return err
			}
		case []any:
			for _, x := range w {
				if err := checkValue(key, x); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("pattern key %q: want an object or a list, got %T", key, want)
		}
	}
	return nil
}

// checkValue: one element of a value list is a scalar or one supported rule.
func checkValue(key string, x any) error {
	switch v := x.(type) {
	case string, float64, bool, nil:
		return nil
	case map[string]any:
		if e, ok := v["exists"]; ok {
			if _, isBool := e.(bool); !isBool || len(v) != 1 {
				return fmt.Errorf("pattern key %q: exists wants true or false alone, got %v", key, v)
			}
			return nil
		}
		_, err := matchRule(v, nil) // errors only on the rule itself
		return err
	default:
		return fmt.Errorf("pattern key %q: want values or rules in the list, got %T", key, x)
	}
}

func matchObject(pat map[string]any, doc map[string]any) (bool, error) {
	for key, want := range pat {
		if key == "$or" {
			m, err := matchOr(want, doc)
			if err != nil || !m {
				return m, err
			}
			continue
		}
		val, present := doc[key]
		switch w := want.(type) {
		case map[string]any:
			sub, ok := val.(map[string]any)
			if !ok {
				return false, nil
			}
			if m, err := matchObject(w, sub); err != nil || !m {
				return m, err
			}
		case []any:
			m, err := matchValues(w, val, present)
			if err != nil || !m {
				return m, err
			}
		default:
			return false, fmt.Errorf("pattern key %q: want an object or a list, got %T", key, want)
		}
	}
	return true, nil
}

// matchOr: any of the sub-patterns matches the same object.
func matchOr(want any, doc map[string]any) (bool, error) {
	alts, ok := want.([]any)
	if !ok || len(alts) == 0 {
		return false, fmt.Errorf("pattern $or: want a list of objects, got %T", want)
	}
	for _, a := range alts {
		sub, ok := a.(map[string]any)
		if !ok {
			return false, fmt.Errorf("pattern $or: want a list of objects, got an element of type %T", a)
		}
		m, err := matchObject(sub, doc)
		if err != nil {
			return false, err
		}
		if m {
			return true, nil
		}
	}
	return false, nil
}

// matchValues: the field matches when any element of want matches it; a
// list-valued field matches when any of its elements does.
func matchValues(want []any, val any, present bool) (bool, error) {
	vals := []any{val}
	if list, ok := val.([]any); ok {
		vals = list
	}
	for _, w := range want {
		if rule, ok := w.(map[string]any); ok {
			if e, ok := rule["exists"]; ok {
				if e == present {
					return true, nil
				}
				continue
			}
			if !present {
				continue
			}
			for _, v := range vals {
				m, err := matchRule(rule, v)
				if err != nil {
					return false, err
				}
				if m {
					return true, nil
				}
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range vals {
			if equalScalar(w, v) {
				return true, nil
			}
		}
	}
	return false, nil
}

func matchRule(rule map[string]any, v any) (bool, error) {
	if len(rule) != 1 {
		return false, fmt.Errorf("pattern rule %v: want exactly one operator", rule)
	}
	for op, arg := range rule {
		switch op {
		case "prefix":
			p, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf("pattern operator prefix: want a string, got %T", arg)
			}
			s, ok := v.(string)
			return ok && strings.HasPrefix(s, p), nil
		case "anything-but":
			list, ok := arg.([]any)
			if !ok {
				list = []any{arg}
			}
			for _, x := range list {
				switch x.(type) {
				case map[string]any, []any:
					return false, fmt.Errorf("pattern operator anything-but: only values are supported, got %v", arg)
				}
			}
			for _, x := range list {
				if equalScalar(x, v) {
					return false, nil
				}
			}
			return true, nil
		default:
			return false, fmt.Errorf("pattern operator %q is not supported", op)
		}
	}
	return false, nil
}

func equalScalar(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}
