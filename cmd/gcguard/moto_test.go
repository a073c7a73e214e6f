package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/report"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// scan reports what gcguard would change and changes nothing.
func TestScanReportsAndChangesNothing(t *testing.T) {
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	ctx := context.Background()
	key := addKey(t)
	p.Reset()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"scan", "--endpoint", p.Endpoint(), "--region", "us-east-1", "--account", "123456789012", "--json", "--quiet"}, &out, &errb)
	if code != report.ExitViolations {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got report.Model
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	found := false
	for _, e := range got.Rows {
		if e.Rule == "accesskey" && e.Outcome == finding.WouldFix && len(e.Violations) == 1 && e.Violations[0] == finding.AccessKeyCreated {
			found = true
		}
	}
	if !found {
		t.Fatalf("scan did not report alice's key %s: %s", key, out.String())
	}
	if m := p.Mutating(""); len(m) != 0 {
		t.Fatalf("scan made mutating calls: %v", m)
	}
	// The text form names the key's user and says nothing was changed.
	out.Reset()
	if code := run(ctx, []string{"scan", "--endpoint", p.Endpoint(), "--region", "us-east-1", "--account", "123456789012", "--quiet"}, &out, &errb); code != report.ExitViolations {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !bytes.Contains(out.Bytes(), []byte("nothing was changed")) || !bytes.Contains(out.Bytes(), []byte("user/alice")) {
		t.Fatalf("text output: %s", out.String())
	}
}

// history lists what the engine recorded; revert undoes it by id.
func TestHistoryAndRevert(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	cfg, err := moto.Config(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(ctx, cfg, moto.Env())
	if err != nil {
		t.Fatal(err)
	}
	sb.Config.AccessKeyAction = config.AccessKeyDeactivate
	im := iam.NewFromConfig(cfg)
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(k.AccessKey.AccessKeyId)
	ev := bytes.ReplaceAll(testkit.LoadEvent(t, "events/iam/create-access-key.json"), []byte("AKIAEXAMPLEKEY000001"), []byte(keyID))
	eng, err := sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	common := []string{"--endpoint", moto.Endpoint(), "--region", "us-east-1", "--table", sandbox.AuditTable}
	revertFlags := []string{"--mac-key", sb.Config.MacKeyARN, "--yes"}
	var out, errb bytes.Buffer
	if code := run(ctx, append([]string{"history", "--json", "--resource", "arn:aws:iam::123456789012:user/alice"}, common...), &out, &errb); code != exitOK {
		t.Fatalf("history exit %d: %s", code, errb.String())
	}
	var recs []audit.Record
	if err := json.Unmarshal(out.Bytes(), &recs); err != nil || len(recs) != 1 || recs[0].Status != audit.Applied {
		t.Fatalf("history: %v %s", err, out.String())
	}
	out.Reset()
	if code := run(ctx, append(append([]string{"revert", "--account", "123456789012", "--by", "tester", recs[0].ID}, revertFlags...), common...), &out, &errb); code != exitOK {
		t.Fatalf("revert exit %d: %s", code, errb.String())
	}
	keys, err := im.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != "Active" {
		t.Fatalf("revert did not reactivate the key: %+v %v", keys, err)
	}
	// A second revert of the same record is refused: exit 1 with the reason.
	errb.Reset()
	if code := run(ctx, append(append([]string{"revert", "--account", "123456789012", recs[0].ID}, revertFlags...), common...), &out, &errb); code != exitFailed || !bytes.Contains(errb.Bytes(), []byte("already reverted")) {
		t.Fatalf("second revert: exit %d, %s", code, errb.String())
	}
	// Unknown ids and bad usage.
	if code := run(ctx, append(append([]string{"revert", "--account", "123456789012", "20000101T000000Z-00000000"}, revertFlags...), common...), &out, &errb); code != exitFailed {
		t.Fatalf("unknown id: exit %d", code)
	}
	if code := run(ctx, []string{"revert"}, &out, &errb); code != exitBadInput {
		t.Fatalf("no id: exit %d", code)
	}
}
