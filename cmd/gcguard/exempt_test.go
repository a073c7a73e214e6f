package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

func newSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	moto.ResetT(t)
	cfg, err := moto.Config(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(context.Background(), cfg, moto.Env())
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

func param(t *testing.T, sb *sandbox.Sandbox) (string, int64) {
	t.Helper()
	out, err := ssm.NewFromConfig(sb.AWS).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(DefaultExemptionsParam)})
	if err != nil {
		return "", 0
	}
	return aws.ToString(out.Parameter.Value), out.Parameter.Version
}

func exempt(t *testing.T, sb *sandbox.Sandbox, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"exempt"}, args[0])
	full = append(full, "--endpoint", moto.Endpoint(), "--region", "us-east-1", "--mac-key", sb.Config.MacKeyARN, "--by", "tester")
	full = append(full, args[1:]...)
	if code := run(context.Background(), full, &out, &errb); code != want {
		t.Fatalf("gcguard %v: exit %d, want %d\n%s%s", full, code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func TestExemptAddListRemoveSync(t *testing.T) {
	sb := newSandbox(t)
	ctx := context.Background()
	user := "arn:aws:iam::123456789012:user/legacy-batch"
	// Bad input is refused before anything is written.
	for _, bad := range [][]string{
		{"add", "--rule", "accesskey", "--resource", user, "--approval", "DA-1", "--expires", "2020-01-01"},
		{"add", "--rule", "accesskey", "--resource", "arn:aws:iam::123456789012:role/x", "--approval", "DA-1", "--expires", "2099-01-01"},
		{"add", "--rule", "acesskey", "--resource", user, "--approval", "DA-1", "--expires", "2099-01-01"},
		{"add", "--rule", "accesskey", "--resource", user, "--approval", " ", "--expires", "2099-01-01"},
		{"add", "--rule", "accesskey", "--resource", user, "--approval", "DA-1", "--expires", "31/12/2099"},
	} {
		exempt(t, sb, exitBadInput, bad...)
	}
	if v, _ := param(t, sb); v != "" {
		t.Fatalf("refused input wrote %s", v)
	}
	// --dry-run shows and writes nothing.
	out := exempt(t, sb, exitOK, "add", "--rule", "accesskey", "--resource", user, "--approval", "DA-2026-0042", "--expires", "2099-03-31", "--dry-run")
	if !strings.Contains(out, "dry run") || !strings.Contains(out, user) {
		t.Fatalf("dry run said: %s", out)
	}
	if v, _ := param(t, sb); v != "" {
		t.Fatal("dry run wrote")
	}
	exempt(t, sb, exitOK, "add", "--rule", "accesskey", "--resource", user, "--approval", "DA-2026-0042", "--expires", "2099-03-31", "--note", "batch")
	value, _ := param(t, sb)
	doc, legacy, err := config.DecodeExemptionDoc([]byte(value))
	if err != nil || legacy || len(doc.Entries) != 1 {
		t.Fatalf("parameter: %s (%v)", value, err)
	}
	if e := doc.Entries[0]; e.AddedBy != "tester" || e.Source != config.SourceCLI || e.MAC == "" {
		t.Fatalf("entry: %+v", e)
	}
	if ok, err := guardrail.VerifyExemption(ctx, sb.Store.MAC, doc.Entries[0]); err != nil || !ok {
		t.Fatalf("written entry does not verify: %v %v", ok, err)
	}
	if out := exempt(t, sb, exitOK, "list"); !strings.Contains(out, "verified") || !strings.Contains(out, "DA-2026-0042") {
		t.Fatalf("list: %s", out)
	}
	// The same exemption twice is refused.
	exempt(t, sb, exitFailed, "add", "--rule", "accesskey", "--resource", user, "--approval", "DA-2026-0043", "--expires", "2099-03-31")

	// sync writes the config file's entries and keeps the one added by hand.
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "account.json")
	writeConfig := func(body string) {
		if err := os.WriteFile(cfgFile, []byte(`{"account":"123456789012","notices":{"emails":["ops@example.lg.jp"]},"deployedAt":"2026-11-24T09:00:00+09:00","exemptions":`+body+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(`[{"rule":"bucket","resource":"arn:aws:s3:::city-*","approval":"CAB-7","expires":"2099-11-24"},
		{"rule":"roletrust","resource":"arn:aws:iam::123456789012:role/app","approval":"CAB-8","expires":"2099-11-24"}]`)
	exempt(t, sb, exitOK, "sync", "--config", cfgFile)
	_, v1 := param(t, sb)
	out = exempt(t, sb, exitOK, "list")
	if strings.Count(out, "verified") != 3 || !strings.Contains(out, "source config") || !strings.Contains(out, "source cli") {
		t.Fatalf("after sync: %s", out)
	}
	// A second sync with nothing new writes nothing.
	if out := exempt(t, sb, exitOK, "sync", "--config", cfgFile); !strings.Contains(out, "up to date") {
		t.Fatalf("second sync: %s", out)
	}
	if _, v := param(t, sb); v != v1 {
		t.Fatalf("an idempotent sync wrote version %d", v)
	}
	// Someone alters an entry: list says INVALID, and the next write drops
	// it rather than re-signing it.
	value, _ = param(t, sb)
	tampered := strings.Replace(value, `"expires":"2099-11-24"`, `"expires":"2199-11-24"`, 1)
	if _, err := ssm.NewFromConfig(sb.AWS).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(DefaultExemptionsParam), Value: aws.String(tampered), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if out := exempt(t, sb, exitOK, "list"); !strings.Contains(out, "INVALID (MAC does not verify)") {
		t.Fatalf("tampered entry not flagged: %s", out)
	}
	writeConfig(`[{"rule":"roletrust","resource":"arn:aws:iam::123456789012:role/app","approval":"CAB-8","expires":"2099-11-24"}]`)
	if out := exempt(t, sb, exitOK, "sync", "--config", cfgFile); !strings.Contains(out, "dropping [1]") {
		t.Fatalf("sync over a tampered entry: %s", out)
	}
	out = exempt(t, sb, exitOK, "list")
	if strings.Contains(out, "INVALID") || strings.Contains(out, "city-*") || strings.Count(out, "verified") != 2 {
		t.Fatalf("after second sync: %s", out)
	}
	// remove by resource, then by index.
	exempt(t, sb, exitOK, "remove", user)
	exempt(t, sb, exitFailed, "remove", user)
	exempt(t, sb, exitOK, "remove", "0")
	if out := exempt(t, sb, exitOK, "list"); !strings.Contains(out, "no exemptions") {
		t.Fatalf("after removes: %s", out)
	}
	// The old unsigned format is reported, never taken over.
	if _, err := ssm.NewFromConfig(sb.AWS).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(DefaultExemptionsParam),
		Value: aws.String(`[{"rule":"accesskey","resource":"` + user + `","approval":"A","expires":"2099-01-01"}]`), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if out := exempt(t, sb, exitOK, "list"); !strings.Contains(out, "old unsigned format") || !strings.Contains(out, "INVALID (unsigned)") {
		t.Fatalf("legacy list: %s", out)
	}
}

// revert verifies the record, shows live → restored, and asks.
func TestRevertShowsDiffAndAsks(t *testing.T) {
	sb := newSandbox(t)
	ctx := context.Background()
	im := iam.NewFromConfig(sb.AWS)
	orig := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}`
	if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-deploy"), AssumeRolePolicyDocument: aws.String(orig)}); err != nil {
		t.Fatal(err)
	}
	eng, err := sb.Engine(guardrail.Default, "roletrust")
	if err != nil {
		t.Fatal(err)
	}
	eng.Logger = discardLogger()
	if err := eng.Handle(ctx, testkit.LoadEvent(t, "events/iam/create-role.json")); err != nil {
		t.Fatal(err)
	}
	trust := func() string {
		out, err := im.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-deploy")})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
		return s
	}
	fixed := trust()
	if fixed == orig {
		t.Fatal("the role was not fixed")
	}
	recs, err := sb.Store.History(ctx, "arn:aws:iam::123456789012:role/app-deploy", 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records: %v %v", recs, err)
	}
	id := recs[0].ID
	revert := func(want int, input string, terminal bool, args ...string) string {
		t.Helper()
		stdin, stdinIsTerminal = strings.NewReader(input), func() bool { return terminal }
		defer func() { stdin, stdinIsTerminal = os.Stdin, func() bool { return false } }()
		var out, errb bytes.Buffer
		full := append([]string{"revert", "--endpoint", moto.Endpoint(), "--region", "us-east-1", "--table", sandbox.AuditTable,
			"--account", "123456789012", "--mac-key", sb.Config.MacKeyARN, "--by", "tester"}, args...)
		if code := run(ctx, append(full, id), &out, &errb); code != want {
			t.Fatalf("revert %v: exit %d, want %d\n%s%s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	out := revert(exitOK, "", false, "--dry-run")
	if !strings.Contains(out, "(verified)") || !strings.Contains(out, "live → restored") || !strings.Contains(out, "+ ") || !strings.Contains(out, "- ") || !strings.Contains(out, "aws:PrincipalArn") {
		t.Fatalf("dry run does not show the diff: %s", out)
	}
	if trust() != fixed {
		t.Fatal("dry run changed the role")
	}
	if out := revert(exitBadInput, "", false); !strings.Contains(out, "--yes") || trust() != fixed {
		t.Fatalf("reverted without a terminal or --yes: %s", out)
	}
	if out := revert(exitOK, "n\n", true); !strings.Contains(out, "[y/N]") || !strings.Contains(out, "not reverted") || trust() != fixed {
		t.Fatalf("answer n: %s", out)
	}
	// An edited record is refused before anything is shown or written.
	db := dynamodb.NewFromConfig(sb.AWS)
	key := map[string]types.AttributeValue{audit.AttrPK: &types.AttributeValueMemberS{Value: "RES#" + recs[0].Resource},
		audit.AttrSK: &types.AttributeValueMemberS{Value: "REC#" + recs[0].Created.UTC().Format(time.RFC3339Nano) + "#" + id}}
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sandbox.AuditTable), Key: key})
	if err != nil || item.Item == nil {
		t.Fatalf("read record: %v", err)
	}
	good := item.Item["before"]
	foreign := `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"`
	item.Item["before"] = &types.AttributeValueMemberS{Value: foreign}
	put := func(it map[string]types.AttributeValue) {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sandbox.AuditTable), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	put(item.Item)
	if out := revert(exitFailed, "y\n", true, "--yes"); !strings.Contains(out, "does not verify") || !strings.Contains(out, "CRITICAL") || trust() != fixed {
		t.Fatalf("edited record: %s", out)
	}
	item.Item["before"] = good
	put(item.Item)
	if out := revert(exitOK, "y\n", true); !strings.Contains(out, "reverted "+id) || trust() != orig {
		t.Fatalf("answer y: %s (trust now %s)", out, trust())
	}
	// The revert's own record and hold are signed.
	hold, err := sb.Store.ActiveHold(ctx, recs[0].Resource, time.Now())
	if err != nil || hold == nil {
		t.Fatalf("no verified hold after the revert: %v", err)
	}
	back, err := sb.Store.Get(ctx, hold.AuditID)
	if err != nil || back.RevertOf != id {
		t.Fatalf("revert record: %+v %v", back, err)
	}
}

func TestLineDiff(t *testing.T) {
	got := strings.Join(lineDiff([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"}), "|")
	if want := "  a|- b|+ x|  c|+ d"; got != want {
		t.Fatalf("diff %q, want %q", got, want)
	}
}
