package policy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/gcguard/gcguard/shared/finding"
)

// checkBucketDocument asserts what every input must satisfy, whatever it
// is: no panic, a well-formed report, no plan error, no rewrite of unsure
// or log-delivery policies, and for rewrites checkBucketPlan's properties.
func checkBucketDocument(t *testing.T, raw []byte) {
	t.Helper()
	doc, err := Parse(raw)
	if err != nil {
		return
	}
	r := AnalyzeBucket(doc, bucketOpt)
	if r.ExternalAccounts == nil || r.Findings == nil {
		t.Fatalf("report has null lists: %+v", r)
	}
	if !slices.IsSorted(r.ExternalAccounts) {
		t.Errorf("external accounts not sorted: %v", r.ExternalAccounts)
	}
	for _, a := range r.ExternalAccounts {
		if a == bucketOpt.Account || slices.Contains(bucketOpt.TrustedAccounts, a) {
			t.Errorf("own or trusted account %s reported external", a)
		}
	}
	if (r.Public || r.Unsure || r.OrgWide || r.LogDelivery || len(r.ExternalAccounts) > 0 || !r.DeniesInsecureTransport) && len(r.Findings) == 0 {
		t.Errorf("verdict without findings: %+v", r)
	}
	p, err := PlanBucketPolicy(doc, bucketOpt)
	if err != nil {
		t.Fatalf("plan: %v\ninput: %s", err, Minify(doc))
	}
	if r.Unsure && (p.Changed || !p.ReportOnly) {
		t.Errorf("an unsure policy is not report-only: %+v", p)
	}
	if r.LogDelivery && p.Changed {
		// Log delivery: TLS Deny and public removal only, no upload Denies.
		out, _ := Parse(p.Document)
		for _, s := range out.Statements {
			if base, ok := gcguardStatementBase(s, bucketOpt); ok && isUploadDenySid(base) {
				t.Errorf("a log-delivery bucket got gcguard's upload Deny %s", s.Sid)
			}
		}
	}
	if !r.Unsure && !p.Changed && !p.ReportOnly && (r.Public || !r.DeniesInsecureTransport) {
		t.Errorf("plan leaves a public or TLS-less policy unchanged without saying why: %v", r.Findings)
	}
	checkBucketPlan(t, doc, bucketOpt, p, nil)
}

// genBucketPolicy builds a random bucket policy from the building blocks
// the analysis cares about, in every written form.
func genBucketPolicy(rng *rand.Rand) map[string]any {
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	b := "arn:aws:s3:::gcguard-test-bucket"
	awsValues := []any{"*", "111111111111", "arn:aws:iam::111111111111:root", "222222222222",
		"arn:aws:iam::999999999999:root", "arn:aws:iam::111111111111:role/app",
		"arn:aws:iam::999999999999:role/vendor", "arn:aws:iam::*:root", "AROAEXAMPLEUNIQUEID1",
		"arn:aws:iam::582318560864:root",
		"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE"}
	conds := []any{
		map[string]any{"IpAddress": map[string]any{"aws:SourceIp": pick("203.0.113.0/24", "0.0.0.0/0", []any{"10.0.0.0/8", "192.0.2.1"})}},
		map[string]any{"NotIpAddress": map[string]any{"aws:SourceIp": "203.0.113.0/24"}},
		map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": pick("vpce-1a2b3c4d", "vpce-*")}},
		map[string]any{"StringEqualsIfExists": map[string]any{"aws:SourceVpce": "vpce-1a2b3c4d"}},
		map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": "vpce-1a2b3c4d"}},
		map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": pick("o-trusted123", "o-other456")}},
		map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": pick("111111111111", "999999999999")}},
		map[string]any{"ArnLike": map[string]any{"aws:SourceArn": pick("arn:aws:cloudfront::111111111111:distribution/E1", "arn:aws:cloudfront::111111111111:distribution/*")}},
		map[string]any{"StringLike": map[string]any{"aws:userid": pick("AROAEXAMPLEID1234567:*", "AIDAEXAMPLEUSERID123")}},
		map[string]any{"ForAllValues:StringEquals": map[string]any{"aws:SourceVpc": "vpc-1"}},
		map[string]any{"Bool": map[string]any{"aws:SecureTransport": pick("false", false, "true")}},
		map[string]any{"Null": map[string]any{"s3:x-amz-server-side-encryption": pick("true", "false")}},
		map[string]any{"StringNotEquals": map[string]any{"s3:x-amz-server-side-encryption": "aws:kms"}},
		map[string]any{"StringEquals": map[string]any{"s3:x-amz-server-side-encryption-aws-kms-key-id": simKey}},
	}
	principal := func() any {
		switch rng.IntN(6) {
		case 0:
			return "*"
		case 1:
			return map[string]any{"Service": pick("cloudfront.amazonaws.com", "cloudtrail.amazonaws.com", "logging.s3.amazonaws.com", "*")}
		case 2:
			return map[string]any{"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}
		default:
			n := 1 + rng.IntN(3)
			var vs []any
			for range n {
				vs = append(vs, awsValues[rng.IntN(len(awsValues))])
			}
			if n == 1 && rng.IntN(2) == 0 {
				return map[string]any{"AWS": vs[0]}
			}
			return map[string]any{"AWS": vs}
		}
	}
	var stmts []any
	for range 1 + rng.IntN(4) {
		s := map[string]any{"Effect": "Allow"}
		if rng.IntN(4) == 0 {
			s["Effect"] = "Deny"
		}
		if rng.IntN(10) == 0 {
			s["NotPrincipal"] = map[string]any{"AWS": "arn:aws:iam::111111111111:role/app"}
		} else {
			s["Principal"] = principal()
		}
		s["Action"] = pick("s3:GetObject", []any{"s3:GetObject", "s3:PutObject"}, "s3:*", "*", "s3:ListBucket", []any{"s3:Get*", "s3:List*"})
		s["Resource"] = pick(b+"/*", []any{b, b + "/*"}, b, "arn:aws:s3:::gcguard-test-*", b+"/AWSLogs/*")
		if rng.IntN(2) == 0 {
			c := map[string]any{}
			for range 1 + rng.IntN(2) {
				for op, v := range conds[rng.IntN(len(conds))].(map[string]any) {
					c[op] = v
				}
			}
			s["Condition"] = c
		}
		if rng.IntN(3) == 0 {
			s["Sid"] = pick("A", "B", "PublicRead", SidDenyInsecureTransport, SidDenyOtherKMSKey)
		}
		stmts = append(stmts, s)
	}
	d := map[string]any{"Statement": stmts}
	if rng.IntN(5) != 0 {
		d["Version"] = pick("2012-10-17", "2008-10-17")
	}
	return d
}

func TestGeneratedBucketPolicies(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1500
	if testing.Short() {
		n = 150
	}
	for i := range n {
		raw, err := json.Marshal(genBucketPolicy(rng))
		if err != nil {
			t.Fatal(err)
		}
		if !t.Run("", func(t *testing.T) { checkBucketDocument(t, raw) }) {
			t.Fatalf("generated bucket policy %d failed: %s", i, raw)
		}
	}
}

func addBucketSeeds(f *testing.F) {
	for _, file := range bucketCaseFiles(f) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		raw, _ := json.Marshal(genBucketPolicy(rng))
		f.Add(raw)
	}
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::gcguard-test-bucket/*"}}`))
	f.Add([]byte(`{"Version":"2012-10-17"}`))
}

func FuzzAnalyzeBucket(f *testing.F) {
	addBucketSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		r := AnalyzeBucket(doc, bucketOpt)
		if r.ExternalAccounts == nil || r.Findings == nil || !slices.IsSorted(r.ExternalAccounts) {
			t.Fatalf("malformed report %+v", r)
		}
		if r.DeniesInsecureTransport == slices.ContainsFunc(r.Findings, func(f_ finding.Finding) bool { return f_.Code == "bucket_policy_missing_tls_deny" }) {
			t.Fatalf("denies_insecure_transport disagrees with the findings: %+v", r)
		}
	})
}

func FuzzPlanBucketPolicy(f *testing.F) {
	addBucketSeeds(f)
	f.Fuzz(checkBucketDocument)
}
