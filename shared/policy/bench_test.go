package policy

import (
	"testing"
)

// A typical trust policy: the GCAS SwitchOnlyRole pattern plus a service.
var benchPolicy = []byte(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_SwitchOnlyRole_0123456789abcdef"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringLike": {"aws:userid": ["*:alice@lg.id.cloud.go.jp", "*:bob@lg.id.cloud.go.jp"]}}
    },
    {
      "Effect": "Allow",
      "Principal": {"Service": "lambda.amazonaws.com"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    }
  ]
}`)

// An overbroad one, for the planner.
var benchOverbroad = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::999999999999:root","arn:aws:iam::111111111111:role/deployer"]},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x1"}}}]}`)

// BenchmarkAnalyzeTrust measures parse + analyze of a typical policy.
func BenchmarkAnalyzeTrust(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(benchPolicy)
		if err != nil {
			b.Fatal(err)
		}
		if r := AnalyzeTrust(d, testOpt); r.Overbroad() {
			b.Fatal("typical policy judged overbroad")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
}

// BenchmarkPlanTrust measures parse + plan (analysis, rewrite, validation
// and re-analysis) of an overbroad policy.
func BenchmarkPlanTrust(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(benchOverbroad)
		if err != nil {
			b.Fatal(err)
		}
		p, err := PlanTrust(d, testOpt, 2048)
		if err != nil || !p.Changed {
			b.Fatal(p, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
}

// BenchmarkPlanTrustPreviewTypical measures what the sweep does to every
// role since plans prove themselves: parse + PlanTrust (request-class
// analysis, and for an overbroad policy the rewrite and its access
// preview) over a mix of typical trust policies.
func BenchmarkPlanTrustPreviewTypical(b *testing.B) {
	mix := [][]byte{
		benchPolicy,
		[]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		[]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:my-org/app:*"}}}]}`),
		[]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*"}}}]}`),
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d, err := Parse(mix[i%len(mix)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := PlanTrust(d, testOpt, 2048); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
}

// BenchmarkPlanTrustPreviewOverbroad: an overbroad policy, rewritten and
// previewed.
func BenchmarkPlanTrustPreviewOverbroad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(benchOverbroad)
		if err != nil {
			b.Fatal(err)
		}
		p, err := PlanTrust(d, testOpt, 2048)
		if err != nil || !p.Changed || len(p.Preview.Gains) > 0 {
			b.Fatal(p, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "policies/s")
}
