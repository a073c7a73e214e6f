package main

import (
	"fmt"
	"strings"
	"time"
)

// The model of a sweep in AWS, from the calls the 1× run made. AWS does not
// publish a request rate for IAM's API (its quotas page lists object counts
// and sizes), so the rate is an assumption, stated with the result.
const (
	awsWorkers      = 4                      // Sweeper.Workers in functions/sweep
	iamRate         = 10.0                   // IAM requests per second the sweep may use (assumed)
	throttleBackoff = 500 * time.Millisecond // mean first retry delay (full jitter over 1 s)
)

// awsLatency is an assumed time per call from a Lambda in ap-northeast-1:
// IAM is a global service answered from us-east-1, across the Pacific.
var awsLatency = map[string]time.Duration{
	"iam":      200 * time.Millisecond,
	"s3":       30 * time.Millisecond,
	"dynamodb": 10 * time.Millisecond,
	"sns":      20 * time.Millisecond,
}

const otherLatency = 50 * time.Millisecond // CloudFormation, SSM, S3 Control, KMS, STS

func latencyOf(service string) time.Duration {
	if d, ok := awsLatency[service]; ok {
		return d
	}
	return otherLatency
}

type estimate struct {
	total    time.Duration
	markdown string
}

// estimateAWS: per rule, List… calls one at a time, the rest spread over
// the workers, each injected throttle adding a mean backoff to its worker;
// and never faster than IAM's assumed rate allows.
func estimateAWS(r *scaleRun) estimate {
	var e estimate
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("**What 1× would take in AWS (an estimate, not a measurement).** The model takes the 1× run's calls per rule: ")
	w("List… calls one at a time (the listing pages and, for access keys, one ListAccessKeys per user), the other calls ")
	w("spread over the %d workers, each at an assumed latency from a Lambda in ap-northeast-1 (IAM %s, it is global and ", awsWorkers, dur(awsLatency["iam"]))
	w("answered from us-east-1; S3 %s; DynamoDB %s; SNS %s; others %s), plus a mean %s backoff for every throttled IAM call ", dur(awsLatency["s3"]),
		dur(awsLatency["dynamodb"]), dur(awsLatency["sns"]), dur(otherLatency), dur(throttleBackoff))
	w("(1 in %d here); a rule never goes faster than its IAM calls at %.0f requests/s. ", throttleEvery, iamRate)
	w("AWS publishes no request-rate quota for IAM's API (the IAM and STS quotas page lists object counts and sizes); ")
	w("%.0f/s for the sweep's share of the account is an assumption, conservative for reads. ", iamRate)
	w("Should the sweep not finish in 15 minutes, it saves its checkpoint each batch of 32 and the next scheduled run goes on from there ")
	w("(`Sweeper.Margin`, 90 s before the deadline), so a larger account takes more runs, not a failure.\n\n")
	w("| Rule | IAM calls | Other calls | Latency-bound | IAM-rate floor | Estimate |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range r.phases {
		var lat time.Duration
		others := 0
		for s, n := range p.calls {
			seq := p.lists[s]
			lat += time.Duration(seq)*latencyOf(s) + time.Duration(n-seq)*latencyOf(s)/awsWorkers
			if s != "iam" {
				others += n
			}
		}
		iam := p.calls["iam"]
		lat += time.Duration(iam/throttleEvery) * throttleBackoff / awsWorkers
		floor := time.Duration(float64(iam) / iamRate * float64(time.Second))
		t := max(lat, floor)
		e.total += t
		w("| %s | %s | %s | %s | %s | %s |\n", p.rule, thousands(float64(iam)), thousands(float64(others)), dur(lat), dur(floor), dur(t))
	}
	w("| **sweep** | | | | | **%s** |\n", dur(e.total))
	e.markdown = b.String()
	return e
}
