package gcinfra_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gcguard/gcguard/infra/gcinfra"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// --- EventBridge matching, as the attacks need it ---
//
// guardrail.Pattern.Match covers the operators the rules use; the
// self-protection patterns also use wildcard and anything-but prefix, so the
// tests match with this fuller subset. Unknown operators fail the test.

func matches(pattern map[string]any, event []byte) (bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(event, &doc); err != nil {
		return false, err
	}
	return matchObj(pattern, doc)
}

func matchObj(pat, doc map[string]any) (bool, error) {
	for k, want := range pat {
		if k == "$or" {
			any_ := false
			for _, alt := range want.([]any) {
				ok, err := matchObj(alt.(map[string]any), doc)
				if err != nil {
					return false, err
				}
				any_ = any_ || ok
			}
			if !any_ {
				return false, nil
			}
			continue
		}
		v, present := doc[k]
		if sub, ok := want.(map[string]any); ok {
			d, _ := v.(map[string]any)
			if d == nil {
				return false, nil
			}
			ok, err := matchObj(sub, d)
			if err != nil || !ok {
				return false, err
			}
			continue
		}
		ok, err := matchVals(want.([]any), v, present)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchVals(want []any, v any, present bool) (bool, error) {
	// Arrays in events match when any element matches.
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if ok, err := matchVals(want, e, true); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	for _, w := range want {
		rule, ok := w.(map[string]any)
		if !ok {
			if present && fmt.Sprint(w) == fmt.Sprint(v) {
				return true, nil
			}
			continue
		}
		for op, arg := range rule {
			s, isStr := v.(string)
			switch op {
			case "exists":
				if arg.(bool) == present {
					return true, nil
				}
			case "prefix":
				if present && isStr && strings.HasPrefix(s, arg.(string)) {
					return true, nil
				}
			case "wildcard":
				if present && isStr && wild(arg.(string), s) {
					return true, nil
				}
			case "anything-but":
				if !present {
					continue
				}
				switch a := arg.(type) {
				case map[string]any:
					if p, ok := a["prefix"].(string); ok && isStr && !strings.HasPrefix(s, p) {
						return true, nil
					}
				case []any:
					hit := false
					for _, x := range a {
						hit = hit || fmt.Sprint(x) == fmt.Sprint(v)
					}
					if !hit {
						return true, nil
					}
				default:
					if fmt.Sprint(a) != fmt.Sprint(v) {
						return true, nil
					}
				}
			default:
				return false, fmt.Errorf("pattern operator %q not supported by the test matcher", op)
			}
		}
	}
	return false, nil
}

// wild is EventBridge's wildcard: * matches any run of characters.
func wild(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

// covers: does the forwarding pattern f let through every event p matches?
// (Same source; f's event names include p's, or f names none.)
func covers(f map[string]any, p map[string]any) bool {
	if fmt.Sprint(f["source"]) != fmt.Sprint(p["source"]) {
		return false
	}
	fd, _ := f["detail"].(map[string]any)
	pd, _ := p["detail"].(map[string]any)
	fn, ok := fd["eventName"]
	if !ok {
		return true
	}
	have := map[string]bool{}
	for _, x := range fn.([]any) {
		have[canon(x)] = true
	}
	for _, x := range list(pd["eventName"]) {
		if !have[canon(x)] {
			return false
		}
	}
	return pd["eventName"] != nil
}

func kind(name string) gcinfra.Protected {
	for _, k := range gcinfra.ProtectedKinds() {
		if k.Name == name {
			return k
		}
	}
	panic("no protected kind " + name)
}

var _ = guardrail.Pattern{}

// --- IAM policy evaluation, as the attacks need it ---

// request is one API call as IAM sees it.
type request struct {
	Action string
	Ctx    map[string]string // condition keys present on the request
}

// statementApplies says whether a policy statement's action and conditions
// match the request (principal and resource are checked by the callers).
func statementApplies(st map[string]any, r request) (bool, error) {
	hit := false
	for _, a := range list(st["Action"]) {
		if wild(str(a), r.Action) {
			hit = true
		}
	}
	if !hit {
		return false, nil
	}
	cond, _ := st["Condition"].(map[string]any)
	for op, kv := range cond {
		for key, vals := range kv.(map[string]any) {
			got, present := r.Ctx[key]
			var want []string
			for _, v := range list(vals) {
				s, ok := v.(string)
				if !ok {
					return false, fmt.Errorf("condition %s %s: value %v is not a literal", op, key, v)
				}
				want = append(want, s)
			}
			any_ := func(eq func(w string) bool) bool {
				for _, w := range want {
					if eq(w) {
						return true
					}
				}
				return false
			}
			var ok bool
			switch op {
			case "ArnEquals", "StringEquals":
				ok = present && any_(func(w string) bool { return w == got })
			case "ArnLike", "StringLike":
				ok = present && any_(func(w string) bool { return wild(w, got) })
			case "ArnNotEquals", "StringNotEquals":
				ok = !present || !any_(func(w string) bool { return w == got })
			case "ArnNotLike":
				ok = !present || !any_(func(w string) bool { return wild(w, got) })
			case "StringNotEqualsIfExists":
				ok = !present || !any_(func(w string) bool { return w == got })
			case "Bool":
				ok = present && any_(func(w string) bool { return w == got })
			case "BoolIfExists":
				ok = !present || any_(func(w string) bool { return w == got })
			default:
				return false, fmt.Errorf("condition operator %s not supported by the test evaluator", op)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// statements of a policy document.
func statements(doc any) []map[string]any {
	var out []map[string]any
	d, _ := doc.(map[string]any)
	for _, s := range list(d["Statement"]) {
		out = append(out, s.(map[string]any))
	}
	return out
}

// identityAllows: does one of the statements allow the request (on any
// resource)? Identity policies here carry no Deny.
func identityAllows(sts []map[string]any, r request) (bool, error) {
	for _, st := range sts {
		if st["Effect"] != "Allow" {
			continue
		}
		ok, err := statementApplies(st, r)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// resourceDenies: does an explicit Deny of a resource policy stop the
// request (every gcguard Deny names Principal "*")?
func resourceDenies(sts []map[string]any, r request) (bool, error) {
	for _, st := range sts {
		if st["Effect"] != "Deny" {
			continue
		}
		if canon(st["Principal"]) != `"*"` && canon(st["Principal"]) != `{"AWS":"*"}` {
			continue
		}
		ok, err := statementApplies(st, r)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
