package rules_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// world is one scenario's account on moto behind a recording proxy.
type world struct {
	sb    *sandbox.Sandbox
	proxy *testkit.Proxy
	iam   *iam.Client
	// subs replaces fixture placeholders with live values.
	subs map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	cfg, err := p.Config(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(context.Background(), cfg, p.Env())
	if err != nil {
		t.Fatal(err)
	}
	return &world{sb: sb, proxy: p, iam: iam.NewFromConfig(cfg), subs: map[string]string{}}
}

func (w *world) event(t *testing.T, path string) []byte {
	t.Helper()
	s := string(testkit.LoadEvent(t, "events/"+path))
	for k, v := range w.subs {
		s = strings.ReplaceAll(s, k, v)
	}
	return []byte(s)
}

func (w *world) user(t *testing.T, name string) {
	t.Helper()
	if _, err := w.iam.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) newKey(t *testing.T, user string) string {
	t.Helper()
	k, err := w.iam.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId)
}

// keys maps key id → status for a user.
func (w *world) keys(t *testing.T, user string) map[string]string {
	t.Helper()
	out, err := w.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, k := range out.AccessKeyMetadata {
		m[aws.ToString(k.AccessKeyId)] = string(k.Status)
	}
	return m
}

func (w *world) setStatus(t *testing.T, user, key, status string) {
	t.Helper()
	_, err := w.iam.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(key), Status: iamStatus(status)})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) records(t *testing.T, resource string) []*audit.Record {
	t.Helper()
	recs, err := w.sb.Store.History(context.Background(), resource, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func (w *world) notices(t *testing.T, n int) []notify.Notice {
	t.Helper()
	ns, err := w.sb.WaitNotices(context.Background(), n, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != n {
		t.Fatalf("want %d notice(s), got %d: %+v", n, len(ns), ns)
	}
	return ns
}

// exemptions writes the entries of an old-format list signed, as
// `gcguard exempt` writes them.
func (w *world) exemptions(t *testing.T, value string) {
	t.Helper()
	ex, err := config.ParseExemptions([]byte(value), nil)
	if err != nil {
		t.Fatal(err)
	}
	if value, err = guardrail.SignedExemptionDoc(context.Background(), w.sb.Store.MAC, ex); err != nil {
		t.Fatal(err)
	}
	_, err = ssm.NewFromConfig(w.sb.AWS).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String("/gcguard/exemptions"), Value: aws.String(value), Type: "String", Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	w.sb.Config.ExemptionsParam = "/gcguard/exemptions"
}

func (w *world) breakAudit(t *testing.T) {
	t.Helper()
	_, err := dynamodb.NewFromConfig(w.sb.AWS).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(sandbox.AuditTable)})
	if err != nil {
		t.Fatal(err)
	}
}

func calls(cs []testkit.Call) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Service+":"+c.Action)
	}
	return strings.Join(s, " ")
}

// noWrites fails when any IAM write happened.
func noWrites(t *testing.T, w *world) {
	t.Helper()
	if m := w.proxy.Mutating("iam"); len(m) != 0 {
		t.Fatalf("unexpected IAM writes: %s", calls(m))
	}
}

const userARN = "arn:aws:iam::123456789012:user/"
