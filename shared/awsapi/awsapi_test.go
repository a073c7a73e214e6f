package awsapi_test

import (
	"context"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/gcguard/gcguard/shared/awsapi"
)

// isolate keeps Load away from this machine's AWS files and settings.
func isolate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
}

func TestLoad(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
	cfg, err := awsapi.Load(context.Background(), "ap-northeast-3")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-northeast-3" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:5999" || !awsapi.Local(cfg) {
		t.Errorf("region %q endpoint %v local %v", cfg.Region, cfg.BaseEndpoint, awsapi.Local(cfg))
	}
	if cfg.Retryer == nil || cfg.Retryer().MaxAttempts() != 5 {
		t.Errorf("want the adaptive retryer with 5 attempts")
	}

	isolate(t)
	t.Setenv("AWS_REGION", "ap-northeast-1")
	cfg, err = awsapi.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-northeast-1" || awsapi.Local(cfg) {
		t.Errorf("region %q, local %v", cfg.Region, awsapi.Local(cfg))
	}
}

func TestClients(t *testing.T) {
	local := aws.Config{Region: "ap-northeast-1", BaseEndpoint: aws.String("http://127.0.0.1:5999")}
	remote := aws.Config{Region: "ap-northeast-1"}

	if o := s3client.New(local, "ap-northeast-3").Options(); !o.UsePathStyle || o.Region != "ap-northeast-3" {
		t.Errorf("local S3: path style %v region %q", o.UsePathStyle, o.Region)
	}
	if o := s3client.New(remote, "").Options(); o.UsePathStyle || o.Region != "ap-northeast-1" {
		t.Errorf("AWS S3: path style %v region %q", o.UsePathStyle, o.Region)
	}
	// Locally the account id cannot go into the host: the endpoint is the base URL.
	ep, err := s3client.Control(local).Options().EndpointResolverV2.ResolveEndpoint(context.Background(),
		s3control.EndpointParameters{AccountId: aws.String("123456789012"), Region: aws.String("us-east-1"), RequiresAccountId: aws.Bool(true)})
	if err != nil || ep.URI.String() != "http://127.0.0.1:5999" {
		t.Errorf("local S3 Control endpoint %v, %v", ep.URI.String(), err)
	}
	ep, err = s3client.Control(remote).Options().EndpointResolverV2.ResolveEndpoint(context.Background(),
		s3control.EndpointParameters{AccountId: aws.String("123456789012"), Region: aws.String("us-east-1"), RequiresAccountId: aws.Bool(true)})
	if err != nil || ep.URI.Host != "123456789012.s3-control.us-east-1.amazonaws.com" {
		t.Errorf("AWS S3 Control endpoint %v, %v", ep.URI.String(), err)
	}
	bad := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://[::1")}
	if _, err := s3client.Control(bad).Options().EndpointResolverV2.ResolveEndpoint(context.Background(), s3control.EndpointParameters{}); err == nil {
		t.Errorf("an unparsable local endpoint must fail")
	}
}

func TestRequire(t *testing.T) {
	if err := awsapi.Require("GCGUARD_AUDIT_TABLE", ""); err == nil || err.Error() != "GCGUARD_AUDIT_TABLE is not set" {
		t.Errorf("Require empty: %v", err)
	}
	if err := awsapi.Require("GCGUARD_AUDIT_TABLE", "t"); err != nil {
		t.Errorf("Require set: %v", err)
	}
}
