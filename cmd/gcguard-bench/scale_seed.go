package main

import (
	"context"
	"fmt"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// The account the scale run seeds, per 1×: IAM's per-account role maximum,
// and the bucket and user counts of DESIGN §9.
const (
	baseRoles   = 5000
	baseBuckets = 1000
	baseUsers   = 500
)

// Trust policies of the seeded roles. Most are the SSO pattern (the account
// root, limited to IAM Identity Center's reserved roles); one in fifty lets
// anyone in; one in twenty-five is a service-linked role (reserved path,
// service principal), which gcguard must leave alone.
const (
	ssoTrust     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"}}}]}`
	openTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	serviceTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticbeanstalk.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

// world is what one size seeds.
type world struct {
	roles, openRoles, serviceRoles int
	buckets, compliantBuckets      int
	users, activeKeys              int
	seedCalls                      int64
}

func (w world) resources() int { return w.roles + w.buckets + w.users }

func newWorld(scale int) world {
	w := world{roles: baseRoles * scale, buckets: baseBuckets * scale, users: baseUsers * scale}
	for i := range w.roles {
		switch roleKind(i) {
		case "open":
			w.openRoles++
		case "service":
			w.serviceRoles++
		}
	}
	for i := range w.buckets {
		if bucketCompliant(i) {
			w.compliantBuckets++
		}
	}
	for i := range w.users {
		if keyActive(i) {
			w.activeKeys++
		}
	}
	return w
}

func roleKind(i int) string {
	switch {
	case i%50 == 7:
		return "open"
	case i%25 == 3:
		return "service"
	}
	return "sso"
}

// Nine buckets in ten are already as gcguard wants them; one in ten is a
// new bucket as moto makes it (no encryption, policy, BPA or ownership).
func bucketCompliant(i int) bool { return i%10 != 0 }

// One user in ten has an active key (which gcguard deletes); the others'
// keys are inactive.
func keyActive(i int) bool { return i%10 == 0 }

// seed creates the world on moto with a few workers: moto is one Python
// process, so more than about eight in flight only queue there.
func seed(ctx context.Context, cfg aws.Config, sb *sandbox.Sandbox, w *world) error {
	kmsKey, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("gcguard S3 key " + cfg.Region)})
	if err != nil {
		return fmt.Errorf("create KMS key: %w", err)
	}
	sb.Config.KMSKeys = map[string]string{cfg.Region: aws.ToString(kmsKey.KeyMetadata.Arn)}
	api := iam.NewFromConfig(cfg)
	s3api := s3client.New(cfg, cfg.Region)
	var calls atomic.Int64
	count := func(n int) { calls.Add(int64(n)) }

	jobs := make(chan func() error)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	send := func(job func() error) bool {
		select {
		case err := <-errs:
			errs <- err
			return false
		case jobs <- job:
			return true
		}
	}
	ok := true
	for i := 0; ok && i < w.roles; i++ {
		ok = send(func() error {
			in := &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("app-role-%06d", i)), AssumeRolePolicyDocument: aws.String(ssoTrust)}
			switch roleKind(i) {
			case "open":
				in.AssumeRolePolicyDocument = aws.String(openTrust)
			case "service":
				in.Path = aws.String("/aws-service-role/elasticbeanstalk.amazonaws.com/")
				in.AssumeRolePolicyDocument = aws.String(serviceTrust)
			}
			count(1)
			if _, err := api.CreateRole(ctx, in); err != nil {
				return fmt.Errorf("create role %d: %w", i, err)
			}
			return nil
		})
	}
	for i := 0; ok && i < w.buckets; i++ {
		ok = send(func() error {
			n, err := seedBucket(ctx, s3api, sb, fmt.Sprintf("data-%06d", i), bucketCompliant(i))
			count(n)
			return err
		})
	}
	for i := 0; ok && i < w.users; i++ {
		ok = send(func() error {
			n, err := seedUser(ctx, api, fmt.Sprintf("user-%06d", i), keyActive(i))
			count(n)
			return err
		})
	}
	close(jobs)
	wg.Wait()
	w.seedCalls = calls.Load()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

func seedBucket(ctx context.Context, api *s3.Client, sb *sandbox.Sandbox, name string, compliant bool) (int, error) {
	bk := aws.String(name)
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bk}); err != nil {
		return 1, fmt.Errorf("create bucket %s: %w", name, err)
	}
	if !compliant {
		return 1, nil
	}
	region := sb.Config.HomeRegion
	key := sb.Config.KMSKeys[region]
	plan, err := policy.PlanBucketPolicy(nil, policy.BucketOptions{Account: sandbox.Account, Bucket: name, Region: region, Partition: "aws", KMSKeyARN: key})
	if err != nil {
		return 1, fmt.Errorf("plan the policy of %s: %w", name, err)
	}
	steps := []func() error{
		func() error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bk, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		},
		func() error {
			_, err := api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: bk,
				OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
			return err
		},
		func() error {
			_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: bk, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(key)},
					BucketKeyEnabled:                   aws.Bool(true),
					BlockedEncryptionTypes:             &s3types.BlockedEncryptionTypes{EncryptionType: []s3types.EncryptionType{s3types.EncryptionTypeSseC}}}}}})
			return err
		},
		func() error {
			_, err := api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bk, Policy: aws.String(string(plan.Document))})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return 2 + i, fmt.Errorf("make %s compliant: %w", name, err)
		}
	}
	return 1 + len(steps), nil
}

func seedUser(ctx context.Context, api *iam.Client, name string, active bool) (int, error) {
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return 1, fmt.Errorf("create user %s: %w", name, err)
	}
	k, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return 2, fmt.Errorf("create a key for %s: %w", name, err)
	}
	if active {
		return 2, nil
	}
	_, err = api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	if err != nil {
		return 3, fmt.Errorf("deactivate the key of %s: %w", name, err)
	}
	return 3, nil
}

// scaleConfig is an SDK config through the proxy, with the retryer
// gcguard's functions use (awsapi.NewRetryer), so injected throttling
// meets the same retries as in Lambda.
func scaleConfig(ctx context.Context, p *testkit.Proxy) (aws.Config, error) {
	cfg, err := p.Config(ctx, "")
	if err != nil {
		return cfg, err
	}
	cfg.Retryer = awsapi.NewRetryer
	return cfg, nil
}
