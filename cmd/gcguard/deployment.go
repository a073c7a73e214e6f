package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/gcguard/gcguard/shared/deployfile"
)

// defaultHubStack is the hub stack's name; its outputs name the deployment.
const defaultHubStack = "gcguard-hub"

// The hub stack's output keys (infra/gcinfra writes them).
const (
	OutAuditTable      = "AuditTableName"
	OutTopicARN        = "TopicArn"
	OutMacKeyARN       = "MacKeyArn"
	OutExemptionsParam = "ExemptionsParameterName"
	OutRevertRoleARN   = "RevertRoleArn"
	OutS3KeyARN        = "S3KeyArn"
	OutVersion         = "Version"
)

// Deployment is where gcguard runs in one account: what the commands that
// read or change its state need to know.
type Deployment struct {
	Account, Region, Stack string
	AuditTable             string
	TopicARN               string
	MacKeyARN              string
	ExemptionsParam        string
	RevertRoleARN          string
	S3KeyARN               string
	Version                string           // the deployed gcguard's version
	File                   *deployfile.File // the --config file, when given
	AWS                    aws.Config       // for the deployment's account and home region
}

// resolveDeployment finds the deployment: the account and region from the
// flags or --config (else the caller's account), then the hub stack's
// outputs; --table overrides the audit table and spares the stack lookup.
// Its errors are one sentence an operator can act on.
func resolveDeployment(ctx context.Context, af awsFlags) (*Deployment, error) {
	d, err := resolveTarget(ctx, af)
	if err != nil {
		return nil, err
	}
	if *af.table != "" {
		d.AuditTable = *af.table
	} else if err := d.readStack(ctx); err != nil {
		return nil, err
	}
	if err := d.checkTable(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// resolveTarget is the account, home region, SDK configuration and config
// file, without looking for a deployment: for commands that also run
// before gcguard is deployed (scan).
func resolveTarget(ctx context.Context, af awsFlags) (*Deployment, error) {
	d := &Deployment{Stack: *af.stack}
	if *af.config != "" {
		f, err := loadConfigFile(*af.config)
		if err != nil {
			return nil, err
		}
		d.File = f
		if !af.set("region") {
			*af.region = f.HomeRegion
		}
		if *af.account == "" {
			*af.account = f.Account
		} else if *af.account != f.Account {
			return nil, usagef("--account %s is not --config %s's account %s", *af.account, *af.config, f.Account)
		}
	}
	d.Region = *af.region
	cfg, err := af.load(ctx)
	if err != nil {
		return nil, signInError(err)
	}
	d.AWS = cfg
	if d.Account, err = af.accountID(ctx, cfg); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Deployment) readStack(ctx context.Context) error {
	out, err := cloudformation.NewFromConfig(d.AWS).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.Stack)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return fmt.Errorf("gcguard is not deployed in %s %s: stack %s not found; deploy with make deploy CONFIG=config/%s.json, or pass --region, --stack or --table", d.Account, d.Region, d.Stack, d.Account)
	}
	if err != nil {
		return signInError(fmt.Errorf("read stack %s in %s: %w", d.Stack, d.Region, err))
	}
	if len(out.Stacks) == 0 {
		return fmt.Errorf("gcguard is not deployed in %s %s: stack %s not found", d.Account, d.Region, d.Stack)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	d.AuditTable = outputs[OutAuditTable]
	d.TopicARN = outputs[OutTopicARN]
	d.MacKeyARN = outputs[OutMacKeyARN]
	d.ExemptionsParam = outputs[OutExemptionsParam]
	d.RevertRoleARN = outputs[OutRevertRoleARN]
	d.S3KeyARN = outputs[OutS3KeyARN]
	d.Version = outputs[OutVersion]
	if d.AuditTable == "" {
		return fmt.Errorf("stack %s in %s %s has no %s output: it predates this gcguard; redeploy with make deploy CONFIG=config/%s.json, or pass --table", d.Stack, d.Account, d.Region, OutAuditTable, d.Account)
	}
	return nil
}

// checkTable turns a missing audit table into a sentence before any command
// fails on it halfway.
func (d *Deployment) checkTable(ctx context.Context) error {
	_, err := dynamodb.NewFromConfig(d.AWS).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(d.AuditTable)})
	var nf *ddbtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("gcguard's audit table %s does not exist in %s %s: check --table and --region, or deploy with make deploy CONFIG=config/%s.json", d.AuditTable, d.Account, d.Region, d.Account)
	}
	if err != nil {
		return signInError(fmt.Errorf("read audit table %s: %w", d.AuditTable, err))
	}
	return nil
}

// signInError replaces a missing or expired credentials error with how to
// sign in; other errors pass unchanged.
func signInError(err error) error {
	if err == nil {
		return nil
	}
	profile := os.Getenv("AWS_PROFILE")
	if profile == "" {
		profile = "<profile>"
	}
	msg := err.Error()
	var ae smithy.APIError
	expired := errors.As(err, &ae) && map[string]bool{
		"ExpiredToken": true, "ExpiredTokenException": true, "InvalidClientTokenId": true,
		"UnrecognizedClientException": true, "InvalidSignatureException": true,
	}[ae.ErrorCode()]
	missing := strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "SSO token") || strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "failed to get shared config profile")
	switch {
	case missing:
		return fmt.Errorf("no AWS credentials: sign in with aws sso login --profile %s and set AWS_PROFILE=%s (or export credentials), then run the command again", profile, profile)
	case expired:
		return fmt.Errorf("AWS rejected the credentials (%s): sign in again with aws sso login --profile %s, then run the command again", ae.ErrorCode(), profile)
	}
	return err
}

// checkAccountID is the 12-digit check every account id given to the CLI gets.
func checkAccountID(flagName, v string) error {
	if !deployfile.IsAccountID(v) {
		return usagef("%s %q: want a 12-digit AWS account id such as 123456789012", flagName, v)
	}
	return nil
}

// checkAccounts checks --account and every --trusted-account.
func checkAccounts(account string, trusted []string) error {
	if account != "" {
		if err := checkAccountID("--account", account); err != nil {
			return err
		}
	}
	for _, a := range trusted {
		if err := checkAccountID("--trusted-account", a); err != nil {
			return err
		}
	}
	return nil
}

func orStr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func orList(v, def []string) []string {
	if len(v) > 0 {
		return v
	}
	return def
}
