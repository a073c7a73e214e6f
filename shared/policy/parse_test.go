package policy

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseForms(t *testing.T) {
	plain := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/a+b"},"Action":"sts:AssumeRole"}]}`
	cases := map[string]string{
		"plain":          plain,
		"padded":         "\n\t " + plain + "\n",
		"url-encoded":    url.PathEscape(plain),
		"query-escaped":  strings.ReplaceAll(url.QueryEscape(plain), "+", "%20"),
		"string-wrapped": `"` + strings.ReplaceAll(plain, `"`, `\"`) + `"`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := Parse([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(Minify(d)); got != plain {
				t.Errorf("got  %s\nwant %s", got, plain)
			}
		})
	}
}

func TestParseURLDecodesOnce(t *testing.T) {
	// %2541 decodes once to %41, which must stay literal; '+' stays '+'.
	in := url.PathEscape(`{"Statement":[{"Sid":"x%41+y","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Statements[0].Sid; got != "x%41+y" {
		t.Errorf("Sid = %q, want x%%41+y", got)
	}
}

func TestParsePolymorphic(t *testing.T) {
	in := `{"Statement":{"Sid":"S","Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:root"],"Service":"ec2.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":["abc"]},
	"NotAction":"sts:TagSession","NotResource":["x"],"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"k":[1,2.5e3]},"StringEquals":{"a":"b"}},"Custom":{"keep":[1,{"me":null}]}},"Id":"doc-1","X-Extra":true}`
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !d.SingleStatement || d.ID != "doc-1" || d.HasVersion {
		t.Errorf("document fields: %+v", d)
	}
	s := d.Statements[0]
	if got := s.Principal.Values("AWS"); len(got) != 2 {
		t.Errorf("AWS values %v", got)
	}
	if s.NotAction == nil || !s.NotAction.Single || s.NotResource == nil || s.NotResource.Single {
		t.Errorf("NotAction/NotResource shapes: %+v %+v", s.NotAction, s.NotResource)
	}
	if v := s.Condition.Blocks[0].Entries[0].Values[0]; v.Kind != ValueBool || v.Text != "true" {
		t.Errorf("bool value: %+v", v)
	}
	if v := s.Condition.Blocks[1].Entries[0].Values[1]; v.Kind != ValueNumber || v.Text != "2.5e3" {
		t.Errorf("number value: %+v", v)
	}
	want := `{"Id":"doc-1","Statement":{"Sid":"S","Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:root"],"Service":"ec2.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":["abc"]},"NotAction":"sts:TagSession","NotResource":["x"],"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"k":[1,2.5e3]},"StringEquals":{"a":"b"}},"Custom":{"keep":[1,{"me":null}]}},"X-Extra":true}`
	if got := string(Minify(d)); got != want {
		t.Errorf("minify:\n got %s\nwant %s", got, want)
	}
}

func TestParseStringEscapes(t *testing.T) {
	in := `{"Statement":[{"Sid":"a\"b\\c\/d\u00e9\ud83d\ude00\n","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Statements[0].Sid; got != "a\"b\\c/dé😀\n" {
		t.Errorf("Sid = %q", got)
	}
	again, err := Parse(Minify(d))
	if err != nil || again.Statements[0].Sid != d.Statements[0].Sid {
		t.Errorf("round trip: %v %q", err, again.Statements[0].Sid)
	}
}

func TestParseMalformed(t *testing.T) {
	cases := map[string]string{
		"empty":                "",
		"spaces":               "   ",
		"not json":             "Version=2012-10-17",
		"bad url escape":       "%7B%ZZ",
		"url not object":       "%5B%5D",
		"array":                "[]",
		"truncated":            `{"Statement":[{"Effect":"Allow"`,
		"trailing":             `{"Statement":[]} x`,
		"double wrapped":       `"\"{}\""`,
		"statement string":     `{"Statement":"x"}`,
		"statement item":       `{"Statement":[1]}`,
		"version number":       `{"Version":2012}`,
		"principal number":     `{"Statement":[{"Principal":5}]}`,
		"principal nested":     `{"Statement":[{"Principal":{"AWS":[["x"]]}}]}`,
		"action object":        `{"Statement":[{"Action":{"a":1}}]}`,
		"condition list":       `{"Statement":[{"Condition":[]}]}`,
		"condition value obj":  `{"Statement":[{"Condition":{"StringEquals":{"k":{"x":1}}}}]}`,
		"condition value null": `{"Statement":[{"Condition":{"StringEquals":{"k":null}}}]}`,
		"bad escape":           `{"Id":"\q"}`,
		"control char":         "{\"Id\":\"a\x01\"}",
		"invalid utf8":         "{\"Id\":\"\xff\"}",
		"deep":                 strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100),
		"bad number":           `{"Id":-}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if d, err := Parse([]byte(in)); err == nil {
				t.Errorf("no error; got %s", Minify(d))
			} else if !strings.HasPrefix(err.Error(), "parse policy:") {
				t.Errorf("error does not say what failed: %v", err)
			}
		})
	}
}
