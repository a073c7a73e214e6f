package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
)

// bucketScene: a Tokyo bucket with SSE-S3, a public-read policy and Block
// Public Access off is fixed by the real bucket bootstrap.
func bucketScene(ctx context.Context, d *demo) error {
	const bucket, region = "city-records-prod", "ap-northeast-1"
	key, err := kms.NewFromConfig(d.sb.AWS, func(o *kms.Options) { o.Region = region }).CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("gcguard S3 key (Tokyo)")})
	if err != nil {
		return err
	}
	d.sb.Config.KMSKeys[region] = aws.ToString(key.KeyMetadata.Arn)
	api := s3client.New(d.sb.AWS, region)
	b := aws.String(bucket)
	public := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AppRoleRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/city-records-app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::city-records-prod/*"},` +
		`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::city-records-prod/*"}]}`
	steps := []func() error{
		func() error {
			_, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b, CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: region}})
			return err
		},
		func() error {
			_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
				Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
			return err
		},
		func() error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(false), IgnorePublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}})
			return err
		},
		func() error {
			_, err := api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(public)})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("prepare bucket %s: %w", bucket, err)
		}
	}
	before, err := bucketSummary(ctx, api, bucket, d.verbose)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "bucket %s (%s) before:\n%s", bucket, region, indent(before))
	f, err := d.function(ctx, "bucket")
	if err != nil {
		return err
	}
	defer f.Stop()
	ev, err := d.event("s3/put-bucket-policy-public.json", nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "delivering the PutBucketPolicy event (by SSO user taro.yamada@lg.id.cloud.go.jp) ...")
	if _, err := f.Invoke(ctx, ev); err != nil {
		return fmt.Errorf("function: %w", err)
	}
	after, err := bucketSummary(ctx, api, bucket, d.verbose)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "after:\n%s", indent(after))
	for _, want := range []string{"aws:kms key " + d.sb.Config.KMSKeys[region], "bucket key on", "Block Public Access: all four on", "AppRoleRead", "GcguardDenyInsecureTransport"} {
		if !strings.Contains(after, want) {
			return fmt.Errorf("after the fix, %q is missing from the bucket", want)
		}
	}
	if strings.Contains(after, "PublicRead") {
		return fmt.Errorf("the public statement is still in the policy")
	}
	rec, n, err := d.showRecords(ctx, s3rules.BucketARN("aws", bucket), 1)
	if err != nil {
		return err
	}
	d.record("bucket", "SSE-S3, public, BPA off", "CMK, public dropped, BPA on", rec, n)
	return nil
}

// bucketSummary says in a few lines how the bucket is configured.
func bucketSummary(ctx context.Context, api *s3.Client, bucket string, verbose bool) (string, error) {
	b := aws.String(bucket)
	var lines []string
	enc, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil {
		return "", err
	}
	r := enc.ServerSideEncryptionConfiguration.Rules[0]
	e := "default encryption: " + string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	if k := aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID); k != "" {
		e += " key " + k
	}
	if aws.ToBool(r.BucketKeyEnabled) {
		e += ", bucket key on"
	}
	lines = append(lines, e)
	pab, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	if err != nil {
		return "", err
	}
	if c := pab.PublicAccessBlockConfiguration; aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.RestrictPublicBuckets) {
		lines = append(lines, "Block Public Access: all four on")
	} else {
		lines = append(lines, "Block Public Access: off")
	}
	own, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
	if err == nil {
		lines = append(lines, "Object Ownership: "+string(own.OwnershipControls.Rules[0].ObjectOwnership))
	} else {
		lines = append(lines, "Object Ownership: not set")
	}
	pol, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	if err != nil {
		return "", err
	}
	lines = append(lines, "bucket policy statements: "+strings.Join(sids(aws.ToString(pol.Policy)), ", "))
	if verbose {
		lines = append(lines, "bucket policy:", pretty(aws.ToString(pol.Policy)))
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// sids names a policy's statements by Sid (or their position).
func sids(doc string) []string {
	var p struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal any
		}
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return []string{"(unreadable policy)"}
	}
	var out []string
	for i, st := range p.Statement {
		name := st.Sid
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		out = append(out, name+" ("+st.Effect+")")
	}
	return out
}
