package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// scan reports what gcguard would change and changes nothing.
func TestScanReportsAndChangesNothing(t *testing.T) {
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	ctx := context.Background()
	cfg, err := p.Config(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	im := iam.NewFromConfig(cfg)
	if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	p.Reset()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"scan", "--endpoint", p.Endpoint(), "--region", "us-east-1", "--account", "123456789012", "--json", "--quiet"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got scanOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	found := false
	for _, e := range got.Entries {
		if e.Rule == "accesskey" && e.Outcome == finding.WouldFix && len(e.Violations) == 1 && e.Violations[0] == finding.AccessKeyCreated {
			found = true
		}
	}
	if !found {
		t.Fatalf("scan did not report alice's key %s: %s", aws.ToString(key.AccessKey.AccessKeyId), out.String())
	}
	if m := p.Mutating(""); len(m) != 0 {
		t.Fatalf("scan made mutating calls: %v", m)
	}
	// The text form names the key's user and says nothing was changed.
	out.Reset()
	if code := run(ctx, []string{"scan", "--endpoint", p.Endpoint(), "--region", "us-east-1", "--account", "123456789012", "--quiet"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !bytes.Contains(out.Bytes(), []byte("nothing was changed")) || !bytes.Contains(out.Bytes(), []byte("user/alice")) {
		t.Fatalf("text output: %s", out.String())
	}
}
