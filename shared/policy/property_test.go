package policy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// checkDocument asserts the properties every input must satisfy, whatever
// it is: no panic, stable minified round trip, a well-formed report, and
// for plans the properties of checkPlanProperties.
func checkDocument(t *testing.T, raw []byte) {
	t.Helper()
	doc, err := Parse(raw)
	if err != nil {
		return
	}
	min := Minify(doc)
	again, err := Parse(min)
	if err != nil {
		t.Fatalf("minified form does not parse: %v\n%s", err, min)
	}
	if string(Minify(again)) != string(min) {
		t.Fatalf("minify is not stable:\n%s\n%s", min, Minify(again))
	}
	if !json.Valid(min) {
		t.Fatalf("minified form is not valid JSON: %s", min)
	}

	r := AnalyzeTrust(doc, testOpt)
	if r.ExternalAccounts == nil || r.Findings == nil {
		t.Fatalf("report has null lists: %+v", r)
	}
	if !slices.IsSorted(r.ExternalAccounts) {
		t.Errorf("external accounts not sorted: %v", r.ExternalAccounts)
	}
	for _, a := range r.ExternalAccounts {
		if a == testOpt.Account || slices.Contains(testOpt.TrustedAccounts, a) {
			t.Errorf("own or trusted account %s reported external", a)
		}
	}
	if (len(r.Findings) == 0) && (r.Overbroad() || r.Unsure) {
		t.Errorf("verdict without findings: %+v", r)
	}

	p, err := PlanTrust(doc, testOpt, 1<<20)
	if err != nil {
		t.Fatalf("plan: %v\ninput: %s", err, min)
	}
	if (r.Unsure || !r.Overbroad()) && p.Changed {
		t.Errorf("plan rewrites a policy that is clean or unsure: %v", r.Findings)
	}
	if r.Overbroad() && !r.Unsure && !p.Changed && !p.ReportOnly {
		t.Errorf("plan leaves an overbroad policy unchanged without saying why: %v", r.Findings)
	}
	checkPlanProperties(t, doc, p, nil)
	if len(p.Preview.Gains) > 0 {
		t.Errorf("preview gains %v\ninput: %s", p.Preview.Gains, min)
	}
	if p.Changed {
		// The preview's own check, from the outside: over the requests of
		// both documents nobody gains, and the configured SSO roles that
		// could assume still can.
		out, err := Parse(p.Document)
		if err != nil {
			t.Fatalf("rewrite does not parse: %v", err)
		}
		rs := deriveRequests(testOpt.withDefaults(), doc, out)
		for i := range rs.reqs {
			b, a := Eval(doc, &rs.reqs[i]) == Allowed, Eval(out, &rs.reqs[i]) == Allowed
			c := &rs.classes[rs.reqClass[i]]
			if a && !b {
				t.Errorf("rewrite lets in %s %v", c.label, rs.reqs[i].Context)
			}
			if b && !a && c.kind == kAllowed {
				t.Errorf("rewrite locks out %s %v", c.label, rs.reqs[i].Context)
			}
		}
	}
}

// genPolicy builds a random trust policy from the building blocks the
// analysis cares about, in every written form.
func genPolicy(rng *rand.Rand) map[string]any {
	pick := func(xs ...any) any { return xs[rng.IntN(len(xs))] }
	awsValues := []any{"*", "111111111111", "arn:aws:iam::111111111111:root", "222222222222",
		"arn:aws:iam::999999999999:root", "arn:aws:iam::111111111111:role/deployer",
		"arn:aws:iam::999999999999:role/vendor", "arn:aws:iam::222222222222:role/ops",
		"arn:aws:iam::*:root", "AROAEXAMPLEUNIQUEID1",
		"arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_X_1"}
	conds := []any{
		map[string]any{"StringEquals": map[string]any{"sts:ExternalId": "ext-1"}},
		map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/deployer"}},
		map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/*"}},
		map[string]any{"ArnLikeIfExists": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/deployer"}},
		map[string]any{"ForAllValues:ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::111111111111:role/deployer"}},
		map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": pick("111111111111", "222222222222", "999999999999")}},
		map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": pick("o-trusted123", "o-other456")}},
		map[string]any{"StringLike": map[string]any{"aws:userid": pick("*:alice@lg.id.cloud.go.jp", "AROAEXAMPLEID1234567:*")}},
		map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalAccount": "999999999999"}},
		map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": true}},
		map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": "111111111111"}},
		map[string]any{"StringLike": map[string]any{"token.actions.githubusercontent.com:sub": pick("repo:my-org/app:*", "*")}},
		map[string]any{"StringEquals": map[string]any{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
		map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalOrgID": "o-trusted123"}},
		map[string]any{"StringLike": map[string]any{"aws:PrincipalOrgID": "o-*"}},
		map[string]any{"StringEquals": map[string]any{"aws:username": "alice"}},
		map[string]any{"StringNotLike": map[string]any{"aws:Referer": "https://example.jp/*"}},
		map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": []any{"arn:aws:iam::*:role/ci-deployer", "arn:aws:iam::999999999999:role/vendor"}}},
		map[string]any{"StringEquals": map[string]any{"token.actions.githubusercontent.com:sub": pick("environment:prod", "repository_owner:my-org")}},
	}
	principal := func() any {
		switch rng.IntN(6) {
		case 0:
			return "*"
		case 1:
			return map[string]any{"Service": pick("lambda.amazonaws.com", []any{"ec2.amazonaws.com", "events.amazonaws.com"})}
		case 2:
			return map[string]any{"Federated": pick("arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
				"cognito-identity.amazonaws.com", "arn:aws:iam::111111111111:saml-provider/idp")}
		default:
			n := 1 + rng.IntN(3)
			var vs []any
			for range n {
				vs = append(vs, awsValues[rng.IntN(len(awsValues))])
			}
			if n == 1 && rng.IntN(2) == 0 {
				return map[string]any{"AWS": vs[0]}
			}
			m := map[string]any{"AWS": vs}
			if rng.IntN(4) == 0 {
				m["Service"] = "lambda.amazonaws.com"
			}
			return m
		}
	}
	var stmts []any
	for range 1 + rng.IntN(3) {
		s := map[string]any{"Effect": "Allow"}
		if rng.IntN(8) == 0 {
			s["Effect"] = "Deny"
		}
		if rng.IntN(10) == 0 {
			s["NotPrincipal"] = map[string]any{"AWS": pick("arn:aws:iam::999999999999:root", "arn:aws:iam::111111111111:role/deployer")}
		} else {
			s["Principal"] = principal()
		}
		s["Action"] = pick("sts:AssumeRole", []any{"sts:AssumeRole", "sts:TagSession"}, "sts:AssumeRoleWithWebIdentity", "sts:*")
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
			s["Sid"] = pick("A", "B", "Admins")
		}
		stmts = append(stmts, s)
	}
	d := map[string]any{"Statement": stmts}
	if rng.IntN(5) != 0 {
		d["Version"] = pick("2012-10-17", "2008-10-17")
	}
	return d
}

func TestGeneratedPolicies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		raw, err := json.Marshal(genPolicy(rng))
		if err != nil {
			t.Fatal(err)
		}
		ok := t.Run("", func(t *testing.T) { checkDocument(t, raw) })
		if !ok {
			t.Fatalf("generated policy %d failed: %s", i, raw)
		}
	}
}

func addSeeds(f *testing.F) {
	for _, file := range caseFiles(f) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`"{\"Statement\":[]}"`))
	f.Add([]byte(`%7B%22Statement%22%3A%5B%5D%7D`))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalArn":["a",1,true]}}}}`))
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		min := Minify(doc)
		again, err := Parse(min)
		if err != nil {
			t.Fatalf("minified form does not parse: %v\n%s", err, min)
		}
		if string(Minify(again)) != string(min) {
			t.Fatalf("minify is not stable")
		}
		_ = ValidateTrust(raw)
	})
}

func FuzzAnalyzeTrust(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		r := AnalyzeTrust(doc, testOpt)
		if r.ExternalAccounts == nil || r.Findings == nil || !slices.IsSorted(r.ExternalAccounts) {
			t.Fatalf("malformed report %+v", r)
		}
		// The evaluator over the document's own requests: a request a
		// Deny-free copy denies, the document denies too.
		allows := doc.Clone()
		allows.Statements = slices.DeleteFunc(allows.Statements, func(s *Statement) bool { return s.Effect == "Deny" })
		rs := deriveRequests(testOpt.withDefaults(), doc)
		for i := range rs.reqs {
			if Eval(doc, &rs.reqs[i]) == Allowed && Eval(allows, &rs.reqs[i]) != Allowed {
				t.Fatalf("a Deny statement granted access to %s", rs.classes[rs.reqClass[i]].label)
			}
		}
	})
}

func FuzzPlanTrust(f *testing.F) {
	addSeeds(f)
	f.Fuzz(checkDocument)
}
