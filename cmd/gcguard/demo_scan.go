package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/report"
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
	// Deployed before the demo began: what the scene makes now is new, and
	// the scan says what gcguard would do to it.
	args := []string{"scan", "--endpoint", d.endpoint, "--region", "us-east-1", "--account", d.sb.Config.Account, "--quiet",
		"--deployed-at", d.started.Add(-time.Second).UTC().Format(time.RFC3339)}
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
	shown := out.String()
	if !d.verbose {
		shown = sceneRows(shown, "batch-transfer", "vendor-maintenance")
	}
	fmt.Fprint(d.out, indent(shown))
	fmt.Fprintf(d.out, "exit status %d (0 clean, 3 violations found, 1 could not assess)\n", code)
	if code != report.ExitViolations {
		return fmt.Errorf("scan exited %d, want %d: %s", code, report.ExitViolations, errb.String())
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
	d.done = append(d.done, demoResult{scene: "scan", wrong: "missed events: key, foreign trust", did: "reported, changed nothing", revert: "(nothing changed)"})
	return nil
}

// rowStart is the first line of a resource in the scan's text report.
var rowStart = regexp.MustCompile(`^(CRITICAL|HIGH|INFO|NOT_ASSESSED) `)

// sceneRows keeps the scan report's head and the resources this scene
// made; the others (earlier scenes') are counted, and --verbose shows them.
func sceneRows(text string, names ...string) string {
	var out []string
	keep, inRows, skipped := true, false, 0
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if rowStart.MatchString(l) {
			inRows, keep = true, false
			for _, n := range names {
				if strings.Contains(l, n) {
					keep = true
				}
			}
			if !keep {
				skipped++
			}
		} else if inRows && !strings.HasPrefix(l, " ") {
			keep = true
		}
		if keep {
			out = append(out, l)
		}
	}
	if skipped > 0 {
		out = append(out, fmt.Sprintf("(%d more resource(s) from the earlier scenes: gcguard demo --verbose lists them)", skipped))
	}
	return strings.Join(out, "\n") + "\n"
}
