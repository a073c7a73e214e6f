package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// trustScene: a role anyone may assume and a role the whole account may
// assume are tightened by the real roletrust bootstrap; one is reverted.
func trustScene(ctx context.Context, d *demo) error {
	im := iam.NewFromConfig(d.sb.AWS)
	roles := []struct{ name, event, trust, wrong, did string }{
		{"public-role", "iam/create-role-public.json",
			`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}`,
			"anyone may assume", "dropped *; SSO roles only"},
		{"app-deploy", "iam/create-role.json",
			`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}`,
			"the whole account may assume", "narrowed to SSO roles"},
	}
	for _, r := range roles {
		if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(r.trust)}); err != nil {
			return err
		}
	}
	f, err := d.function(ctx, "roletrust")
	if err != nil {
		return err
	}
	defer f.Stop()
	for _, r := range roles {
		fmt.Fprintf(d.out, "role %s trusts: %s\n", r.name, d.policyText(r.trust))
		ev, err := d.event(r.event, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "delivering the CreateRole event for %s (by SSO user taro.yamada@lg.id.cloud.go.jp) ...\n", r.name)
		if _, err := f.Invoke(ctx, ev); err != nil {
			return fmt.Errorf("function: %w", err)
		}
		after, err := liveTrust(ctx, im, r.name)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "after: role %s trusts: %s\n", r.name, d.policyText(after))
		if after == r.trust {
			return fmt.Errorf("the trust policy of %s was not changed", r.name)
		}
		if err := policy.ValidateTrust([]byte(after)); err != nil {
			return fmt.Errorf("gcguard wrote a policy IAM would reject: %w", err)
		}
		rec, n, err := d.showRecords(ctx, "arn:aws:iam::"+sandbox.Account+":role/"+r.name, 1)
		if err != nil {
			return err
		}
		d.record("roletrust", r.name+": "+r.wrong, r.did, rec, n)
	}
	recs, err := d.sb.Store.History(ctx, "arn:aws:iam::"+sandbox.Account+":role/public-role", 0)
	if err != nil || len(recs) == 0 {
		return fmt.Errorf("no audit record to revert: %v", err)
	}
	fmt.Fprintf(d.out, "\n$ gcguard revert %s\n", recs[0].ID)
	args := []string{"--endpoint", aws.ToString(d.sb.AWS.BaseEndpoint), "--region", testkit.Region,
		"--table", d.sb.Config.AuditTable, "--account", sandbox.Account, "--by", "demo-operator",
		"--mac-key", d.sb.Config.MacKeyARN, "--yes", recs[0].ID}
	if err := runRevert(ctx, args, d.out, io.Discard); err != nil {
		return err
	}
	back, err := liveTrust(ctx, im, "public-role")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "after revert: role public-role trusts (byte for byte what it had): %s\n", back)
	if back != roles[0].trust {
		return fmt.Errorf("revert restored %q, want %q", back, roles[0].trust)
	}
	ev, err := d.event(roles[0].event, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "delivering the CreateRole event again: the revert's hold keeps gcguard off the role ...")
	if _, err := f.Invoke(ctx, ev); err != nil {
		return fmt.Errorf("function: %w", err)
	}
	if now, err := liveTrust(ctx, im, "public-role"); err != nil || now != back {
		return fmt.Errorf("the guardrail undid the revert (%v)", err)
	}
	fmt.Fprintln(d.out, "role public-role keeps the restored policy while the hold lasts")
	revID := ""
	if after, err := d.sb.Store.History(ctx, "arn:aws:iam::"+sandbox.Account+":role/public-role", 0); err == nil {
		for _, r := range after {
			if r.RevertOf == recs[0].ID {
				revID = r.ID
			}
		}
	}
	d.done = append(d.done, demoResult{scene: "revert", wrong: "operator undid public-role's fix", did: "restored; held from re-fixing", auditID: revID, revert: "(this is the revert)"})
	return nil
}

// liveTrust is the role's trust policy as IAM holds it: GetRole's
// URL-encoded text decoded once.
func liveTrust(ctx context.Context, im *iam.Client, role string) (string, error) {
	out, err := im.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		return "", err
	}
	return url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
}

// policyText is a policy on one line, or indented in full with --verbose.
func (d *demo) policyText(doc string) string {
	if d.verbose {
		return "\n" + strings.TrimRight(indent(pretty(doc)), "\n")
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) != nil {
		return doc
	}
	return b.String()
}

func pretty(doc string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(doc), "", "  ") != nil {
		return doc
	}
	return strings.TrimRight(b.String(), "\n")
}
