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

// awsFlags are the connection and deployment flags every command that talks
// to AWS takes. resolveDeployment (deployment.go) turns them into the
// deployment's names.
type awsFlags struct {
	fs                                              *flag.FlagSet
	endpoint, region, table, account, config, stack *string
}

func addAWSFlags(fs *flag.FlagSet) awsFlags {
	return awsFlags{
		fs:       fs,
		endpoint: fs.String("endpoint", "", "AWS endpoint URL (a local moto); default: real AWS"),
		region:   fs.String("region", envOr("AWS_REGION", config.DefaultHomeRegion), "the hub region (default: --config's homeRegion, else $AWS_REGION, else ap-northeast-1)"),
		table:    fs.String("table", os.Getenv(config.EnvAuditTable), "the audit table (default: the hub stack's AuditTableName output)"),
		account:  fs.String("account", os.Getenv(config.EnvAccount), "the guarded account, 12 digits (default: --config's account, else the caller's)"),
		config:   fs.String("config", "", "the account's config file (config/<account>.json): account and home region from it"),
		stack:    fs.String("stack", defaultHubStack, "the hub stack whose outputs name the deployment"),
	}
}

// set reports whether the flag was given on the command line.
func (f awsFlags) set(name string) bool {
	found := false
	if f.fs != nil {
		f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	}
	return found
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
		if err := checkAccountID("--account", *f.account); err != nil {
			return "", err
		}
		return *f.account, nil
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", signInError(err)
	}
	return aws.ToString(out.Account), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
