package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/report"
	"github.com/gcguard/gcguard/shared/testkit"
)

// scanCmd runs gcguard scan against endpoint and returns its exit status,
// stdout and stderr.
func scanCmd(t *testing.T, endpoint string, extra ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"scan", "--endpoint", endpoint, "--region", "us-east-1", "--account", "123456789012", "--quiet"}, extra...)
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func scanJSON(t *testing.T, endpoint string, extra ...string) (int, report.Model) {
	t.Helper()
	code, out, errb := scanCmd(t, endpoint, append(extra, "--format", "json")...)
	var m report.Model
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("scan --format json (exit %d): %v\n%s\n%s", code, err, out, errb)
	}
	if m.Summary.ExitStatus != code {
		t.Fatalf("JSON says exit %d, the command exited %d", m.Summary.ExitStatus, code)
	}
	return code, m
}

// cleanAccount turns on the account's Block Public Access: a fresh moto
// account has nothing else gcguard objects to.
func cleanAccount(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.Config(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s3control.NewFromConfig(cfg, testkit.S3ControlEndpoint(moto.Endpoint())).PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
		AccountId: aws.String("123456789012"),
		PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// addKey gives IAM user alice an access key.
func addKey(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.Config(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	im := iam.NewFromConfig(cfg)
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId)
}

// The exit status tells "checked, fine" (0) from "checked, not fine" (3)
// from "could not check" (1) and "called wrongly" (2), in every format.
func TestScanExitStatus(t *testing.T) {
	t.Run("clean", func(t *testing.T) {
		moto.ResetT(t)
		cleanAccount(t)
		code, out, errb := scanCmd(t, moto.Endpoint())
		if code != report.ExitClean {
			t.Fatalf("exit %d\n%s\n%s", code, out, errb)
		}
		if !strings.Contains(out, "verdict: clean") {
			t.Fatalf("text: %s", out)
		}
		code, m := scanJSON(t, moto.Endpoint())
		if code != report.ExitClean || m.Summary.Verdict != report.Clean || len(m.Summary.Rules) != 5 {
			t.Fatalf("json: exit %d %+v", code, m.Summary)
		}
		for _, r := range m.Summary.Rules {
			if r.NotAssessed != 0 || r.Unlisted != "" {
				t.Fatalf("rule %s not fully assessed on a clean account: %+v", r.Rule, r)
			}
		}
	})
	t.Run("violations", func(t *testing.T) {
		moto.ResetT(t)
		cleanAccount(t)
		key := addKey(t)
		code, out, errb := scanCmd(t, moto.Endpoint())
		if code != report.ExitViolations || !strings.Contains(out, key) {
			t.Fatalf("exit %d\n%s\n%s", code, out, errb)
		}
		// Before deployment an existing key is a person's decision: the
		// scan never says it would delete it.
		if strings.Contains(strings.ToLower(out), "delete access key") || strings.Contains(out, "would delete") {
			t.Fatalf("a pre-deployment scan proposes deleting an existing key:\n%s", out)
		}
		code, m := scanJSON(t, moto.Endpoint())
		if code != report.ExitViolations || m.Summary.Verdict != report.ViolationsFound {
			t.Fatalf("json: exit %d %+v", code, m.Summary)
		}
		// The account file drives the scan the same way; its deployedAt
		// (after the key was made) makes the key a new violation.
		cfgPath := filepath.Join(t.TempDir(), "123456789012.json")
		body := `{"account":"123456789012","notices":{"emails":["ops@example.lg.jp"]},"deployedAt":"2001-01-01T09:00:00+09:00"}`
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, fm := scanJSON(t, moto.Endpoint(), "--config", cfgPath); code != report.ExitViolations || !strings.Contains(fmt.Sprint(fm.Rows), key) {
			t.Fatalf("scan --config: exit %d %+v", code, fm.Summary)
		} else if out, _ := json.Marshal(fm.Rows); !strings.Contains(strings.ToLower(string(out)), "delete") {
			t.Fatalf("scan --config with an old deployedAt: the new key is not to be deleted: %s", out)
		}
		var keyRow *report.Row
		for i, r := range m.Rows {
			if r.Rule == "accesskey" {
				keyRow = &m.Rows[i]
			}
		}
		if keyRow == nil || keyRow.Status != report.Existing || len(keyRow.Actions) != 0 || !strings.Contains(keyRow.Resource, key) {
			t.Fatalf("the key row: %+v", keyRow)
		}
		// After deployment (the key is older than it), the same key is
		// still an existing key; a key made after deployment is a
		// violation gcguard deletes.
		code, m = scanJSON(t, moto.Endpoint(), "--deployed-at", "2000-01-01T00:00:00Z")
		if code != report.ExitViolations {
			t.Fatalf("deployed: exit %d", code)
		}
		for _, r := range m.Rows {
			if r.Rule == "accesskey" && (r.Status != report.Violation || len(r.Actions) == 0) {
				t.Fatalf("a key made after deployment: %+v", r)
			}
		}
	})
	t.Run("access denied on one listing", func(t *testing.T) {
		moto.ResetT(t)
		cleanAccount(t)
		p := moto.StartProxyT(t)
		p.SetFault(testkit.Match("iam", func(testkit.Call) *testkit.Fault {
			return &testkit.Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: "User is not authorized to perform: iam:ListRoles"}
		}, "ListRoles"))
		code, out, errb := scanCmd(t, p.Endpoint())
		if code != report.ExitNotAssessed {
			t.Fatalf("exit %d\n%s\n%s", code, out, errb)
		}
		if !strings.Contains(errb, "roletrust") || !strings.Contains(out, "NOT a clean result") || !strings.Contains(out, "AccessDenied") {
			t.Fatalf("the report does not say what was not assessed:\n%s\n%s", out, errb)
		}
		code, m := scanJSON(t, p.Endpoint())
		if code != report.ExitNotAssessed || m.Summary.Verdict != report.CouldNotAssess {
			t.Fatalf("json: exit %d %+v", code, m.Summary)
		}
		for _, r := range m.Summary.Rules {
			if (r.Rule == "roletrust") != (r.Unlisted != "") {
				t.Fatalf("rule %s: unlisted %q", r.Rule, r.Unlisted)
			}
		}
	})
	t.Run("throttled out of one listing", func(t *testing.T) {
		moto.ResetT(t)
		cleanAccount(t)
		p := moto.StartProxyT(t)
		p.SetFault(testkit.Match("s3", testkit.Throttle, "ListBuckets"))
		code, m := scanJSON(t, p.Endpoint())
		if code != report.ExitNotAssessed {
			t.Fatalf("exit %d %+v", code, m.Summary)
		}
		// A one-shot scan goes on with the other rules after the throttled one.
		for _, r := range m.Summary.Rules {
			if (r.Rule == "bucket") != (r.Unlisted != "") {
				t.Fatalf("rule %s: unlisted %q", r.Rule, r.Unlisted)
			}
		}
	})
	t.Run("access denied on one resource", func(t *testing.T) {
		moto.ResetT(t)
		cleanAccount(t)
		addKey(t)
		p := moto.StartProxyT(t)
		p.SetFault(testkit.Match("iam", func(testkit.Call) *testkit.Fault {
			return &testkit.Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: "User is not authorized to perform: iam:GetLoginProfile"}
		}, "GetLoginProfile"))
		code, m := scanJSON(t, p.Endpoint())
		if code != report.ExitNotAssessed {
			t.Fatalf("exit %d %+v", code, m.Summary)
		}
		found := false
		for _, r := range m.Rows {
			if r.Severity == report.NotAssessed && strings.HasSuffix(r.Resource, "user/alice") && r.Rule == "iamuser" {
				found = true
			}
		}
		if !found {
			t.Fatalf("no not-assessed row for alice: %+v", m.Rows)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"--no-such-flag"}, {"--format", "pdf"}, {"--deployed-at", "yesterday"}, {"extra"}, {"--json", "--kms-key", "nokey"}} {
			if code, _, errb := scanCmd(t, moto.Endpoint(), args...); code != exitBadInput {
				t.Fatalf("%v: exit %d: %s", args, code, errb)
			}
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_SESSION_TOKEN", "")
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
		t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
		t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"scan", "--region", "ap-northeast-1", "--account", "123456789012", "--quiet"}, &out, &errb)
		if code != exitFailed || !strings.Contains(errb.String(), "aws sso login --profile") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Fatalf("exit %d: %q", code, errb.String())
		}
	})
}

// The report files: CSV comes back as it went out; --out writes the file.
func TestScanReportFiles(t *testing.T) {
	moto.ResetT(t)
	cleanAccount(t)
	addKey(t)
	dir := t.TempDir()
	_, m := scanJSON(t, moto.Endpoint())
	csvPath := filepath.Join(dir, "scan.csv")
	if code, _, errb := scanCmd(t, moto.Endpoint(), "--format", "csv", "--out", csvPath); code != report.ExitViolations {
		t.Fatalf("exit %d: %s", code, errb)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(m.Rows) || len(rows) == 0 {
		t.Fatalf("CSV has %d rows, JSON %d", len(rows), len(m.Rows))
	}
	for i := range rows {
		a, b := rows[i], m.Rows[i]
		if a.Resource != b.Resource || a.Rule != b.Rule || a.Severity != b.Severity || a.Reason != b.Reason || strings.Join(a.Actions, "|") != strings.Join(b.Actions, "|") {
			t.Fatalf("row %d: CSV %+v\nJSON %+v", i, a, b)
		}
	}
}

// Progress on a terminal: done/total per rule, redrawn in place, never
// wider than the terminal; "+" while a rule is still listing.
func TestScanProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 40)
	p.listed("accesskey", 1, false)
	p.listed("accesskey", 2, true)
	p.item(guardrail.Result{Rule: "accesskey"})
	p.listed("roletrust", 5, false)
	p.item(guardrail.Result{Rule: "roletrust"})
	p.finish()
	draws := strings.Split(b.String(), "\r")
	if len(draws) < 3 || !strings.Contains(b.String(), "accesskey 0/1+") || !strings.Contains(b.String(), "accesskey 1/2") {
		t.Fatalf("progress: %q", b.String())
	}
	for _, d := range draws {
		if report.Width(d) > 39 {
			t.Fatalf("a progress line of %d columns on a 40-column terminal: %q", report.Width(d), d)
		}
	}
	if !strings.HasSuffix(b.String(), "\r") {
		t.Fatalf("progress does not clear its line at the end: %q", b.String())
	}
}
