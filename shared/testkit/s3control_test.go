package testkit_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/gcguard/gcguard/shared/testkit"
)

func TestS3ControlThroughProxy(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()
	client := s3control.NewFromConfig(cfg, testkit.S3ControlEndpoint(p.Endpoint()))
	_, err := client.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
		AccountId: aws.String(testkit.Account),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true),
			IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("PutPublicAccessBlock: %v\n%s", err, moto.Log())
	}
	out, err := client.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(testkit.Account)})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(out.PublicAccessBlockConfiguration.BlockPublicPolicy) {
		t.Errorf("BlockPublicPolicy not stored: %+v", out.PublicAccessBlockConfiguration)
	}
	if got := actions(p.Calls()); !slices.Equal(got, []string{"s3control:PutPublicAccessBlock", "s3control:GetPublicAccessBlock"}) {
		t.Errorf("calls = %v", got)
	}
}
