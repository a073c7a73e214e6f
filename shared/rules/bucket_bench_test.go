package rules_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
	"github.com/gcguard/gcguard/shared/testkit"
)

// benchBucket makes the fixture bucket non-compliant again (SSE-S3, no
// policy, no Block Public Access, no Object Ownership), outside the timer.
func benchBucket(b *testing.B, w *bucketWorld) {
	b.StopTimer()
	defer b.StartTimer()
	ctx := context.Background()
	api := w.s3(tokyo)
	bk := aws.String(fixtureBucket)
	_, err1 := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bk, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	_, err2 := api.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bk})
	_, err3 := api.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: bk})
	_, err4 := api.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: bk})
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchWorld(b *testing.B) *bucketWorld {
	w := newBucketWorldTB(b)
	w.createBucket(b, fixtureBucket, tokyo)
	return w
}

// BenchmarkBucketReconcile: one PutBucketEncryption event through the
// in-process engine, which observes, leases, re-observes, audits, writes
// four parts, verifies, publishes and releases.
func BenchmarkBucketReconcile(b *testing.B) {
	w := newBenchWorld(b)
	eng, err := w.sb.Engine(guardrail.Default, "bucket")
	if err != nil {
		b.Fatal(err)
	}
	eng.Logger = slog.New(slog.DiscardHandler)
	ev := testkit.LoadEvent(b, "events/s3/put-bucket-encryption-aes256.json")
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		benchBucket(b, w)
		if err := eng.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBucketBareSDK makes the engine's call sequence by hand: three
// reads of the bucket (observe, under the lease, verify), the hold check,
// lease, audit record, the four writes, record update, publish, notified
// mark and release.
func BenchmarkBucketBareSDK(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	api := w.s3(tokyo)
	cfn := cloudformation.NewFromConfig(w.sb.AWS, func(o *cloudformation.Options) { o.Region = tokyo })
	pub := sns.NewFromConfig(w.sb.AWS)
	store := w.sb.Store
	owner := aws.String(w.sb.Config.Account)
	bk := aws.String(fixtureBucket)
	key := w.sb.Config.KMSKeys[tokyo]
	plan, err := policy.PlanBucketPolicy(nil, w.options(fixtureBucket, tokyo))
	if err != nil {
		b.Fatal(err)
	}
	read := func() {
		_, _ = api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bk, ExpectedBucketOwner: owner})
		_, _ = cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String("CDKToolkit"), LogicalResourceId: aws.String("StagingBucket")})
		_, _ = api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bk, ExpectedBucketOwner: owner})
		_, _ = api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk, ExpectedBucketOwner: owner})
		_, _ = api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bk, ExpectedBucketOwner: owner})
		_, _ = api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: bk, ExpectedBucketOwner: owner})
		_, _ = api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk, ExpectedBucketOwner: owner})
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	arn := bucketARN
	b.ResetTimer()
	for range b.N {
		benchBucket(b, w)
		read()
		_, err := store.ActiveHold(ctx, arn, time.Now())
		must(err)
		must(store.Acquire(ctx, arn, "bench", time.Now(), 30*time.Second))
		read()
		now := time.Now().UTC()
		rec := &audit.Record{ID: audit.NewID(now), Resource: arn, Kind: "bucket", Region: tokyo, Account: w.sb.Config.Account,
			Rule: "bucket", Mode: "enforce", Status: audit.Planned, Outcome: finding.Fixed, Created: now}
		must(store.Begin(ctx, rec))
		_, err = api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bk, ExpectedBucketOwner: owner, PublicAccessBlockConfiguration: allOn()})
		must(err)
		_, err = api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: bk, ExpectedBucketOwner: owner,
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
		must(err)
		_, err = api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bk, ExpectedBucketOwner: owner,
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(key)},
				BucketKeyEnabled:                   aws.Bool(true), BlockedEncryptionTypes: &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{types.EncryptionTypeSseC}}}}}})
		must(err)
		_, err = api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bk, ExpectedBucketOwner: owner, Policy: aws.String(string(plan.Document))})
		must(err)
		read()
		must(store.Finish(ctx, rec, audit.Applied, "", time.Now()))
		_, _ = cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{PhysicalResourceId: bk})
		_, err = pub.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(w.sb.Config.TopicARN), Message: aws.String(`{"default":"bucket fixed"}`), MessageStructure: aws.String("json")})
		must(err)
		must(store.MarkNotified(ctx, rec))
		must(store.Release(ctx, arn, "bench"))
	}
}

// BenchmarkBucketPlan is gcguard's own work per event: judging a fully
// non-compliant bucket with a two-statement policy and planning every part.
func BenchmarkBucketPlan(b *testing.B) {
	cfg := newBucketWorldConfig()
	st := &s3rules.BucketState{Bucket: fixtureBucket, Region: tokyo,
		Encryption: s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "AES256"}}},
		Policy:     s3rules.BucketPolicyText{Present: true, Text: ownerPolicy(roleRead(fixtureBucket), publicRead(fixtureBucket))},
		ACL: s3rules.BucketACL{OwnerID: "o", Grants: []s3rules.Grant{{Type: "CanonicalUser", ID: "o", Permission: "FULL_CONTROL"},
			{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}}}}
	r := &s3rules.Bucket{Config: cfg}
	in := guardrail.PlanInput{Target: guardrail.Target{Bucket: fixtureBucket, Region: tokyo}, State: st, Config: cfg}
	b.ReportAllocs()
	for range b.N {
		if p, err := r.Plan(in); err != nil || p.Empty() {
			b.Fatal(p, err)
		}
	}
}
