package policy

import (
	"fmt"
	"strconv"
)

// Evaluation of one request against one policy document, as the IAM
// policy evaluation logic describes it for a single resource-based policy
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny in any matching statement wins, else an Allow in any
// matching statement allows, else the request is implicitly denied.
//
// The evaluator is generic: a Request names a principal, an action, a
// resource and a condition context, so trust policies and bucket policies
// are judged by the same code. For trust policies Resource is "" (a trust
// policy names no resource; the statement's Resource is not checked).

// Caller is who sends a request.
type Caller struct {
	// Type is the principal type a Principal element names it by: "AWS",
	// "Service" or "Federated"; "" is an anonymous caller.
	Type string
	// ID is, for AWS, the principal's ARN as aws:PrincipalArn carries it
	// (a role, not its session; an account's root); for a service its
	// name (lambda.amazonaws.com); for a federated caller the provider ARN
	// or host (accounts.google.com).
	ID string
	// Session is the assumed-role session ARN of a role caller, which a
	// Principal element may also name.
	Session   string
	Account   string // AWS callers: the account they belong to
	Partition string // AWS callers: "aws", "aws-cn"…
}

// Request is one request to a resource governed by a policy.
type Request struct {
	Principal Caller
	Action    string  // "sts:AssumeRole", "s3:PutObject"…
	Resource  string  // ARN; "" = the policy's resources are not checked
	Context   Context // condition keys present in the request
}

// Decision is the outcome of evaluating a request.
type Decision uint8

const (
	ImplicitDeny Decision = iota // no statement allows it
	Allowed                      // a statement allows it and none denies it
	ExplicitDeny                 // a matching Deny statement
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicit deny"
	}
	return "implicit deny"
}

// Eval evaluates req against d. Constructs it cannot model (unknown
// operators, principal types, effects) never allow and never deny;
// Unmodelled names them, and a verdict that depends on them is unsure.
func Eval(d *Document, req *Request) Decision {
	dec, _ := evalPieces(d, req, nil)
	return dec
}

// piece is one principal value of one Allow statement: the unit a verdict
// is attributed to and a planner edits. value is the index in the
// statement's flattened principal values; -1 for "*" or NotPrincipal.
type piece struct {
	stmt  int
	value int
}

// evalPieces evaluates req and, when it is allowed, appends to buf every
// Allow piece that lets it through.
func evalPieces(d *Document, req *Request, buf []piece) (Decision, []piece) {
	var m matched
	m.match(d, req)
	return m.decide(d, req.Context, buf)
}

// matched is the first half of evaluating a request: the statements whose
// effect, action, resource and principal apply to it, with the pieces that
// name the caller. It depends on who sends the request and what it asks,
// not on its condition context, so the trust evaluator computes it once
// per caller class and decides each of the class's requests from it.
type matched struct {
	stmts  []matchedStatement
	pieces []piece
}

type matchedStatement struct {
	stmt     int
	from, to int // its pieces: pieces[from:to]
}

// match fills m for req under d.
func (m *matched) match(d *Document, req *Request) {
	m.stmts, m.pieces = m.stmts[:0], m.pieces[:0]
	for i, s := range d.Statements {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			continue
		}
		if !actionMatches(s, req.Action) || !resourceMatches(s, req.Resource) {
			continue
		}
		mark := len(m.pieces)
		switch {
		case s.NotPrincipal != nil:
			if principalIndex(s.NotPrincipal, &req.Principal) != -2 {
				continue
			}
			m.pieces = append(m.pieces, piece{stmt: i, value: -1})
		default:
			m.pieces = appendPrincipalPieces(m.pieces, s.Principal, &req.Principal, i)
			if len(m.pieces) == mark {
				continue
			}
		}
		m.stmts = append(m.stmts, matchedStatement{stmt: i, from: mark, to: len(m.pieces)})
	}
}

// decide finishes the evaluation over the request's condition context,
// appending to buf the Allow pieces that let it through.
func (m *matched) decide(d *Document, ctx Context, buf []piece) (Decision, []piece) {
	allowed := false
	for _, ms := range m.stmts {
		s := d.Statements[ms.stmt]
		ok, err := Evaluate(s.Condition, ctx, d.Version)
		if err != nil || !ok {
			// A condition IAM cannot evaluate fails for an Allow; for a
			// Deny not firing is the answer that over-reports access.
			continue
		}
		if s.Effect == "Deny" {
			return ExplicitDeny, buf[:0]
		}
		buf = append(buf, m.pieces[ms.from:ms.to]...)
		allowed = true
	}
	if allowed {
		return Allowed, buf
	}
	return ImplicitDeny, buf
}

// classMatcher evaluates a stream of requests against one document,
// matching statements again only when the caller class changes (a class's
// requests differ only in their condition context).
type classMatcher struct {
	d     *Document
	class int
	m     matched
}

func newClassMatcher(d *Document) *classMatcher { return &classMatcher{d: d, class: -1} }

func (cm *classMatcher) eval(req *Request, class int, buf []piece) (Decision, []piece) {
	if class != cm.class {
		cm.m.match(cm.d, req)
		cm.class = class
	}
	return cm.m.decide(cm.d, req.Context, buf)
}

// actionMatches: Action and NotAction hold case-insensitive globs.
func actionMatches(s *Statement, action string) bool {
	switch {
	case s.Action != nil:
		for _, p := range s.Action.List {
			if globMatch(p, action, true) {
				return true
			}
		}
		return false
	case s.NotAction != nil:
		for _, p := range s.NotAction.List {
			if globMatch(p, action, true) {
				return false
			}
		}
		return true
	}
	return false // IAM rejects a statement without either
}

func resourceMatches(s *Statement, resource string) bool {
	if resource == "" {
		return true
	}
	switch {
	case s.Resource != nil:
		for _, p := range s.Resource.List {
			if globMatch(p, resource, false) {
				return true
			}
		}
		return false
	case s.NotResource != nil:
		for _, p := range s.NotResource.List {
			if globMatch(p, resource, false) {
				return false
			}
		}
	}
	return true
}

// appendPrincipalPieces appends a piece for every value of p that names c.
func appendPrincipalPieces(buf []piece, p *Principal, c *Caller, stmt int) []piece {
	if p == nil {
		return buf
	}
	if p.Wildcard {
		return append(buf, piece{stmt: stmt, value: -1})
	}
	n := 0
	for _, e := range p.Entries {
		for _, v := range e.Values.List {
			if (e.Type == c.Type || (e.Type == "AWS" && c.Type == "")) && principalValueMatches(e.Type, v, c) {
				buf = append(buf, piece{stmt: stmt, value: n})
			}
			n++
		}
	}
	return buf
}

// principalIndex returns the flattened index of the first value of p that
// names c, -1 for the bare "*", -2 when none does.
func principalIndex(p *Principal, c *Caller) int {
	if p == nil {
		return -2
	}
	if p.Wildcard {
		return -1
	}
	n := 0
	for _, e := range p.Entries {
		for _, v := range e.Values.List {
			if e.Type == c.Type || (e.Type == "AWS" && c.Type == "") {
				if principalValueMatches(e.Type, v, c) {
					return n
				}
			}
			n++
		}
	}
	return -2
}

// principalValueMatches reports whether one Principal value names c, as
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
// describes: an account (bare ID or :root) stands for every principal of
// the account; a role ARN names the role and its sessions; an
// assumed-role ARN one session; "*" everyone (for AWS, anonymous too).
// Partial wildcards, which IAM rejects in trust policies, are read
// literally as globs.
func principalValueMatches(typ, v string, c *Caller) bool {
	if v == "*" {
		return true
	}
	if c.Type == "" { // anonymous: only "*" names it
		return false
	}
	switch typ {
	case "AWS":
		if isAccountID(v) {
			return v == c.Account
		}
		part, svc, region, acct, res, ok := arnParts(v)
		if !ok || (svc != "iam" && svc != "sts") || region != "" {
			return false
		}
		if res == "root" {
			return globMatch(part, c.Partition, false) && globMatch(acct, c.Account, false)
		}
		return globMatch(v, c.ID, false) || (c.Session != "" && globMatch(v, c.Session, false))
	case "Service":
		return globMatch(v, c.ID, true)
	case "Federated":
		return v == c.ID
	}
	return false
}

// Unmodelled names the constructs of d the evaluator does not model: the
// only reasons a verdict is unsure.
func Unmodelled(d *Document) []string {
	var out []string
	out = append(out, d.notes...)
	for i, s := range d.Statements {
		// Built only for a note: most statements have none.
		at := func() string { return "statement " + strconv.Itoa(i) }
		for _, n := range s.notes {
			out = append(out, at()+": "+n)
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			out = append(out, fmt.Sprintf("%s: Effect %q is neither Allow nor Deny", at(), s.Effect))
		}
		if s.Action == nil && s.NotAction == nil {
			out = append(out, at()+": statement has no Action")
		}
		if s.Principal == nil && s.NotPrincipal == nil {
			out = append(out, at()+": statement has no Principal")
		}
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil || p.Wildcard {
				continue
			}
			for _, e := range p.Entries {
				switch e.Type {
				case "AWS", "Service", "Federated":
				case "":
					out = append(out, fmt.Sprintf("%s: Principal is a bare string other than \"*\"", at()))
				case "CanonicalUser":
					out = append(out, at()+": CanonicalUser names an S3 canonical user; its account cannot be told from the ID")
				default:
					out = append(out, fmt.Sprintf("%s: unknown principal type %q", at(), e.Type))
				}
				if e.Type == "AWS" {
					for _, v := range e.Values.List {
						if classifyAWS(v).kind == awsInvalid {
							out = append(out, fmt.Sprintf("%s: %q is not a recognizable AWS principal", at(), v))
						}
					}
				}
			}
		}
		if s.Condition != nil {
			for _, b := range s.Condition.Blocks {
				if !ParseOperator(b.Operator).Known() {
					out = append(out, fmt.Sprintf("%s: unknown condition operator %q", at(), b.Operator))
				}
			}
		}
	}
	return out
}
