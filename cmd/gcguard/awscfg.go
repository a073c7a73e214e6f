package main

import (
	"context"
	"flag"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
)

// awsFlags are the connection flags every command that talks to AWS takes.
type awsFlags struct {
	endpoint, region, table, account *string
}

func addAWSFlags(fs *flag.FlagSet) awsFlags {
	return awsFlags{
		endpoint: fs.String("endpoint", "", "AWS endpoint URL (a local moto); default: real AWS"),
		region:   fs.String("region", envOr("AWS_REGION", config.DefaultHomeRegion), "the hub region (audit table, topic)"),
		table:    fs.String("table", envOr(config.EnvAuditTable, "gcguard-audit"), "the audit table"),
		account:  fs.String("account", os.Getenv(config.EnvAccount), "the guarded account (default: the caller's)"),
	}
}

// load builds the SDK configuration. Against a local endpoint without
// credentials, moto's test credentials are used.
func (f awsFlags) load(ctx context.Context) (aws.Config, error) {
	cfg, err := awsapi.Load(ctx, *f.region)
	if err != nil {
		return cfg, err
	}
	if *f.endpoint != "" {
		cfg.BaseEndpoint = aws.String(*f.endpoint)
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("testing", "testing", "")
		}
	}
	return cfg, nil
}

// accountID is --account, or the caller's account from STS.
func (f awsFlags) accountID(ctx context.Context, cfg aws.Config) (string, error) {
	if *f.account != "" {
		return *f.account, nil
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
