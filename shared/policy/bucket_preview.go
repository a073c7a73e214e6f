package policy

import (
	"slices"
	"strconv"
	"strings"
)

// BucketPreview is what a bucket-policy rewrite does to access, in words an
// administrator reads first: which request classes lose, keep and gain
// access under the bucket policy. Own-account principals count as allowed
// unless the bucket policy denies them (their IAM policies may grant).
type BucketPreview = Preview

// Representative actions: reads, writes, listing, deletion and the
// bucket's own configuration.
var previewActions = []struct{ action, on string }{
	{"s3:GetObject", "object"}, {"s3:PutObject", "object"}, {"s3:ListBucket", "bucket"},
	{"s3:DeleteObject", "object"}, {"s3:PutBucketPolicy", "bucket"},
}

// maxPreviewObjects caps the object paths taken from the policies: the
// cost grows with principals × paths × statements, and a few paths already
// tell prefix-scoped statements apart.
const maxPreviewObjects = 6

// upload is one set of upload encryption headers.
type upload struct {
	sse, key string
	ssec     bool
}

func (u upload) label() string {
	switch {
	case u.ssec:
		return "with SSE-C"
	case u.sse == "":
		return "without encryption headers"
	case u.sse == "AES256":
		return "with SSE-S3 (AES256)"
	case u.key == "":
		return "with " + u.sse + " and no key id"
	}
	return "with " + u.sse + " key " + u.key
}

// bucketPreviewSet is the request classes of one preview.
type bucketPreviewSet struct {
	opt        BucketOptions
	principals []ReqPrincipal
	uploads    []upload
	objects    []string
	variants   []keyVariant
}

type keyVariant struct {
	key    string
	value  string // "" with absent
	absent bool
}

func (v keyVariant) label() string {
	if v.absent {
		return "without " + v.key
	}
	return "when " + v.key + " is " + v.value
}

// Keys the requests set themselves; their variants come from the
// principal classes and upload headers instead.
var previewOwnKeys = map[string]bool{
	"aws:securetransport": true, strings.ToLower(condSSE): true, strings.ToLower(condSSEKMSKeyID): true,
	strings.ToLower(condSSECustomerAlgorithm): true,
}

// newBucketPreviewSet derives the request classes from every document.
func newBucketPreviewSet(opt BucketOptions, docs ...*Document) *bucketPreviewSet {
	opt = opt.withDefaults()
	ps := &bucketPreviewSet{opt: opt}
	named := map[string]bool{}
	accounts := map[string]bool{opt.Account: true}
	for _, a := range opt.TrustedAccounts {
		accounts[a] = true
	}
	keyIDs := []string{}
	constants := map[string][]string{}
	var keyOrder []string
	objects := []string{opt.BucketARN() + "/some/key"}
	for _, d := range docs {
		if d == nil {
			continue
		}
		for _, s := range d.Statements {
			for _, pr := range []*Principal{s.Principal, s.NotPrincipal} {
				if pr == nil {
					continue
				}
				for _, e := range pr.Entries {
					for _, v := range e.Values.List {
						named[e.Type+"\x00"+v] = true
						if e.Type == "AWS" {
							if acct, ok := patternAccount(v); ok {
								accounts[acct] = true
							} else if isAccountID(v) {
								accounts[v] = true
							}
						}
					}
				}
			}
			if s.Resource != nil {
				for _, r := range s.Resource.List {
					if strings.HasPrefix(r, opt.BucketARN()+"/") && len(objects) < maxPreviewObjects {
						if o := representativeValue(r); !slices.Contains(objects, o) {
							objects = append(objects, o)
						}
					}
				}
			}
			if s.Condition == nil {
				continue
			}
			for _, b := range s.Condition.Blocks {
				if ParseOperator(b.Operator).Base == "Null" {
					// true/false are not values; the "other" and absent
					// variants cover what Null tests.
					for _, e := range b.Entries {
						if lk := strings.ToLower(e.Key); !previewOwnKeys[lk] {
							if _, ok := constants[lk]; !ok {
								constants[lk] = []string{}
								keyOrder = append(keyOrder, e.Key)
							}
						}
					}
					continue
				}
				for _, e := range b.Entries {
					lk := strings.ToLower(e.Key)
					if lk == strings.ToLower(condSSEKMSKeyID) {
						for _, v := range e.Values {
							if !slices.Contains(keyIDs, v.Text) && !hasWildcard(v.Text) {
								keyIDs = append(keyIDs, v.Text)
							}
						}
					}
					if previewOwnKeys[lk] {
						continue
					}
					if _, ok := constants[lk]; !ok {
						keyOrder = append(keyOrder, e.Key)
					}
					for _, v := range e.Values {
						if !slices.Contains(constants[lk], v.Text) {
							constants[lk] = append(constants[lk], v.Text)
						}
						if lk == "aws:principalarn" {
							named["AWS\x00"+v.Text] = true
						}
						if lk == "aws:principalaccount" || lk == "aws:sourceaccount" {
							accounts[v.Text] = true
						}
					}
				}
			}
		}
	}
	ps.objects = objects
	foreign := "210987654321"
	for n := 0; accounts[foreign]; n++ {
		foreign = strconv.Itoa(210987654300 + n)
	}
	org := opt.TrustedOrg
	if org == "" {
		org = "o-memberorg00"
	}
	member := "109876543210"
	for n := 0; accounts[member] || member == foreign; n++ {
		member = strconv.Itoa(109876543200 + n)
	}
	own := opt.Account
	part := opt.Partition
	iamARN := func(acct, res string) string { return "arn:" + part + ":iam::" + acct + ":" + res }
	ps.principals = []ReqPrincipal{
		{Kind: ReqAnonymous, Label: "anonymous", Public: true},
		{Kind: ReqAWS, Account: foreign, ARN: iamARN(foreign, "role/any"), Type: "AssumedRole", Label: "an arbitrary foreign account", Public: true},
		{Kind: ReqAWS, Account: own, ARN: iamARN(own, "root"), Type: "Account", Label: "own root", Own: true, OrgID: opt.TrustedOrg},
		{Kind: ReqAWS, Account: own, ARN: iamARN(own, "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"), Type: "AssumedRole", Label: "own SSO role", Own: true, OrgID: opt.TrustedOrg},
		{Kind: ReqAWS, Account: own, ARN: iamARN(own, "role/gcguard-preview-other-role"), Type: "AssumedRole", Label: "own other role", Own: true, OrgID: opt.TrustedOrg},
		{Kind: ReqAWS, Account: own, ARN: iamARN(own, "user/someone"), Type: "User", Label: "own IAM user", Own: true, OrgID: opt.TrustedOrg},
		{Kind: ReqAWS, Account: member, ARN: iamARN(member, "role/any"), Type: "AssumedRole", OrgID: org, Label: "an organization member"},
	}
	seen := map[string]bool{}
	for _, p := range ps.principals {
		seen[p.Kind+"\x00"+p.ARN] = true
	}
	add := func(p ReqPrincipal) {
		if k := p.Kind + "\x00" + p.ARN; !seen[k] {
			seen[k] = true
			ps.principals = append(ps.principals, p)
		}
	}
	names := make([]string, 0, len(named))
	for k := range named {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		typ, v, _ := strings.Cut(k, "\x00")
		switch typ {
		case "AWS":
			if v == "*" || isUniqueID(v) {
				continue
			}
			if isAccountID(v) {
				v = iamARN(v, "root")
			}
			_, svc, _, acct, res, ok := arnParts(v)
			if !ok || (svc != "iam" && svc != "sts") || !isAccountID(acct) {
				continue
			}
			ptype := "AssumedRole"
			switch {
			case res == "root":
				ptype = "Account"
			case strings.HasPrefix(res, "user/"):
				ptype = "User"
			}
			arn := representativeValue(v)
			add(ReqPrincipal{Kind: ReqAWS, Account: acct, ARN: arn, Type: ptype, Label: arn, Own: acct == own})
			if res == "root" {
				// An account principal grants to every principal of it.
				r := iamARN(acct, "role/any")
				add(ReqPrincipal{Kind: ReqAWS, Account: acct, ARN: r, Type: "AssumedRole", Label: r, Own: acct == own})
			}
		case "Service":
			if hasWildcard(v) {
				continue
			}
			add(ReqPrincipal{Kind: ReqService, Account: own, ARN: v, Type: "AWSService", Label: "service " + v})
		case "CanonicalUser":
			add(ReqPrincipal{Kind: ReqCanonical, ARN: v, Label: "canonical user " + v})
		case "Federated":
			add(ReqPrincipal{Kind: ReqFederated, ARN: v, Label: "federated " + v})
		}
	}
	ps.uploads = []upload{{}, {sse: "AES256"}, {sse: "aws:kms"}, {sse: "aws:kms:dsse"}, {ssec: true},
		{sse: "aws:kms", key: "arn:" + part + ":kms:" + orDefault(opt.Region, "ap-northeast-1") + ":" + foreign + ":key/00000000-0000-0000-0000-000000000000"}}
	for _, k := range []string{opt.KMSKeyARN, opt.BucketKeyARN} {
		if k == "" {
			continue
		}
		keyIDs = append(keyIDs, k)
		if _, id, ok := strings.Cut(k, ":key/"); ok {
			keyIDs = append(keyIDs, id)
		}
	}
	for _, k := range uniqKeepOrder(keyIDs) {
		ps.uploads = append(ps.uploads, upload{sse: "aws:kms", key: k})
	}
	for _, k := range keyOrder {
		lk := strings.ToLower(k)
		for _, c := range constants[lk] {
			ps.variants = append(ps.variants, keyVariant{key: k, value: representativeValue(c)})
		}
		other := "gcguard-preview-other"
		if strings.Contains(lk, "sourceip") {
			other = "192.0.2.77"
		}
		ps.variants = append(ps.variants, keyVariant{key: k, value: other}, keyVariant{key: k, absent: true})
	}
	return ps
}

func first(d BucketDecision, _ []int) BucketDecision { return d }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// previewRequest is one request of the set with its preview label parts.
type previewRequest struct {
	req       BucketRequest
	qualifier string // "" for the base request
	upload    *upload
}

// requests calls fn for every representative request: every principal
// and action over TLS (uploads with each set of encryption headers), the
// same without TLS, each condition-key variant, and each object path the
// policies name.
func (ps *bucketPreviewSet) requests(fn func(pr previewRequest)) {
	bucket := ps.opt.BucketARN()
	for _, p := range ps.principals {
		for _, a := range previewActions {
			resources := []string{bucket}
			if a.on == "object" {
				resources = ps.objects
			}
			for ri, res := range resources {
				base := BucketRequest{Principal: p, Action: a.action, Resource: res, TLS: true}
				insecure := base
				insecure.TLS = false
				fn(previewRequest{req: insecure, qualifier: "without TLS"})
				if a.action == "s3:PutObject" && ri == 0 {
					for _, u := range ps.uploads {
						r := base
						r.SSE, r.KMSKeyID, r.SSEC = u.sse, u.key, u.ssec
						u := u
						fn(previewRequest{req: r, qualifier: u.label(), upload: &u})
					}
				} else {
					fn(previewRequest{req: base})
				}
				if ri > 0 {
					continue
				}
				for _, v := range ps.variants {
					r := base
					if v.absent {
						r.Absent = []string{v.key}
					} else {
						r.Extra = Context{v.key: {v.value}}
					}
					r.Variant = v.label()
					fn(previewRequest{req: r, qualifier: r.Variant})
				}
			}
		}
	}
}

// effective is the preview's reading of a decision: own-account principals
// are allowed unless denied (their IAM policies may grant).
func effective(d BucketDecision, p ReqPrincipal) bool {
	if p.Own {
		return d != BucketDeny
	}
	return d == BucketAllow
}

// bucketMergeCheck is the preview of one merge and what stops it.
type bucketMergeCheck struct {
	preview BucketPreview
	// problems say, in the preview's words, why the merge may not be written.
	problems []string
	// noUpload names principals left without any permitted upload.
	noUpload []string
	// onlyUploads: every problem comes from gcguard's upload Denies.
	onlyUploads bool
}

// checkBucketMerge compares before and after over the same requests.
// stripped is before without the public grants the plan removes: a request
// it no longer allows was public. uploadDenied says whether gcguard's
// upload Denies deny an upload (those losses are the point of them).
// ownerOnly is before without gcguard's own statements: a request it
// allows that gcguard's removed statement denied is not a gain of the
// owner's policy (nil: every gain counts).
func checkBucketMerge(before, stripped, ownerOnly, after *Document, opt BucketOptions, uploadDenied func(upload) bool) bucketMergeCheck {
	ps := newBucketPreviewSet(opt, before, after)
	type group struct {
		label   string
		actions []string
	}
	lists := map[string][]*group{}
	index := map[string]*group{}
	note := func(list, principal, action, q string) {
		switch {
		case q == "without TLS":
			// One line for every request without TLS, naming who.
			principal, action, q = "requests without TLS", principal, ""
		case list == "keeps":
			q = "" // what is kept, per principal; the variants are in the detail
		}
		key := list + "\x00" + principal + "\x00" + q
		g := index[key]
		if g == nil {
			label := principal
			if q != "" {
				label += " (" + q + ")"
			}
			g = &group{label: label}
			index[key] = g
			lists[list] = append(lists[list], g)
		}
		if !slices.Contains(g.actions, action) {
			g.actions = append(g.actions, action)
		}
	}
	var c bucketMergeCheck
	uploadBefore := map[string]bool{}
	uploadAfter := map[string]bool{}
	var uploaders []string
	badLoss, badOther := false, false
	ps.requests(func(pr previewRequest) {
		r := pr.req
		ctx := r.context()
		bd, _ := evaluateBucket(before, r, ctx)
		ad, _ := evaluateBucket(after, r, ctx)
		b, a := effective(bd, r.Principal), effective(ad, r.Principal)
		p := r.Principal
		if r.Action == "s3:PutObject" && r.TLS && r.Variant == "" && !p.Public {
			// Who could upload other than through a public grant the
			// plan removes.
			if b && !uploadBefore[p.Label] && (stripped == before || effective(first(evaluateBucket(stripped, r, ctx)), p)) {
				uploadBefore[p.Label] = true
				uploaders = append(uploaders, p.Label)
			}
			if a {
				uploadAfter[p.Label] = true
			}
		}
		if !r.TLS && ad != BucketDeny {
			c.problems = append(c.problems, "still allows "+p.Label+" "+r.Action+" without TLS")
			badOther = true
		}
		if p.Kind == ReqAnonymous && r.TLS && r.Variant == "" && (pr.upload == nil || *pr.upload == upload{}) && ad == BucketAllow {
			c.problems = append(c.problems, "still allows anonymous "+r.Action)
			badOther = true
		}
		switch {
		case b && a:
			note("keeps", p.Label, r.Action, pr.qualifier)
		case !b && a:
			note("gains", p.Label, r.Action, pr.qualifier)
			if ownerOnly != nil {
				if od, _ := evaluateBucket(ownerOnly, r, ctx); effective(od, p) && !p.Public {
					break // only gcguard's own, no longer wanted, Deny refused it
				}
			}
			c.problems = append(c.problems, "gains: "+p.Label+" "+r.Action+" "+pr.qualifier)
			badOther = true
		case b && !a:
			note("loses", p.Label, r.Action, pr.qualifier)
			sd, _ := evaluateBucket(stripped, r, ctx)
			switch {
			case !r.TLS, p.Public, !effective(sd, p):
				// a violation: without TLS, or public
			case pr.upload != nil && uploadDenied(*pr.upload):
				// an upload gcguard's Denies exist to refuse; the upload
				// path check below decides whether one is left
			default:
				c.problems = append(c.problems, "would take away "+p.Label+" "+r.Action+" "+pr.qualifier)
				badLoss = true
			}
		}
	})
	for _, u := range uploaders {
		if !uploadAfter[u] {
			c.noUpload = append(c.noUpload, u)
		}
	}
	if len(c.noUpload) > 0 {
		c.problems = append(c.problems, "no permitted upload would be left for "+strings.Join(c.noUpload, ", "))
	}
	c.onlyUploads = len(c.noUpload) > 0 && !badLoss && !badOther
	for _, name := range []string{"loses", "keeps", "gains"} {
		out := []string{}
		for _, g := range lists[name] {
			out = append(out, g.label+": "+strings.Join(g.actions, ", "))
		}
		switch name {
		case "loses":
			c.preview.Loses = out
		case "keeps":
			c.preview.Keeps = out
		default:
			c.preview.Gains = out
		}
	}
	c.problems = uniqKeepOrder(c.problems)
	return c
}

// PreviewBucketChange previews any before/after pair of bucket policies
// over the same request classes (nil: no policy).
func PreviewBucketChange(before, after *Document, opt BucketOptions) BucketPreview {
	return checkBucketMerge(before, before, nil, after, opt, func(upload) bool { return false }).preview
}
