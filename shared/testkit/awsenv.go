package testkit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	// Account is moto's default account id: every ARN moto returns uses it.
	Account = "123456789012"
	// Region is the region testkit uses when none is given.
	Region = "us-east-1"
	// AccessKeyID and SecretAccessKey are the static credentials moto accepts.
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
)

// ClientEnv is the environment a child process needs to send its AWS calls
// to endpoint (moto or a Proxy) in region, and nowhere else: static
// credentials, no instance metadata, no shared profile.
//
// AWS_CA_BUNDLE is kept only when it names a readable file: the SDK fails
// to load its config when the file is missing, and the endpoint is plain
// HTTP so the bundle is never used anyway.
func ClientEnv(endpoint, region string) []string {
	if region == "" {
		region = Region
	}
	env := []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
	return append(env, "AWS_CA_BUNDLE="+usableCABundle())
}

func usableCABundle() string {
	path := os.Getenv("AWS_CA_BUNDLE")
	if path == "" {
		return ""
	}
	if f, err := os.Open(path); err == nil {
		f.Close()
		return path
	}
	return ""
}

// ClientConfig is an SDK config that sends every call to endpoint with
// moto's static credentials. It is built directly rather than loaded, so
// nothing leaks in from the environment (AWS_PROFILE, AWS_ENDPOINT_URL_*,
// shared files), and it keeps the SDK's buildable HTTP client: a plain
// *http.Client is what breaks when AWS_CA_BUNDLE is set.
func ClientConfig(ctx context.Context, endpoint, region string) (aws.Config, error) {
	if region == "" {
		region = Region
	}
	if _, err := url.Parse(endpoint); err != nil || !strings.HasPrefix(endpoint, "http") {
		return aws.Config{}, fmt.Errorf("AWS config: bad endpoint %q", endpoint)
	}
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		HTTPClient:   awshttp.NewBuildableClient(),
	}, nil
}
