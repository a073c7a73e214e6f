package policy

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The representative requests for trust policies (DESIGN §2a). A policy's
// meaning is the set of requests it allows; these requests are chosen so
// that their answers decide every verdict: a caller class for every kind
// of principal that matters (an arbitrary foreigner, each
// principal and account the policy names, this account's root, an SSO
// role, another role and a user, organization members, services, tenants
// of each web-identity platform), each with every combination of the
// condition values it could present: each constant the policy names (and
// for Like patterns a string matching the pattern), one value matching
// none, and the key absent. Identity keys (aws:PrincipalArn…) follow from
// the class; keys the caller chooses vary freely.
//
// STS serves no anonymous AssumeRole: the unsigned calls are
// AssumeRoleWithWebIdentity and AssumeRoleWithSAML, whose callers are the
// federated classes (an arbitrary provider stands for "anyone" there).
// The evaluator still knows the anonymous caller (Caller.Type "") for
// resource policies that serve one.

// classKind says what a caller class stands for in a verdict.
type classKind uint8

const (
	kForeignAny     classKind = iota // an arbitrary principal of an account nobody named: anyone
	kForeign                         // an account or principal the policy names, neither own nor trusted
	kOrgMember                       // an arbitrary member account of a named, untrusted organization
	kTrustedOrg                      // a member account of the trusted organization
	kTrusted                         // a principal of a trusted account
	kOwnRoot                         // this account's root
	kAllowed                         // a principal an allowed pattern names (default: SSO roles)
	kOwnAny                          // an arbitrary role or IAM user of this account
	kOwnNamed                        // a specific principal of this account the policy names
	kServiceAny                      // an arbitrary AWS service acting for anyone
	kService                         // a named service acting for this account or a named source
	kServiceForeign                  // a named service acting for a foreign account (confused deputy)
	kTenantAny                       // an arbitrary tenant of a web-identity platform
	kTenant                          // the tenant the policy's claims name
	kProviderAny                     // an identity provider of a foreign account nobody named
	kProvider                        // an own/trusted SAML provider, or an OIDC platform not in the table
)

// class is one caller class; its requests vary the condition values.
type class struct {
	kind    classKind
	label   string
	caller  Caller
	action  string
	ctx     []keyValues // identity keys
	account string      // account label for external_accounts
	pattern string      // the policy or configuration text this class stands for
	host    string      // federated: provider host
	prov    *provider
	// sessions: a role's session names to try (aws:userid's second part).
	roleID   string
	sessions bool
	user     bool
	network  bool // the caller may be inside the owner's networks
}

// keyValues is one key of a class's identity context; a class has a few,
// so a slice serves where a map would cost an allocation per class.
type keyValues struct {
	key    string
	values []string
}

// get returns the class's values of identity key k.
func (c *class) get(k string) []string {
	for _, kv := range c.ctx {
		if kv.key == k {
			return kv.values
		}
	}
	return nil
}

// keyInfo is what the documents say about one condition key.
type keyInfo struct {
	name   string // as first written
	values []string
	like   bool
	kind   byte // 's'tring, 'n'umeric, 'd'ate, 'b'ool, 'i'p
	// identity, network: the key is in identityKeys, networkKeys
	identity, network bool
}

type requestSet struct {
	opt      TrustOptions
	classes  []class
	reqs     []Request
	reqClass []int
	notes    []string // not modelled
	keys     map[string]*keyInfo
	// keyOrder lists the keys (lowercased) in the order the documents
	// first test them, so that classes and labels come out in the same
	// order on every run.
	keyOrder []string
	keyInfos []*keyInfo // keyOrder's keys' infos, in that order
	dimBuf   []dimension
	sessions []string
	docs     []*Document
	// variables: a document holds a policy variable, which may read any key.
	variables bool
	// visit, when set, receives each request instead of reqs keeping it.
	visit   func(req *Request, c *class, class int)
	scratch Context
	req     Request // the streamed request
	// arenas backing the classes' identity contexts
	valArena []string
	kvArena  []keyValues
	freeDims map[string]dimension // freeDim's answers by key
}

const (
	probeForeign   = "990099009900" // an account nobody named
	probeOrgMember = "990099009911"
	probeTrustOrg  = "990099009922"
	probeOrg       = "o-gcgprobe990"
)

var ssoSample = "role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_X_abc"

// identityKeys are set by AWS from who the caller is (and for services,
// from the resource they act for); the caller does not choose them.
var identityKeys = map[string]bool{
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true,
	"aws:principalorgpaths": true, "aws:userid": true, "aws:username": true,
	"aws:principaltype": true, "aws:principalisawsservice": true, "aws:principalservicename": true,
	"aws:principalservicenamelist": true, "aws:sourceaccount": true, "aws:sourcearn": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true, "aws:sourceowner": true,
}

// networkKeys describe where a request comes from. An attacker cannot
// send from the owner's VPC endpoints or address ranges, but can from
// outside them, or through paths that carry no such key; very broad IP
// ranges (/8 or wider) are anyone's.
var networkKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:vpcsourceip": true,
}

// deriveRequests builds the request set over all docs, keeping every
// request.
func deriveRequests(opt TrustOptions, docs ...*Document) *requestSet {
	return streamRequests(opt, nil, docs...)
}

// streamRequests derives the requests and, when visit is not nil, hands
// each to visit instead of keeping it: the request (and its Context) is
// only valid during the call. This is the fast path; reqClass is kept.
func streamRequests(opt TrustOptions, visit func(req *Request, c *class, class int), docs ...*Document) *requestSet {
	var rs *requestSet
	if visit != nil {
		rs = rsPool.Get().(*requestSet)
		rs.opt, rs.visit = opt, visit
	} else {
		rs = newRequestSet()
		rs.opt = opt
	}
	for _, d := range docs {
		if d != nil {
			rs.docs = append(rs.docs, d)
			rs.collectKeys(d)
		}
	}
	rs.sessions = []string{"gcguard-probe-session"}
	if k := rs.keys["aws:userid"]; k != nil {
		for _, v := range k.values {
			if _, sess, ok := strings.Cut(v, ":"); ok && sess != "" {
				rs.sessions = append(rs.sessions, fill(sess))
			}
		}
	}
	rs.sessions = uniqKeepOrder(rs.sessions)
	for _, d := range docs {
		if d != nil {
			rs.namedClasses(d)
		}
	}
	rs.addFixedClasses()
	rs.dedupe()
	for i := range rs.classes {
		rs.expand(i)
	}
	return rs
}

func newRequestSet() *requestSet {
	return &requestSet{keys: map[string]*keyInfo{}, classes: make([]class, 0, 32), reqClass: make([]int, 0, 128)}
}

// rsPool recycles streamed request sets: their classes, arenas and maps
// are most of what judging a policy allocates.
var rsPool = sync.Pool{New: func() any { return newRequestSet() }}

// release returns a streamed request set for reuse. Nothing may use rs,
// its classes or their contexts afterwards; what callers keep of a
// judgement (labels, accounts, reasons) are strings, which reuse cannot
// change.
func (rs *requestSet) release() {
	if rs == nil || rs.visit == nil {
		return
	}
	clear(rs.classes)
	clear(rs.keys)
	clear(rs.valArena)
	clear(rs.kvArena)
	clear(rs.freeDims)
	*rs = requestSet{
		freeDims: rs.freeDims,
		keys:     rs.keys,
		classes:  rs.classes[:0],
		reqClass: rs.reqClass[:0],
		keyOrder: rs.keyOrder[:0],
		keyInfos: clearSlice(rs.keyInfos),
		dimBuf:   rs.dimBuf,
		docs:     rs.docs[:0],
		scratch:  rs.scratch,
		valArena: rs.valArena[:0],
		kvArena:  rs.kvArena[:0],
	}
	rsPool.Put(rs)
}

// clearSlice empties s, dropping what it referred to, for reuse.
func clearSlice[T any](s []T) []T {
	clear(s)
	return s[:0]
}

func (rs *requestSet) collectKeys(d *Document) {
	for _, s := range d.Statements {
		if s.Condition == nil {
			continue
		}
		for _, b := range s.Condition.Blocks {
			op := ParseOperator(b.Operator)
			for _, e := range b.Entries {
				k := strings.ToLower(e.Key)
				ki := rs.keys[k]
				if ki == nil {
					ki = &keyInfo{name: e.Key, kind: 's', identity: identityKeys[k], network: networkKeys[k]}
					rs.keys[k] = ki
					rs.keyOrder = append(rs.keyOrder, k)
					rs.keyInfos = append(rs.keyInfos, ki)
				}
				if op.Like() {
					ki.like = true
				}
				switch {
				case strings.HasPrefix(op.Base, "Numeric"):
					ki.kind = 'n'
				case strings.HasPrefix(op.Base, "Date"):
					ki.kind = 'd'
				case op.Base == "Bool":
					ki.kind = 'b'
				case op.Base == "IpAddress" || op.Base == "NotIpAddress":
					ki.kind = 'i'
				}
				if op.Base == "Null" {
					continue
				}
				for _, v := range e.Values {
					if hasVariable(v.Text, d.Version) {
						rs.variables = true
					}
					if !hasVariable(v.Text, d.Version) && !slices.Contains(ki.values, v.Text) {
						ki.values = append(ki.values, v.Text)
					}
				}
			}
		}
	}
}

// fill turns a pattern into one string it matches.
func fill(p string) string {
	if !hasWildcard(p) {
		return p
	}
	b := make([]byte, 0, len(p)+8)
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			b = append(b, "zq"...)
		case '?':
			b = append(b, 'z')
		default:
			b = append(b, p[i])
		}
	}
	return string(b)
}

func (rs *requestSet) add(c class) { rs.classes = append(rs.classes, c) }

// awsClass builds a role or user class from a principal ARN.
func (rs *requestSet) awsClass(kind classKind, arn, account, pattern, label string) class {
	c := class{kind: kind, label: label, action: "sts:AssumeRole", account: account, pattern: pattern}
	part, _, _, _, res, _ := arnParts(arn)
	c.caller = Caller{Type: "AWS", ID: arn, Account: account, Partition: part}
	rs.set(&c, "aws:principalarn", arn)
	rs.set(&c, "aws:principalaccount", account)
	rs.set(&c, "aws:principalisawsservice", "false")
	switch {
	case res == "root":
		rs.set(&c, "aws:principaltype", "Account")
		rs.set(&c, "aws:userid", account)
	case strings.HasPrefix(res, "user/"):
		c.user = true
		name := res[strings.LastIndexByte(res, '/')+1:]
		rs.set(&c, "aws:principaltype", "User")
		rs.set(&c, "aws:username", name)
		if rs.tested("aws:userid") {
			rs.set(&c, "aws:userid", "AIDA"+probeID(arn))
		}
	default:
		rs.set(&c, "aws:principaltype", "AssumedRole")
		// The session dimension exists only for a policy that reads
		// aws:userid; elsewhere every session is the same request.
		if rs.tested("aws:userid") {
			c.roleID = "AROA" + probeID(arn)
			c.sessions = true
		}
	}
	if label == "" {
		c.label = arn
	}
	return c
}

// tested reports whether a request's value of key k can matter: the
// documents test it, or a policy variable may read any key. Classes carry
// only such keys; the others cannot change a decision.
func (rs *requestSet) tested(k string) bool {
	if rs.variables {
		return true
	}
	_, ok := rs.keys[k]
	return ok
}

// set gives class c the identity key k with value v when it can matter.
func (rs *requestSet) set(c *class, k string, v string) {
	if !rs.tested(k) {
		return
	}
	// Single values share one backing array per request set.
	if len(rs.valArena) == cap(rs.valArena) {
		rs.valArena = make([]string, 0, 64)
	}
	n := len(rs.valArena)
	rs.valArena = append(rs.valArena, v)
	rs.setValues(c, k, rs.valArena[n:n+1:n+1])
}

// setValues gives class c the identity key k with values vs when it can
// matter.
func (rs *requestSet) setValues(c *class, k string, vs []string) {
	if !rs.tested(k) {
		return
	}
	for i := range c.ctx {
		if c.ctx[i].key == k {
			c.ctx[i].values = vs
			return
		}
	}
	if c.ctx == nil {
		// Room for a class's usual keys, carved from a shared array;
		// the capacity limit makes an overflowing append copy out.
		const room = 6
		if cap(rs.kvArena)-len(rs.kvArena) < room {
			rs.kvArena = make([]keyValues, 0, 8*room)
		}
		n := len(rs.kvArena)
		rs.kvArena = rs.kvArena[:n+room]
		c.ctx = rs.kvArena[n : n : n+room]
	}
	c.ctx = append(c.ctx, keyValues{k, vs})
}

// probeID is a stable synthetic unique ID for a class.
func probeID(s string) string {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	// "GCGPROBE" and the hash in upper-case base 36, built in one go.
	b := make([]byte, 0, 8+7)
	b = append(b, "GCGPROBE"...)
	b = strconv.AppendUint(b, uint64(h), 36)
	for i := 8; i < len(b); i++ {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func (rs *requestSet) accountKind(acct, part string) classKind {
	switch {
	case part != rs.opt.Partition:
		return kForeign
	case acct == rs.opt.Account:
		return kOwnNamed
	case slices.Contains(rs.opt.TrustedAccounts, acct):
		return kTrusted
	}
	return kForeign
}

func (rs *requestSet) label(part, acct string) string {
	if part == rs.opt.Partition {
		return acct
	}
	return part + ":" + acct
}

// namedClasses adds a class for every principal, account, organization,
// service and provider d names in principals or identity conditions.
func (rs *requestSet) namedClasses(d *Document) {
	opt := rs.opt
	arnClass := func(v string) {
		if slices.Contains(opt.AllowedPrincipals, v) {
			return // the allowed-principals class stands for it
		}
		part, svc, region, acct, res, ok := arnParts(v)
		if !ok || (svc != "iam" && svc != "sts") || region != "" || res == "" || strings.Contains(res, "!") {
			return // '!' is not valid in a name: gcguard's quarantine ARN
		}
		if hasWildcard(part) {
			part = opt.Partition
		}
		arn := v
		session := ""
		if svc == "sts" {
			// assumed-role/<role>/<session>: the caller is the role.
			r := strings.TrimPrefix(res, "assumed-role/")
			role, _, _ := strings.Cut(r, "/")
			session = fill(v)
			arn = "arn:" + part + ":iam::" + acct + ":role/" + role
		}
		specific := res != "root" && specificResource(res)
		if hasWildcard(acct) {
			// Anyone can create a principal of that name in an account of
			// their own; the owner's one lives in this account.
			arn = strings.Replace(arn, ":"+acct+":", ":%s:", 1)
			if specific {
				c := rs.awsClass(kOwnNamed, fill(strings.Replace(arn, "%s", opt.Account, 1)), opt.Account, strings.Replace(v, ":"+acct+":", ":"+opt.Account+":", 1), "")
				rs.add(c)
			}
			c := rs.awsClass(kForeignAny, fill(strings.Replace(arn, "%s", probeForeign, 1)), probeForeign, "", "")
			c.label = "any account's " + fill(res)
			rs.add(c)
			return
		}
		if !isAccountID(acct) {
			return
		}
		kind := rs.accountKind(acct, part)
		if kind != kOwnNamed || specific {
			if !specific {
				arn = "arn:" + part + ":iam::" + acct + ":role/gcguard-probe-role"
			}
			c := rs.awsClass(kind, fill(arn), acct, v, "")
			c.account = rs.label(part, acct)
			if session != "" {
				c.caller.Session = session
			}
			if !specific {
				c.label = "any principal of account " + c.account
				c.pattern = ""
			}
			rs.add(c)
		}
	}
	acctClass := func(acct string) {
		if !isAccountID(acct) {
			return
		}
		arn := "arn:" + opt.Partition + ":iam::" + acct + ":role/gcguard-probe-role"
		if kind := rs.accountKind(acct, opt.Partition); kind != kOwnNamed {
			c := rs.awsClass(kind, arn, acct, "", "any principal of account "+acct)
			rs.add(c)
		}
	}
	for _, s := range d.Statements {
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, e := range p.Entries {
				for _, v := range e.Values.List {
					switch e.Type {
					case "AWS":
						if isAccountID(v) {
							acctClass(v)
						} else {
							arnClass(v)
						}
					case "Service":
						if v != "*" && !hasWildcard(v) {
							rs.serviceClasses(v)
						}
					case "Federated":
						rs.federatedClasses(v)
					}
				}
			}
		}
	}
	for _, k := range rs.keyOrder {
		for _, v := range rs.keys[k].values {
			switch k {
			case "aws:principalarn":
				arnClass(v)
			case "aws:principalaccount":
				if hasWildcard(v) {
					// Account IDs are assigned, but a pattern matches
					// accounts anyone may hold.
					acct := strings.NewReplacer("*", strings.Repeat("9", max(0, 13-len(v))), "?", "9").Replace(v)
					if isAccountID(acct) && rs.accountKind(acct, opt.Partition) == kForeign {
						c := rs.awsClass(kForeignAny, "arn:"+opt.Partition+":iam::"+acct+":role/gcguard-probe-role", acct, "", "any principal of an account matching "+v)
						rs.add(c)
					}
					continue
				}
				acctClass(v)
			case "aws:username":
				arn := "arn:" + opt.Partition + ":iam::" + opt.Account + ":user/" + fill(v)
				c := rs.awsClass(kOwnNamed, arn, opt.Account, arn, "")
				rs.add(c)
			case "aws:userid":
				id, _, _ := strings.Cut(v, ":")
				if (strings.HasPrefix(id, "AROA") || strings.HasPrefix(id, "AIDA")) && !hasWildcard(id) {
					rs.uniqueIDClass(d, id)
				}
			case "aws:principalorgid":
				rs.orgClass(v, "")
			case "aws:principalorgpaths":
				org, _, _ := strings.Cut(v, "/")
				rs.orgClass(org, v)
			}
		}
	}
}

// uniqueIDClass: a principal pinned by its unique ID, of this account; a
// statement that lets any account's principal in under that pin leaves
// its account open, which the evaluator does not model.
func (rs *requestSet) uniqueIDClass(d *Document, id string) {
	opt := rs.opt
	res := "role/gcguard-uid-" + id
	if strings.HasPrefix(id, "AIDA") {
		res = "user/gcguard-uid-" + id
	}
	c := rs.awsClass(kOwnNamed, "arn:"+opt.Partition+":iam::"+opt.Account+":"+res, opt.Account, "", "principal with unique ID "+id)
	if c.user {
		rs.set(&c, "aws:userid", id)
	} else {
		c.roleID = id
	}
	rs.add(c)
	for i, s := range d.Statements {
		if s.Effect != "Allow" || s.Condition == nil || !wildcardAWS(s) {
			continue
		}
		pinsAccount := false
		usesID := false
		for _, b := range s.Condition.Blocks {
			for _, e := range b.Entries {
				k := strings.ToLower(e.Key)
				if k == "aws:principalaccount" || k == "aws:principalarn" {
					pinsAccount = true
				}
				if k == "aws:userid" && slices.ContainsFunc(e.Values, func(v ConditionValue) bool { return strings.HasPrefix(v.Text, id) }) {
					usesID = true
				}
			}
		}
		if usesID && !pinsAccount {
			rs.notes = append(rs.notes, "statement "+strconv.Itoa(i)+": aws:userid pins unique ID "+id+", but not the account it belongs to")
		}
	}
}

func wildcardAWS(s *Statement) bool {
	if s.Principal == nil {
		return s.NotPrincipal != nil
	}
	if s.Principal.Wildcard {
		return true
	}
	for _, v := range s.Principal.Values("AWS") {
		if v == "*" || classifyAWS(v).kind == awsAnyone {
			return true
		}
	}
	return false
}

func (rs *requestSet) orgClass(org, path string) {
	if hasWildcard(org) || org == "" {
		return // a wildcard organization is any: the arbitrary foreigner's
	}
	kind, acct := kOrgMember, probeOrgMember
	if org == rs.opt.TrustedOrg {
		kind, acct = kTrustedOrg, probeTrustOrg
	}
	c := rs.awsClass(kind, "arn:"+rs.opt.Partition+":iam::"+acct+":role/gcguard-probe-role", acct, "", "any member account of organization "+org)
	rs.set(&c, "aws:principalorgid", org)
	if rs.tested("aws:principalorgpaths") {
		paths := []string{org + "/r-zq99/ou-zq99-probe/"}
		if path != "" {
			paths = append(paths, fill(path))
		}
		rs.setValues(&c, "aws:principalorgpaths", paths)
	}
	c.account = org
	rs.add(c)
}

func (rs *requestSet) serviceClasses(svc string) {
	opt := rs.opt
	mk := func(kind classKind, label string, src []string) {
		c := class{kind: kind, label: label, action: "sts:AssumeRole", pattern: svc,
			caller: Caller{Type: "Service", ID: svc}}
		rs.set(&c, "aws:principalservicename", svc)
		rs.set(&c, "aws:principalisawsservice", "true")
		if src != nil {
			rs.set(&c, "aws:sourceaccount", src[0])
			rs.set(&c, "aws:sourcearn", src[1])
		}
		rs.add(c)
	}
	prefix := strings.TrimSuffix(svc, ".amazonaws.com")
	srcArn := func(acct string) string {
		return "arn:" + opt.Partition + ":" + prefix + ":ap-northeast-1:" + acct + ":gcguard-probe"
	}
	mk(kService, svc+" for this account", []string{opt.Account, srcArn(opt.Account)})
	mk(kService, svc+" without a source", nil)
	for _, k := range []string{"aws:sourceaccount", "aws:sourcearn"} {
		if ki := rs.keys[k]; ki != nil {
			for _, v := range ki.values {
				src := []string{fill(v), srcArn(fill(v))}
				if k == "aws:sourcearn" {
					acct, _ := patternAccount(v)
					src = []string{fill(acct), fill(v)}
				}
				mk(kService, svc+" for "+v, src)
			}
		}
	}
	mk(kServiceForeign, svc+" acting for another account", []string{probeForeign, srcArn(probeForeign)})
}

func (rs *requestSet) federatedClasses(v string) {
	if v == "*" || hasWildcard(v) {
		return // the arbitrary provider class covers it
	}
	host, kind, acct, part := providerHost(v)
	action := "sts:AssumeRoleWithWebIdentity"
	if kind == "saml" {
		action = "sts:AssumeRoleWithSAML"
	}
	c := class{action: action, caller: Caller{Type: "Federated", ID: v}, host: host, pattern: v, label: v}
	if kind == "saml" || kind == "oidc" {
		if !isAccountID(acct) || rs.accountKind(acct, part) == kForeign {
			c.kind, c.account = kForeign, rs.label(part, acct)
			rs.add(c)
			return
		}
	}
	if kind == "saml" || host == "" {
		c.kind = kProvider
		rs.add(c)
		return
	}
	c.prov = providerFor(host)
	if c.prov == nil {
		c.kind = kProvider
		c.label = v + " (an OIDC platform gcguard does not model)"
		rs.add(c)
		return
	}
	c.kind, c.label = kTenant, v+" tenant named by the policy"
	rs.add(c)
	c.kind, c.label = kTenantAny, "any "+c.prov.name+" tenant"
	rs.add(c)
}

// fixedEntry holds the fixed classes of one configuration as
// fixedClasses builds them with every key tested. They depend on nothing
// else, and a sweep judges every role under the same configuration.
type fixedEntry struct {
	opt     TrustOptions
	classes []class
}

var fixedCache atomic.Pointer[fixedEntry]

func sameOptions(a, b TrustOptions) bool {
	return a.Account == b.Account && a.Partition == b.Partition && a.TrustedOrg == b.TrustedOrg &&
		slices.Equal(a.TrustedAccounts, b.TrustedAccounts) && slices.Equal(a.AllowedPrincipals, b.AllowedPrincipals)
}

// addFixedClasses adds the classes every policy is judged against: the
// cached ones of this configuration, keeping only the keys this request
// set tests, exactly as fixedClasses would have built them here.
func (rs *requestSet) addFixedClasses() {
	e := fixedCache.Load()
	if e == nil || !sameOptions(e.opt, rs.opt) {
		full := &requestSet{opt: rs.opt, keys: map[string]*keyInfo{}, variables: true}
		full.fixedClasses()
		opt := rs.opt
		opt.TrustedAccounts = slices.Clone(opt.TrustedAccounts)
		opt.AllowedPrincipals = slices.Clone(opt.AllowedPrincipals)
		e = &fixedEntry{opt: opt, classes: full.classes}
		fixedCache.Store(e)
	}
	for _, fc := range e.classes {
		c := fc
		c.ctx = nil
		for _, kv := range fc.ctx {
			rs.setValues(&c, kv.key, kv.values) // values are shared, never written
		}
		// awsClass gives a role its sessions only when aws:userid is tested.
		c.sessions = fc.sessions && rs.tested("aws:userid")
		if !c.sessions {
			c.roleID = ""
		}
		rs.add(c)
	}
}

// fixedClasses adds the classes every policy is judged against.
func (rs *requestSet) fixedClasses() {
	opt := rs.opt
	p := opt.Partition
	for _, res := range []string{"role/gcguard-probe-role", "user/gcguard-probe-user"} {
		c := rs.awsClass(kForeignAny, "arn:"+p+":iam::"+probeForeign+":"+res, probeForeign, "", "any principal of any account")
		rs.add(c)
	}
	own := "arn:" + p + ":iam::" + opt.Account + ":"
	rs.add(rs.awsClass(kOwnRoot, own+"root", opt.Account, "", "this account's root"))
	for _, res := range []string{"role/gcguard-probe-role", "user/gcguard-probe-user"} {
		c := rs.awsClass(kOwnAny, own+res, opt.Account, "", "any role or user of this account")
		c.network = true
		rs.add(c)
	}
	for _, a := range opt.AllowedPrincipals {
		arn := fill(a)
		if a == "arn:"+p+":iam::"+opt.Account+":role/aws-reserved/sso.amazonaws.com/*" {
			arn = own + ssoSample
		}
		acct, _ := patternAccount(arn)
		c := rs.awsClass(kAllowed, arn, acct, a, "allowed principals "+a)
		c.network = true
		rs.add(c)
	}
	for _, t := range opt.TrustedAccounts {
		c := rs.awsClass(kTrusted, "arn:"+p+":iam::"+t+":role/gcguard-probe-role", t, "", "any principal of trusted account "+t)
		c.network = true
		rs.add(c)
	}
	if opt.TrustedOrg != "" {
		rs.orgClass(opt.TrustedOrg, "")
	}
	svc := class{kind: kServiceAny, label: "any AWS service acting for any account", action: "sts:AssumeRole",
		caller: Caller{Type: "Service", ID: "gcguard-probe.amazonaws.com"}}
	rs.set(&svc, "aws:principalservicename", "gcguard-probe.amazonaws.com")
	rs.set(&svc, "aws:principalisawsservice", "true")
	rs.set(&svc, "aws:sourceaccount", probeForeign)
	if rs.tested("aws:sourcearn") {
		rs.set(&svc, "aws:sourcearn", "arn:"+p+":s3:::gcguard-probe")
	}
	rs.add(svc)
	rs.add(class{kind: kProviderAny, label: "any identity provider", action: "sts:AssumeRoleWithWebIdentity",
		caller: Caller{Type: "Federated", ID: "arn:" + p + ":iam::" + probeForeign + ":oidc-provider/gcguard-probe.example"}})
}

// dedupe drops repeated classes and fixes organization membership: own
// and trusted accounts are in the trusted organization when one is
// configured, else in the first one a policy names (judging as if they
// were keeps their path through an organization-wide statement).
func (rs *requestSet) dedupe() {
	out := rs.classes[:0]
	ownOrg, ownPath := rs.ownOrganization()
	for _, c := range rs.classes {
		// A policy yields a few dozen classes: a scan beats a map.
		if slices.ContainsFunc(out, func(o class) bool {
			return o.kind == c.kind && o.caller.Type == c.caller.Type && o.caller.ID == c.caller.ID &&
				o.caller.Session == c.caller.Session && o.label == c.label
		}) {
			continue
		}
		if c.caller.Type == "AWS" && c.get("aws:principalorgid") == nil && ownOrg != "" {
			switch c.kind {
			case kOwnRoot, kOwnAny, kOwnNamed, kAllowed, kTrusted:
				rs.set(&c, "aws:principalorgid", ownOrg)
				if rs.tested("aws:principalorgpaths") {
					rs.set(&c, "aws:principalorgpaths", ownPath)
				}
			}
		}
		out = append(out, c)
	}
	rs.classes = out
}

// ownOrganization is the organization (and path) own and trusted callers
// are judged to be in: the trusted organization, else the first one the
// policy names — a literal ID, or a string its pattern matches ("o-*"
// admits the own account as surely as any) — or the organization of the
// first path it names. A GCAS account is always in an organization, so
// judging it outside would take away access it has.
func (rs *requestSet) ownOrganization() (org, path string) {
	org = rs.opt.TrustedOrg
	firstOf := func(key string) string {
		ki := rs.keys[key]
		if ki == nil {
			return ""
		}
		for _, v := range ki.values {
			if !hasWildcard(v) {
				return v
			}
		}
		if len(ki.values) > 0 {
			return fill(ki.values[0])
		}
		return ""
	}
	if org == "" {
		org = firstOf("aws:principalorgid")
	}
	if p := firstOf("aws:principalorgpaths"); p != "" {
		pOrg, _, _ := strings.Cut(p, "/")
		if org == "" {
			org = pOrg
		}
		if pOrg == org {
			path = p
		}
	}
	if path == "" && org != "" {
		path = org + "/r-zq99/ou-zq99-own/"
	}
	return org, path
}

// attacker reports whether a class stands for callers gcguard guards
// against, who choose every value they can.
func (c *class) attacker() bool {
	switch c.kind {
	case kForeignAny, kForeign, kOrgMember, kOwnAny, kServiceAny, kServiceForeign, kTenantAny, kProviderAny:
		return true
	}
	return false
}

// dimension is one free choice: a key and its candidate values ("" with
// absent=true is the key left out).
type dimension struct {
	key    string
	values []string // nil entry list means: absent only
	absent bool
}

const maxVariants = 512

// expand adds the requests of class i: the product of its free choices.
func (rs *requestSet) expand(i int) {
	c := &rs.classes[i]
	dims := rs.dimBuf[:0]
	defer func() { clear(dims); rs.dimBuf = dims[:0] }()
	if c.sessions {
		// One string holds every "<role ID>:<session>"; the values are
		// slices of it.
		n := 0
		for _, s := range rs.sessions {
			n += len(c.roleID) + 1 + len(s)
		}
		var b strings.Builder
		b.Grow(n)
		for _, s := range rs.sessions {
			b.WriteString(c.roleID)
			b.WriteByte(':')
			b.WriteString(s)
		}
		all := b.String()
		d := dimension{key: "aws:userid", values: make([]string, 0, len(rs.sessions))}
		at := 0
		for _, s := range rs.sessions {
			end := at + len(c.roleID) + 1 + len(s)
			d.values = append(d.values, all[at:end])
			at = end
		}
		dims = append(dims, d)
	}
	if c.kind == kForeignAny && c.caller.Type == "AWS" {
		// The attacker may be in an organization of their own, or none.
		// (A key no document tests cannot change a decision: leaving it
		// out only drops requests identical to the ones kept.)
		if rs.tested("aws:principalorgid") {
			dims = append(dims, dimension{key: "aws:principalorgid", values: []string{probeOrg}, absent: true})
		}
		if rs.tested("aws:principalorgpaths") {
			dims = append(dims, dimension{key: "aws:principalorgpaths", values: []string{probeOrg + "/r-zq99/ou-zq99-probe/"}, absent: true})
		}
	}
	if c.kind == kForeignAny && c.user && rs.tested("aws:username") {
		d := dimension{key: "aws:username", values: []string{"gcguard-probe-user"}}
		if ki := rs.keys["aws:username"]; ki != nil {
			for _, v := range ki.values {
				d.values = append(d.values, fill(v))
			}
		}
		dims = append(dims, d)
	}
	for ii, k := range rs.keyOrder {
		ki := rs.keyInfos[ii]
		if ki.identity {
			continue
		}
		switch {
		case ki.network:
			if c.caller.Type == "Federated" {
				continue
			}
			dims = append(dims, rs.networkDim(k, ki, c.attacker() && !c.network))
		case strings.HasPrefix(k, "saml:"):
			if c.caller.Type == "Federated" && c.prov == nil {
				dims = append(dims, rs.freeDim(k, ki))
			}
		case isClaimKey(k):
			if c.caller.Type != "Federated" {
				continue
			}
			host, claim := splitClaim(k)
			if !strings.EqualFold(host, c.host) {
				continue
			}
			dims = append(dims, rs.claimDim(c, k, claim, ki))
		default:
			dims = append(dims, rs.freeDim(k, ki))
		}
	}
	slices.SortFunc(dims, func(a, b dimension) int { return strings.Compare(a.key, b.key) })
	width := func(d dimension) int {
		if d.absent {
			return len(d.values) + 1
		}
		return max(len(d.values), 1)
	}
	n := 1
	for _, d := range dims {
		n *= width(d)
		if n > maxVariants {
			break
		}
	}
	// The class carries only keys the documents test (all of them when a
	// policy variable may read any key). A streamed request reuses one
	// context: the class's keys are copied in once, and every request
	// then sets or removes each varying key, so no value of an earlier
	// request survives into the next.
	base := c.ctx
	req := &rs.req
	if rs.visit != nil {
		if rs.scratch == nil {
			// Requests hold only tested keys: a map of that size
			// (a policy variable may read any key: room for more).
			hint := len(rs.keys)
			if rs.variables {
				hint += 8
			}
			rs.scratch = make(Context, hint)
		}
		clear(rs.scratch)
		for _, kv := range base {
			rs.scratch[kv.key] = kv.values
		}
		*req = Request{Principal: c.caller, Action: c.action, Context: rs.scratch}
	}
	emit := func(idx []int) {
		rs.reqClass = append(rs.reqClass, i)
		if rs.visit != nil {
			for j, d := range dims {
				if idx[j] < len(d.values) {
					rs.scratch[d.key] = d.values[idx[j] : idx[j]+1 : idx[j]+1]
				} else {
					delete(rs.scratch, d.key)
				}
			}
			rs.visit(req, c, i)
			return
		}
		if len(dims) == 0 {
			// Nothing varies: the class's identity context is the request's.
			ctx := make(Context, len(base))
			for _, kv := range base {
				ctx[kv.key] = kv.values
			}
			rs.reqs = append(rs.reqs, Request{Principal: c.caller, Action: c.action, Context: ctx})
			return
		}
		ctx := make(Context, len(base)+len(dims))
		for _, kv := range base {
			ctx[kv.key] = kv.values
		}
		for j, d := range dims {
			if idx[j] < len(d.values) {
				ctx[d.key] = d.values[idx[j] : idx[j]+1 : idx[j]+1]
			} else {
				delete(ctx, d.key)
			}
		}
		rs.reqs = append(rs.reqs, Request{Principal: c.caller, Action: c.action, Context: ctx})
	}
	if n > maxVariants {
		for _, idx := range rs.sparse(dims, width) {
			emit(idx)
		}
		return
	}
	idx := make([]int, len(dims))
	for {
		emit(idx)
		j := 0
		for ; j < len(dims); j++ {
			idx[j]++
			if idx[j] < width(dims[j]) {
				break
			}
			idx[j] = 0
		}
		if j == len(dims) {
			return
		}
	}
}

// sparse chooses the combinations to try when the full product is too
// large: for each Allow statement, the values that satisfy its conditions
// key by key (keys AND, so they can be chosen one at a time), and from
// there every single change of one key, which is what it takes to step
// out of a Deny's ANDed conditions.
func (rs *requestSet) sparse(dims []dimension, width func(dimension) int) [][]int {
	var bases [][]int
	none := make([]int, len(dims))
	for j, d := range dims {
		none[j] = width(d) - 1
	}
	bases = append(bases, none)
	for _, doc := range rs.docs {
		for _, s := range doc.Statements {
			if s.Effect != "Allow" || s.Condition == nil {
				continue
			}
			base := make([]int, len(dims))
			for j, d := range dims {
				base[j] = width(d) - 1
				for o := 0; o < width(d); o++ {
					ctx := Context{}
					if o < len(d.values) {
						ctx[d.key] = []string{d.values[o]}
					}
					if keyHolds(s.Condition, d.key, ctx, doc.Version) {
						base[j] = o
						break
					}
				}
			}
			bases = append(bases, base)
		}
	}
	var out [][]int
	for _, b := range bases {
		out = append(out, b)
		for j, d := range dims {
			for o := 0; o < width(d); o++ {
				if o != b[j] {
					v := slices.Clone(b)
					v[j] = o
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// keyHolds reports whether every entry of c on key holds in ctx.
func keyHolds(c *Condition, key string, ctx Context, version string) bool {
	for _, b := range c.Blocks {
		op := ParseOperator(b.Operator)
		if !op.Known() {
			continue
		}
		for _, e := range b.Entries {
			if strings.EqualFold(e.Key, key) {
				if ok, err := evalEntry(op, e, ctx, version); err != nil || !ok {
					return false
				}
			}
		}
	}
	return true
}

// isClaimKey: provider claim keys are "<host>:<claim>" with a dotted host.
func isClaimKey(k string) bool {
	host, _ := splitClaim(k)
	return strings.Contains(host, ".")
}

func splitClaim(k string) (string, string) {
	i := strings.LastIndexByte(k, ':')
	if i < 0 {
		return "", k
	}
	return k[:i], k[i+1:]
}

// freeDim: a key the caller chooses: each constant, a match of each Like
// pattern, one value matching none, absent.
func (rs *requestSet) freeDim(k string, ki *keyInfo) dimension {
	// The same for every class: built once per request set, and only
	// read afterwards.
	if d, ok := rs.freeDims[k]; ok {
		return d
	}
	if rs.freeDims == nil {
		rs.freeDims = map[string]dimension{}
	}
	d := rs.buildFreeDim(k, ki)
	rs.freeDims[k] = d
	return d
}

func (rs *requestSet) buildFreeDim(k string, ki *keyInfo) dimension {
	d := dimension{key: k, absent: true}
	switch ki.kind {
	case 'b':
		d.values = []string{"true", "false"}
	case 'n':
		for _, v := range ki.values {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				d.values = append(d.values, v, strconv.FormatFloat(f-1, 'f', -1, 64), strconv.FormatFloat(f+1, 'f', -1, 64))
			}
		}
		d.values = append(d.values, "0")
	case 'd':
		for _, v := range ki.values {
			if t, err := parseDate(v); err == nil {
				d.values = append(d.values, t.Add(-time.Second).UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339), t.Add(time.Second).UTC().Format(time.RFC3339))
			}
		}
		d.values = append(d.values, "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z")
	default:
		for _, v := range ki.values {
			d.values = append(d.values, v)
			if ki.like && hasWildcard(v) {
				d.values = append(d.values, fill(v))
			}
		}
		d.values = append(d.values, "gcguard-none")
	}
	d.values = uniqKeepOrder(d.values)
	return d
}

// networkDim: for callers who may be inside the owner's networks, every
// constant; for attackers, only outside values and very broad ranges.
func (rs *requestSet) networkDim(k string, ki *keyInfo, outsider bool) dimension {
	d := dimension{key: k, absent: true}
	none := "vpc-gcguardnone"
	if ki.kind == 'i' || strings.HasSuffix(k, "ip") {
		none = "192.0.2.77"
	}
	for _, v := range ki.values {
		val := v
		broad := false
		if pfx, err := netip.ParsePrefix(v); err == nil {
			val = pfx.Masked().Addr().String()
			broad = pfx.Bits() <= 8
		}
		if !outsider || broad || hasWildcard(v) {
			d.values = append(d.values, fill(val))
		}
		if val == none {
			none = "198.51.100.77"
		}
	}
	d.values = append(d.values, none)
	return d
}

// claimDim: a federated claim of class c's platform. The arbitrary tenant
// presents its own value of each claim the platform fixes, plus every
// policy value that does not pin (it can produce those); claims it
// chooses take any value. The named tenant presents each policy value.
func (rs *requestSet) claimDim(c *class, k, claim string, ki *keyInfo) dimension {
	if c.prov == nil {
		return rs.freeDim(k, ki)
	}
	claim = strings.ToLower(claim)
	if c.kind == kTenant {
		d := dimension{key: k}
		for _, v := range ki.values {
			d.values = append(d.values, fill(v))
		}
		return d
	}
	if !c.prov.fixed[claim] {
		return rs.freeDim(k, ki)
	}
	// Absent too: conditions over a claim that may be missing (IfExists,
	// ForAllValues) must not count as pinning it.
	d := dimension{key: k, values: []string{c.prov.probe[claim]}, absent: true}
	for _, v := range ki.values {
		if !c.prov.pins(claim, v, ki.like) {
			d.values = append(d.values, fill(v))
		}
	}
	d.values = uniqKeepOrder(d.values)
	return d
}
