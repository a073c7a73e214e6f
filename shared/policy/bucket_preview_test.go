package policy

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

const (
	ownCMK    = "arn:aws:kms:ap-northeast-1:111111111111:key/0f0e0d0c-aaaa-bbbb-cccc-000000000001"
	ownCMKID  = "0f0e0d0c-aaaa-bbbb-cccc-000000000001"
	bucketObj = "arn:aws:s3:::gcguard-test-bucket/*"
)

func mustParse(t testing.TB, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func put(p ReqPrincipal, sse, key string) BucketRequest {
	return BucketRequest{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::gcguard-test-bucket/k", TLS: true, SSE: sse, KMSKeyID: key}
}

var (
	ownRole = ReqPrincipal{Kind: ReqAWS, Account: "111111111111", ARN: "arn:aws:iam::111111111111:role/app", Type: "AssumedRole", Label: "own role", Own: true}
)

// effectiveUpload reports whether some upload over TLS is left for p.
func uploadPathLeft(doc *Document, p ReqPrincipal, keys ...string) bool {
	for _, u := range []struct{ sse, key string }{{"", ""}, {"AES256", ""}, {"aws:kms", ""}} {
		if effective(EvaluateBucketRequest(doc, put(p, u.sse, u.key)), p) {
			return true
		}
	}
	for _, k := range keys {
		if effective(EvaluateBucketRequest(doc, put(p, "aws:kms", k)), p) {
			return true
		}
	}
	return false
}

// #5: the owner's own upload Denies combined with gcguard's must leave an
// upload path, or the upload Denies are held.
func TestBucketMergeKeepsUploadPath(t *testing.T) {
	aes256Only := `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyAES256","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"` + bucketObj + `","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}`
	myKeyOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyMyKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"` + bucketObj + `","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"` + ownCMK + `"}}}]}`
	cases := []struct {
		name       string
		doc        string
		bucketKey  string
		wantUpload bool   // gcguard's upload Denies are written
		wantHeld   string // substring of Held, "" for none
		wantKey    string // the key the other-key Deny names
	}{
		{"owner requires AES256: upload Denies held, TLS Deny written", aes256Only, "", false, "no permitted upload", ""},
		{"owner requires its key, not known compliant: upload Denies held", myKeyOnly, "", false, "no permitted upload", ""},
		{"owner requires its compliant key: the other-key Deny names it", myKeyOnly, ownCMK, true, "", ownCMK},
		{"no owner Deny: every Deny written", `{"Version":"2012-10-17","Statement":[]}`, "", true, "", simKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := bucketOpt
			opt.BucketKeyARN = c.bucketKey
			doc := mustParse(t, c.doc)
			p, err := PlanBucketPolicy(doc, opt)
			if err != nil || !p.Changed {
				t.Fatalf("plan: %+v %v", p, err)
			}
			out := mustParse(t, string(p.Document))
			hasUpload := false
			for _, s := range out.Statements {
				if b, ok := gcguardStatementBase(s, opt); ok && isUploadDenySid(b) {
					hasUpload = true
				}
				if s.Sid == SidDenyOtherKMSKey && otherKeyOf(s) != c.wantKey {
					t.Errorf("other-key Deny names %s, want %s", otherKeyOf(s), c.wantKey)
				}
			}
			if hasUpload != c.wantUpload {
				t.Errorf("upload Denies written = %v, want %v; held %v", hasUpload, c.wantUpload, p.Held)
			}
			if c.wantHeld != "" && !strings.Contains(strings.Join(p.Held, ";"), c.wantHeld) {
				t.Errorf("held %v, want %q", p.Held, c.wantHeld)
			}
			if !uploadPathLeft(out, ownRole, ownCMK, ownCMKID, simKey) {
				t.Errorf("the own role has no upload left:\n%s", Indent(out))
			}
			if EvaluateBucketRequest(out, BucketRequest{Principal: ownRole, Action: "s3:GetObject", Resource: "arn:aws:s3:::gcguard-test-bucket/k"}) != BucketDeny {
				t.Errorf("a request without TLS is not denied")
			}
			checkBucketPlan(t, doc, opt, p, err)
		})
	}
}

// The preview words what a merge does.
func TestBucketPreviewWords(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"`+bucketObj+`"},{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"s3:GetObject","Resource":"`+bucketObj+`"}]}`)
	p, err := PlanBucketPolicy(doc, bucketOpt)
	if err != nil || !p.Changed {
		t.Fatalf("plan: %+v %v", p, err)
	}
	s := p.Preview.String()
	for _, want := range []string{"loses: ", "anonymous: s3:GetObject", "requests without TLS", "keeps: ", "arn:aws:iam::111111111111:role/app: s3:GetObject"} {
		if !strings.Contains(s, want) {
			t.Errorf("preview lacks %q:\n%s", want, strings.ReplaceAll(s, ", ", ",\n"))
		}
	}
	if len(p.Preview.Gains) != 0 {
		t.Errorf("gains: %v", p.Preview.Gains)
	}
	if strings.Contains(strings.Join(p.Preview.Loses, ";"), "role/app: s3:GetObject") {
		t.Errorf("the named role loses its read: %v", p.Preview.Loses)
	}
}

// A merge that would take access from a compliant principal is refused in
// the preview's words: here the owner's Deny narrows a public grant, which
// the analysis calls unsure, and a Deny gcguard does not own is never
// removed, so the only way to lose is through gcguard's own statements.
func TestBucketPreviewRefusesLoss(t *testing.T) {
	before := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:role/partner"},"Action":"s3:PutObject","Resource":"`+bucketObj+`"}]}`)
	after := before.Clone()
	after.Statements = append(after.Statements, GcguardBucketStatements(bucketOpt)...)
	c := checkBucketMerge(before, before, before, after, bucketOpt, func(upload) bool { return false })
	if len(c.problems) == 0 || !strings.Contains(strings.Join(c.problems, ";"), "would take away arn:aws:iam::999999999999:role/partner s3:PutObject") {
		t.Errorf("problems %v", c.problems)
	}
}

// #6: orphaned unique IDs go, with a Change line; ValidateBucket refuses them.
func TestBucketOrphanedIDs(t *testing.T) {
	cases := []struct {
		name, doc  string
		wantChange string
		keptSid    string
	}{
		{"role ID beside a live role", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["AROAEXAMPLEDELETED12","arn:aws:iam::111111111111:role/app"]},"Action":"s3:GetObject","Resource":"` + bucketObj + `"}]}`, "dropped orphaned unique ID AROAEXAMPLEDELETED12", "A"},
		{"user ID alone", `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Principal":{"AWS":"AIDAEXAMPLEDELETED12"},"Action":"s3:GetObject","Resource":"` + bucketObj + `"}]}`, "dropped statement 0 (B): no principal left", ""},
		{"in a Deny", `{"Version":"2012-10-17","Statement":[{"Sid":"C","Effect":"Deny","Principal":{"AWS":["AIDAEXAMPLEDELETED12","arn:aws:iam::111111111111:user/x"]},"Action":"s3:DeleteObject","Resource":"` + bucketObj + `"}]}`, "dropped orphaned unique ID AIDAEXAMPLEDELETED12", "C"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ValidateBucket([]byte(c.doc)); err == nil || !strings.Contains(err.Error(), "unique ID") {
				t.Errorf("ValidateBucket accepted an orphaned ID: %v", err)
			}
			doc := mustParse(t, c.doc)
			p, err := PlanBucketPolicy(doc, bucketOpt)
			if err != nil || !p.Changed || !strings.Contains(strings.Join(p.Changes, ";"), c.wantChange) {
				t.Fatalf("plan: changed=%v changes=%v err=%v reason=%s", p.Changed, p.Changes, err, p.Reason)
			}
			if err := ValidateBucket(p.Document); err != nil {
				t.Errorf("merged policy invalid: %v", err)
			}
			out := mustParse(t, string(p.Document))
			if c.keptSid != "" && out.StatementBySid(c.keptSid) < 0 {
				t.Errorf("statement %s lost", c.keptSid)
			}
			checkBucketPlan(t, doc, bucketOpt, p, err)
		})
	}
}

// #7: a statement under a Gcguard Sid is gcguard's only when it is exactly
// gcguard's; the owner's stays untouched, gcguard's goes under the next
// free Sid, and a second run writes nothing.
func TestBucketReservedSids(t *testing.T) {
	ownerAllowSSEC := `{"Sid":"GcguardDenySSEC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/app"},"Action":"s3:GetObject","Resource":"` + bucketObj + `"}`
	ownerTLSVersion := `{"Sid":"GcguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::gcguard-test-bucket","` + bucketObj + `"],"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}`
	cases := []struct {
		name, stmt, sid, newSid string
	}{
		{"an owner Allow under GcguardDenySSEC stays", ownerAllowSSEC, SidDenyCustomerKeys, SidDenyCustomerKeys + "2"},
		{"an owner TLS-version Deny under GcguardDenyInsecureTransport stays", ownerTLSVersion, SidDenyInsecureTransport, SidDenyInsecureTransport + "2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := `{"Version":"2012-10-17","Statement":[` + c.stmt + `]}`
			doc := mustParse(t, raw)
			r := AnalyzeBucket(doc, bucketOpt)
			found := false
			for _, f := range r.Findings {
				found = found || (f.Code == BucketKindReservedSid && f.Sid == c.sid)
			}
			if !found {
				t.Errorf("no reserved-Sid finding: %v", r.Findings)
			}
			p, err := PlanBucketPolicy(doc, bucketOpt)
			if err != nil || !p.Changed {
				t.Fatalf("plan: %+v %v", p, err)
			}
			out := mustParse(t, string(p.Document))
			if i := out.StatementBySid(c.sid); i < 0 || string(out.Statements[i].appendJSON(nil)) != string(doc.Statements[0].appendJSON(nil)) {
				t.Errorf("the owner's statement under %s changed or went", c.sid)
			}
			if i := out.StatementBySid(c.newSid); i < 0 || !IsGcguardBucketStatement(out.Statements[i], bucketOpt) {
				t.Errorf("gcguard's statement is not under %s", c.newSid)
			}
			again, err := PlanBucketPolicy(out, bucketOpt)
			if err != nil || again.Changed || len(again.Changes) > 0 {
				t.Errorf("second run: %+v %v", again.Changes, err)
			}
		})
	}
}

// Property: over generated policies, every written merge gains nothing,
// keeps every compliant allowed request, leaves every uploader an upload
// path and is idempotent (checkBucketMerge's verdict re-checked from
// outside with EvaluateBucketRequest).
func TestBucketPreviewProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	for i := 0; i < 300; i++ {
		raw, err := json.Marshal(genBucketPolicy(rng))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Parse(raw)
		if err != nil {
			continue
		}
		p, err := PlanBucketPolicy(doc, bucketOpt)
		if err != nil {
			t.Fatalf("plan: %v\n%s", err, raw)
		}
		if !p.Changed {
			continue
		}
		out := mustParse(t, string(p.Document))
		if len(p.Preview.Gains) != 0 && !strings.Contains(strings.Join(p.Changes, ";"), "no longer asks for") {
			t.Errorf("a written merge gains %v\n%s", p.Preview.Gains, raw)
		}
		ps := newBucketPreviewSet(bucketOpt, doc, out)
		owner := ownerStatements(doc, bucketOpt)
		ps.requests(func(pr previewRequest) {
			r := pr.req
			b := effective(EvaluateBucketRequest(doc, r), r.Principal) || effective(EvaluateBucketRequest(owner, r), r.Principal)
			a := effective(EvaluateBucketRequest(out, r), r.Principal)
			if !b && a && !r.Principal.Public {
				t.Errorf("policy %d: %s %s (%s) gains access\n%s", i, r.Principal.Label, r.Action, pr.qualifier, raw)
			}
			if !r.TLS && EvaluateBucketRequest(out, r) != BucketDeny {
				t.Errorf("policy %d: %s %s without TLS not denied", i, r.Principal.Label, r.Action)
			}
		})
		for _, pr := range ps.principals {
			if pr.Public || !uploadPathLeft(doc, pr, simKey) {
				continue
			}
			if !uploadPathLeft(out, pr, simKey, simKeyID()) && !uploadPathLeftViaPublicOnly(doc, pr) {
				t.Errorf("policy %d: %s lost every upload\n%s", i, pr.Label, raw)
			}
		}
		again, err := PlanBucketPolicy(out, bucketOpt)
		if err != nil || again.Changed {
			t.Errorf("policy %d: not idempotent: %v %v", i, again.Changes, err)
		}
		if t.Failed() {
			return
		}
	}
}

func simKeyID() string { _, id, _ := strings.Cut(simKey, ":key/"); return id }

// uploadPathLeftViaPublicOnly: the principal could upload only through a
// public grant, which the plan removes.
func uploadPathLeftViaPublicOnly(doc *Document, p ReqPrincipal) bool {
	a := analyzeBucket(doc, bucketOpt)
	c := doc.Clone()
	var kept []*Statement
	for i, s := range c.Statements {
		if a.stmts[i].public > 0 {
			continue
		}
		kept = append(kept, s)
	}
	c.Statements = kept
	return !uploadPathLeft(c, p, simKey)
}

// FuzzBucketPreview drives the evaluator and the preview with arbitrary
// policies: no panic, and every written merge gains nothing for anyone
// but the public classes and denies every request without TLS.
func FuzzBucketPreview(f *testing.F) {
	addBucketSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		p, err := PlanBucketPolicy(doc, bucketOpt)
		if err != nil || !p.Changed {
			return
		}
		out, err := Parse(p.Document)
		if err != nil {
			t.Fatalf("merged policy does not parse: %v", err)
		}
		owner := ownerStatements(doc, bucketOpt)
		newBucketPreviewSet(bucketOpt, doc, out).requests(func(pr previewRequest) {
			r := pr.req
			// A gain over the owner's own statements, not over gcguard's
			// earlier version of its own (an old key), is a widening.
			before := effective(EvaluateBucketRequest(doc, r), r.Principal) || effective(EvaluateBucketRequest(owner, r), r.Principal)
			if !before && effective(EvaluateBucketRequest(out, r), r.Principal) && !r.Principal.Public {
				t.Errorf("%s %s (%s) gains access", r.Principal.Label, r.Action, pr.qualifier)
			}
			if !r.TLS && EvaluateBucketRequest(out, r) != BucketDeny {
				t.Errorf("%s %s without TLS is not denied", r.Principal.Label, r.Action)
			}
		})
	})
}

// #8: a log-delivery bucket gets the TLS Deny and loses public grants, but
// no upload Deny; CloudTrail and Config delivery count as log delivery.
func TestBucketLogDeliveryScope(t *testing.T) {
	pub := `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + bucketObj + `"}`
	for _, c := range []struct{ name, stmt string }{
		{"CloudTrail", `{"Sid":"Trail","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::gcguard-test-bucket/AWSLogs/111111111111/*","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111","s3:x-amz-acl":"bucket-owner-full-control"}}}`},
		{"Config", `{"Sid":"Config","Effect":"Allow","Principal":{"Service":"config.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::gcguard-test-bucket/AWSLogs/111111111111/Config/*","Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"}}}`},
		{"S3 server access logs", `{"Sid":"S3Logs","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::gcguard-test-bucket/logs/*"}`},
		{"ALB account", `{"Sid":"ALB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::582318560864:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::gcguard-test-bucket/AWSLogs/*"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := mustParse(t, `{"Version":"2012-10-17","Statement":[`+c.stmt+`,`+pub+`]}`)
			r := AnalyzeBucket(doc, bucketOpt)
			if !r.LogDelivery || !r.Public {
				t.Fatalf("report: log=%v public=%v %v", r.LogDelivery, r.Public, r.Findings)
			}
			p, err := PlanBucketPolicy(doc, bucketOpt)
			if err != nil || !p.Changed || p.ReportOnly {
				t.Fatalf("plan: %+v %v", p, err)
			}
			out := mustParse(t, string(p.Document))
			var sids []string
			for _, s := range out.Statements {
				sids = append(sids, s.Sid)
			}
			if want := []string{doc.Statements[0].Sid, SidDenyInsecureTransport}; strings.Join(sids, ",") != strings.Join(want, ",") {
				t.Errorf("sids %v, want %v", sids, want)
			}
			if !strings.Contains(strings.Join(p.Held, ";"), "log-delivery") {
				t.Errorf("held %v", p.Held)
			}
			checkBucketPlan(t, doc, bucketOpt, p, err)
		})
	}
}
