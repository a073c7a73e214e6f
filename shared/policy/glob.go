package policy

import "strings"

// IAM wildcards: '*' matches any run of characters, '?' any one character.

// globMatch reports whether s matches pattern. fold compares ASCII
// case-insensitively (StringLike is case-sensitive; action names are not),
// without building lowercased copies: actions are matched for every request.
func globMatch(pattern, s string, fold bool) bool {
	if fold && (!isASCII(pattern) || !isASCII(s)) {
		pattern, s, fold = strings.ToLower(pattern), strings.ToLower(s), false
	}
	// Iterative matcher with single backtrack point: linear for policies.
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i] || fold && lowerASCII(pattern[p]) == lowerASCII(s[i])) {
			p++
			i++
			continue
		}
		if p < len(pattern) && pattern[p] == '*' {
			starP, starI = p, i
			p++
			continue
		}
		if starP >= 0 {
			p = starP + 1
			starI++
			i = starI
			continue
		}
		return false
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasWildcard reports whether s contains an IAM wildcard.
func hasWildcard(s string) bool {
	return strings.ContainsAny(s, "*?")
}

// literalPrefix returns s up to its first wildcard.
func literalPrefix(s string) string {
	if i := strings.IndexAny(s, "*?"); i >= 0 {
		return s[:i]
	}
	return s
}

// globsIntersect reports whether some string matches both patterns.
// Used to ask "could a principal named by one pattern be named by the
// other" (allowed principals versus a policy's principals).
func globsIntersect(a, b string) bool {
	type key struct{ i, j int }
	memo := map[key]bool{}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		k := key{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			// '*' matches nothing, or consumes one character of b's side.
			r = rec(i+1, j) || (j < len(b) && rec(i, j+1))
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || (i < len(a) && rec(i+1, j))
		case i == len(a) || j == len(b):
			r = false
		case a[i] == '?' || b[j] == '?' || a[i] == b[j]:
			r = rec(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return rec(0, 0)
}
