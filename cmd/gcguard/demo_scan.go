package main

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// scanScene makes violations whose events never reach gcguard (as when
// CloudTrail's best-effort delivery drops them), then runs `gcguard scan`
// against the demo account: the assessment names them and changes nothing.
func scanScene(ctx context.Context, d *demo) error {
	im := iam.NewFromConfig(d.sb.AWS)
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("batch-transfer")}); err != nil {
		return err
	}
	key, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("batch-transfer")})
	if err != nil {
		return err
	}
	if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("vendor-maintenance"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		return err
	}
	keyID := aws.ToString(key.AccessKey.AccessKeyId)
	fmt.Fprintf(d.out, "made, with no event delivered: access key %s of batch-transfer, role vendor-maintenance trusting account 999999999999\n", keyID)
	args := []string{"scan", "--endpoint", d.endpoint, "--region", "us-east-1", "--account", d.sb.Config.Account, "--quiet"}
	regions := make([]string, 0, len(d.sb.Config.KMSKeys))
	for r := range d.sb.Config.KMSKeys {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, r := range regions {
		args = append(args, "--kms-key", r+"="+d.sb.Config.KMSKeys[r])
	}
	fmt.Fprintf(d.out, "$ gcguard %s\n", strings.Join(args, " "))
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	fmt.Fprint(d.out, indent(out.String()))
	if code != exitOK {
		return fmt.Errorf("scan exited %d: %s", code, errb.String())
	}
	keys, err := im.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("batch-transfer")})
	if err != nil {
		return err
	}
	switch {
	case !strings.Contains(out.String(), "user/batch-transfer") || !strings.Contains(out.String(), "role/vendor-maintenance"):
		return fmt.Errorf("the assessment does not name both violations")
	case len(keys.AccessKeyMetadata) != 1:
		return fmt.Errorf("scan changed the account")
	}
	return nil
}
