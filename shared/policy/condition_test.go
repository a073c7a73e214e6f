package policy

import "testing"

func cond(t *testing.T, js string) *Condition {
	t.Helper()
	d, err := Parse([]byte(`{"Statement":[{"Condition":` + js + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return d.Statements[0].Condition
}

func TestEvaluate(t *testing.T) {
	ctx := Context{
		"aws:PrincipalArn":       {"arn:aws:iam::111111111111:role/app-web"},
		"aws:userid":             {"AROAEXAMPLE:alice@lg.id.cloud.go.jp"},
		"aws:MultiFactorAuthAge": {"120"},
		"aws:CurrentTime":        {"2025-06-01T00:00:00Z"},
		"aws:SecureTransport":    {"true"},
		"aws:SourceIp":           {"203.0.113.7"},
		"aws:TagKeys":            {"team", "env"},
		"aws:RequestTag/blob":    {"QmluYXJ5"},
		"aws:username":           {"app-web"},
	}
	cases := []struct {
		name    string
		cond    string
		version string
		want    bool
	}{
		{"StringEquals", `{"StringEquals":{"aws:userid":"AROAEXAMPLE:alice@lg.id.cloud.go.jp"}}`, "", true},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:userid":"*:alice@lg.id.cloud.go.jp"}}`, "", false},
		{"StringLike wildcard", `{"StringLike":{"aws:userid":"*:alice@lg.id.cloud.go.jp"}}`, "", true},
		{"StringLike ?", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/app-we?"}}`, "", true},
		{"StringNotLike", `{"StringNotLike":{"aws:userid":"*:bob@*"}}`, "", true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:userid":"aroaexample:ALICE@lg.id.cloud.go.jp"}}`, "", true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:userid":"AROAEXAMPLE:ALICE@LG.ID.CLOUD.GO.JP"}}`, "", false},
		{"case-insensitive key", `{"StringEquals":{"AWS:USERID":"AROAEXAMPLE:alice@lg.id.cloud.go.jp"}}`, "", true},
		{"case-insensitive operator", `{"stringequals":{"aws:userid":"AROAEXAMPLE:alice@lg.id.cloud.go.jp"}}`, "", true},
		{"values OR", `{"StringEquals":{"aws:username":["x","app-web"]}}`, "", true},
		{"keys AND", `{"StringEquals":{"aws:username":"app-web","aws:SecureTransport":"false"}}`, "", false},
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/app-*"}}`, "", true},
		{"ArnEquals wildcard", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/*"}}`, "", true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/app-*"}}`, "", false},
		{"NumericLessThan", `{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}`, "", true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"121"}}`, "", false},
		{"NumericNotEquals", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":120}}`, "", false},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, "", true},
		{"DateLessThan epoch", `{"DateLessThan":{"aws:CurrentTime":"1700000000"}}`, "", false},
		{"Bool true", `{"Bool":{"aws:SecureTransport":true}}`, "", true},
		{"Bool string false", `{"Bool":{"aws:SecureTransport":"false"}}`, "", false},
		{"IpAddress", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, "", true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}`, "", false},
		{"BinaryEquals", `{"BinaryEquals":{"aws:RequestTag/blob":"QmluYXJ5"}}`, "", true},
		{"Null true on missing", `{"Null":{"sts:ExternalId":"true"}}`, "", true},
		{"Null false on missing", `{"Null":{"sts:ExternalId":"false"}}`, "", false},
		{"missing key fails", `{"StringEquals":{"sts:ExternalId":"x"}}`, "", false},
		{"missing key negated passes", `{"StringNotEquals":{"sts:ExternalId":"x"}}`, "", true},
		{"IfExists on missing", `{"StringEqualsIfExists":{"sts:ExternalId":"x"}}`, "", true},
		{"IfExists on present", `{"StringEqualsIfExists":{"aws:username":"other"}}`, "", false},
		{"ForAllValues vacuous", `{"ForAllValues:StringEquals":{"sts:ExternalId":"x"}}`, "", true},
		{"ForAllValues all", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env","x"]}}`, "", true},
		{"ForAllValues not all", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}`, "", false},
		{"ForAnyValue missing", `{"ForAnyValue:StringEquals":{"sts:ExternalId":"x"}}`, "", false},
		{"ForAnyValue one", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`, "", true},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team","env"]}}`, "", false},
		{"variable 2012", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/${aws:username}"}}`, Version2012, true},
		{"variable 2008 literal", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/${aws:username}"}}`, Version2008, false},
		{"variable missing", `{"StringEquals":{"aws:username":"${aws:nosuch}"}}`, Version2012, false},
		{"variable default", `{"StringEquals":{"aws:username":"${aws:nosuch, 'app-web'}"}}`, Version2012, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Evaluate(cond(t, c.cond), ctx, c.version)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	if _, err := Evaluate(cond(t, `{"StringFancy":{"a":"b"}}`), ctx, ""); err == nil {
		t.Error("unknown operator evaluated without error")
	}
}

func TestParseOperator(t *testing.T) {
	for in, want := range map[string]Operator{
		"ForAnyValue:StringLikeIfExists": {Raw: "ForAnyValue:StringLikeIfExists", Set: "ForAnyValue", Base: "StringLike", IfExists: true},
		"forallvalues:arnequals":         {Raw: "forallvalues:arnequals", Set: "ForAllValues", Base: "ArnEquals"},
		"NullIfExists":                   {Raw: "NullIfExists"},
		"Foo:StringEquals":               {Raw: "Foo:StringEquals"},
		"IfExists":                       {Raw: "IfExists"},
	} {
		if got := ParseOperator(in); got != want {
			t.Errorf("%s: got %+v want %+v", in, got, want)
		}
	}
}

func TestGlobs(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*", "", true},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"", "", true}, {"", "a", false},
	} {
		if got := globMatch(c.p, c.s, false); got != c.want {
			t.Errorf("globMatch(%q,%q)=%v", c.p, c.s, got)
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"arn:aws:iam::1:role/*", "arn:aws:iam::1:role/aws-reserved/*", true},
		{"arn:aws:iam::1:role/x", "arn:aws:iam::2:role/*", false},
		{"a*", "*b", true}, {"a?c", "ab?", true}, {"ab", "a", false}, {"*x*", "y*", true},
	} {
		if got := globsIntersect(c.a, c.b); got != c.want {
			t.Errorf("globsIntersect(%q,%q)=%v", c.a, c.b, got)
		}
	}
}
