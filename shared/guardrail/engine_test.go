package guardrail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/guardrail/internal/testrule"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

const fnPkg = "github.com/gcguard/gcguard/shared/guardrail/internal/testrule/testfn"

// world is one scenario's account: moto behind a recording proxy, the
// sandbox resources, and a user "alice".
type world struct {
	sb    *sandbox.Sandbox
	proxy *testkit.Proxy
	iam   *iam.Client
	event []byte
}

func newWorld(t *testing.T, tags map[string]string) *world {
	t.Helper()
	moto.ResetT(t)
	ctx := context.Background()
	p := moto.StartProxyT(t)
	cfg, err := p.Config(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(ctx, cfg, p.Env())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{sb: sb, proxy: p, iam: iam.NewFromConfig(cfg), event: testkit.LoadEvent(t, "shared/guardrail/testdata/tag-user.json")}
	if _, err := w.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	var tt []types.Tag
	for k, v := range tags {
		tt = append(tt, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if len(tt) > 0 {
		if _, err := w.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: tt}); err != nil {
			t.Fatal(err)
		}
	}
	p.Reset()
	return w
}

func (w *world) tags(t *testing.T) map[string]string {
	t.Helper()
	out, err := w.iam.ListUserTags(context.Background(), &iam.ListUserTagsInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, tg := range out.Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func (w *world) records(t *testing.T) []*audit.Record {
	t.Helper()
	recs, err := w.sb.Store.History(context.Background(), "arn:aws:iam::123456789012:user/alice", 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func withEvent(t *testing.T, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	return b
}

func detail(m map[string]any) map[string]any { return m["detail"].(map[string]any) }

// The engine's scenarios, each run in-process and through a real bootstrap.
func TestEngineScenarios(t *testing.T) {
	forbidden := map[string]string{testrule.ForbiddenTag: "yes", "owner": "city"}
	scenarios := []struct {
		name    string
		tags    map[string]string
		setup   func(t *testing.T, w *world)
		event   func(t *testing.T, w *world) []byte
		wantErr bool
		check   func(t *testing.T, w *world)
	}{{
		name: "violation fixed, audited, announced",
		tags: forbidden,
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; ok {
				t.Fatal("forbidden tag still there")
			}
			if w.tags(t)["owner"] != "city" {
				t.Fatal("another tag was touched")
			}
			recs := w.records(t)
			if len(recs) != 1 || recs[0].Status != audit.Applied || recs[0].Outcome != finding.Fixed {
				t.Fatalf("want one applied record, got %+v", recs)
			}
			if recs[0].Actor.Email != "taro.yamada@lg.id.cloud.go.jp" || !strings.Contains(string(recs[0].Before), "yes") {
				t.Fatalf("record lacks actor or prior state: %+v", recs[0])
			}
			ns := notices(t, w, 1)
			if ns[0].Outcome != finding.Fixed || ns[0].AuditID != recs[0].ID || ns[0].RevertCommand != "gcguard revert "+recs[0].ID {
				t.Fatalf("notice %+v does not match record %s", ns[0], recs[0].ID)
			}
			// Audit first: the record's put precedes the untag.
			order := actions(w.proxy.Mutating(""))
			if strings.Index(order, "PutItem") > strings.Index(order, "UntagUser") {
				t.Fatalf("write before audit: %s", order)
			}
		},
	}, {
		name: "compliant resource: no mutating call, no notice",
		tags: map[string]string{"owner": "city"},
		check: func(t *testing.T, w *world) {
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("mutating calls on a compliant resource: %s", actions(m))
			}
			if len(w.records(t)) != 0 || len(notices(t, w, 0)) != 0 {
				t.Fatal("record or notice for a compliant resource")
			}
		},
	}, {
		name: "notify mode reports and changes nothing",
		tags: forbidden,
		setup: func(t *testing.T, w *world) {
			w.sb.Config.Modes[testrule.Name] = config.Notify
		},
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; !ok {
				t.Fatal("notify mode changed the resource")
			}
			if m := w.proxy.Mutating("iam"); len(m) != 0 {
				t.Fatalf("notify mode made IAM writes: %s", actions(m))
			}
			recs := w.records(t)
			if len(recs) != 1 || recs[0].Status != audit.Reported || recs[0].Outcome != finding.WouldFix {
				t.Fatalf("want one reported record, got %+v", recs)
			}
			if ns := notices(t, w, 1); ns[0].Outcome != finding.WouldFix || ns[0].RevertCommand != "" {
				t.Fatalf("notice %+v", ns[0])
			}
		},
	}, {
		name: "audit write fails: nothing changes and the error is returned",
		tags: forbidden,
		setup: func(t *testing.T, w *world) {
			_, err := dynamodb.NewFromConfig(w.sb.AWS).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(sandbox.AuditTable)})
			if err != nil {
				t.Fatal(err)
			}
		},
		wantErr: true,
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; !ok {
				t.Fatal("resource changed although its audit record could not be written")
			}
			if m := w.proxy.Mutating("iam"); len(m) != 0 {
				t.Fatalf("IAM writes without audit: %s", actions(m))
			}
		},
	}, {
		name: "self-caused event ends quietly",
		tags: forbidden,
		event: func(t *testing.T, w *world) []byte {
			return withEvent(t, w.event, func(m map[string]any) {
				id := detail(m)["userIdentity"].(map[string]any)
				id["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["arn"] = sandbox.OwnRoleARN
			})
		},
		check: untouched,
	}, {
		name: "a session merely named like gcguard is not gcguard",
		tags: forbidden,
		event: func(t *testing.T, w *world) []byte {
			return withEvent(t, w.event, func(m map[string]any) {
				detail(m)["userIdentity"].(map[string]any)["arn"] = "arn:aws:sts::123456789012:assumed-role/other/gcguard-accesskey"
			})
		},
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; ok {
				t.Fatal("a session name exempted the call")
			}
		},
	}, {
		name: "failed call ends quietly",
		tags: forbidden,
		event: func(t *testing.T, w *world) []byte {
			return withEvent(t, w.event, func(m map[string]any) { detail(m)["errorCode"] = "AccessDenied" })
		},
		check: untouched,
	}, {
		name: "malformed event ends with no error and no change",
		tags: forbidden,
		event: func(t *testing.T, w *world) []byte {
			return []byte(`{"id":"bad-1","detail-type":"AWS API Call via CloudTrail","detail":"x"}`)
		},
		check: untouched,
	}, {
		name: "active exemption: reported as exempted, not changed",
		tags: forbidden,
		setup: func(t *testing.T, w *world) {
			putExemptions(t, w, `[{"rule":"testtag","resource":"arn:aws:iam::123456789012:user/ali*","approval":"DA-2026-001","expires":"2099-12-31"}]`)
		},
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; !ok {
				t.Fatal("exempted resource changed")
			}
			recs := w.records(t)
			if len(recs) != 1 || recs[0].Outcome != finding.Exempted {
				t.Fatalf("want one exempted record, got %+v", recs)
			}
		},
	}, {
		name: "expired exemption: fixed, and the expiry is said",
		tags: forbidden,
		setup: func(t *testing.T, w *world) {
			putExemptions(t, w, `[{"rule":"testtag","resource":"arn:aws:iam::123456789012:user/alice","approval":"DA-2020-001","expires":"2020-01-31"}]`)
		},
		check: func(t *testing.T, w *world) {
			if _, ok := w.tags(t)[testrule.ForbiddenTag]; ok {
				t.Fatal("expired exemption still protects")
			}
			ns := notices(t, w, 1)
			if !strings.Contains(ns[0].Reason, "expired") {
				t.Fatalf("notice does not say the exemption expired: %q", ns[0].Reason)
			}
		},
	}, {
		name: "lease held by another invocation: error for retry, nothing written",
		tags: forbidden,
		setup: func(t *testing.T, w *world) {
			err := w.sb.Store.Acquire(context.Background(), "arn:aws:iam::123456789012:user/alice", "someone-else", time.Now(), 10*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			w.sb.Config.LeaseDuration = 30 * time.Second
		},
		wantErr: true,
		check: func(t *testing.T, w *world) {
			if m := w.proxy.Mutating("iam"); len(m) != 0 {
				t.Fatalf("wrote without the lease: %s", actions(m))
			}
		},
	}}
	for _, way := range sandbox.Ways(fnPkg, guardrail.Default, testrule.Name) {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newWorld(t, sc.tags)
				if sc.setup != nil {
					sc.setup(t, w)
				}
				invoke := way.Start(t, w.sb)
				ev := w.event
				if sc.event != nil {
					ev = sc.event(t, w)
				}
				w.proxy.Reset()
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				err := invoke(ctx, ev)
				if (err != nil) != sc.wantErr {
					t.Fatalf("invoke error = %v, want error: %v", err, sc.wantErr)
				}
				sc.check(t, w)
			})
		}
	}
}

// A second delivery of the same event writes nothing at all.
func TestDuplicateDeliveryWritesNothing(t *testing.T) {
	for _, way := range sandbox.Ways(fnPkg, guardrail.Default, testrule.Name) {
		t.Run(way.Name, func(t *testing.T) {
			w := newWorld(t, map[string]string{testrule.ForbiddenTag: "yes"})
			invoke := way.Start(t, w.sb)
			ctx := context.Background()
			if err := invoke(ctx, w.event); err != nil {
				t.Fatal(err)
			}
			notices(t, w, 1)
			w.proxy.Reset()
			if err := invoke(ctx, w.event); err != nil {
				t.Fatal(err)
			}
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("second delivery made mutating calls: %s", actions(m))
			}
		})
	}
}

// Revert restores the prior state, records it and holds the resource, so
// the next event does not undo the revert.
func TestRevertHolds(t *testing.T) {
	w := newWorld(t, map[string]string{testrule.ForbiddenTag: "yes"})
	eng, err := w.sb.Engine(guardrail.Default, testrule.Name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Handle(ctx, w.event); err != nil {
		t.Fatal(err)
	}
	rec := w.records(t)[0]
	back, what, err := eng.Revert(ctx, w.sb.Store, rec.ID, "test-operator", false)
	if err != nil {
		t.Fatal(err)
	}
	if w.tags(t)[testrule.ForbiddenTag] != "yes" || back.RevertOf != rec.ID || !strings.Contains(what, "until") {
		t.Fatalf("revert did not restore: tags %v, record %+v, %q", w.tags(t), back, what)
	}
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "test-operator", false); err == nil {
		t.Fatal("a record was reverted twice")
	}
	res, err := eng.HandleEvent(ctx, mustDecode(t, w.event))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != finding.Skipped || !strings.Contains(res[0].Reason, "held") || w.tags(t)[testrule.ForbiddenTag] != "yes" {
		t.Fatalf("hold ignored: %+v", res[0])
	}
}

// A notice whose publish failed is sent when the event is retried.
func TestFailedNoticeIsResent(t *testing.T) {
	w := newWorld(t, map[string]string{testrule.ForbiddenTag: "yes"})
	eng, err := w.sb.Engine(guardrail.Default, testrule.Name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w.proxy.SetFault(testkit.Match("sns", func(testkit.Call) *testkit.Fault {
		return &testkit.Fault{Status: 500, Code: "InternalError", Message: "injected"}
	}, "Publish"))
	if err := eng.Handle(ctx, w.event); err == nil {
		t.Fatal("a lost notice was not reported as an error")
	}
	w.proxy.SetFault(nil)
	if err := eng.Handle(ctx, w.event); err != nil {
		t.Fatal(err)
	}
	ns := notices(t, w, 1)
	if len(ns) != 1 || ns[0].Outcome != finding.Fixed {
		t.Fatalf("want the fixed notice once, got %+v", ns)
	}
}

// A malformed event is one clear log line with its id.
func TestMalformedEventLogsOnce(t *testing.T) {
	var buf bytes.Buffer
	eng := &guardrail.Engine{Config: &config.Config{}, Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := eng.Handle(context.Background(), []byte(`{"id":"abc-123","detail-type":"AWS API Call via CloudTrail","detail":{}}`)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"event_id":"abc-123"`) || !strings.Contains(lines[0], "eventName") {
		t.Fatalf("want one line naming the event and the problem, got %q", buf.String())
	}
}

func untouched(t *testing.T, w *world) {
	t.Helper()
	if _, ok := w.tags(t)[testrule.ForbiddenTag]; !ok {
		t.Fatal("resource changed")
	}
	if m := w.proxy.Mutating(""); len(m) != 0 {
		t.Fatalf("mutating calls: %s", actions(m))
	}
}

// putExemptions writes the entries of an old-format list signed, as
// `gcguard exempt` writes them.
func putExemptions(t *testing.T, w *world, value string) {
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

func notices(t *testing.T, w *world, n int) []notify.Notice {
	t.Helper()
	ns, err := w.sb.WaitNotices(context.Background(), n, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != n {
		t.Fatalf("want %d notices, got %d: %+v", n, len(ns), ns)
	}
	return ns
}

func actions(calls []testkit.Call) string {
	var s []string
	for _, c := range calls {
		s = append(s, c.Service+":"+c.Action)
	}
	return strings.Join(s, " ")
}

// A revert refuses when the resource changed since gcguard wrote it, and
// says what differs; --force reverts anyway.
func TestRevertRefusesChangedResource(t *testing.T) {
	w := newWorld(t, map[string]string{testrule.ForbiddenTag: "yes"})
	eng, err := w.sb.Engine(guardrail.Default, testrule.Name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Handle(ctx, w.event); err != nil {
		t.Fatal(err)
	}
	rec := w.records(t)[0]
	_, err = w.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{{Key: aws.String(testrule.ForbiddenTag), Value: aws.String("later")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = eng.Revert(ctx, w.sb.Store, rec.ID, "op", false)
	if !errors.Is(err, guardrail.ErrChanged) || !strings.Contains(err.Error(), "later") {
		t.Fatalf("want a refusal showing the difference, got %v", err)
	}
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "op", true); err != nil {
		t.Fatalf("forced revert: %v", err)
	}
	if w.tags(t)[testrule.ForbiddenTag] != "yes" {
		t.Fatal("forced revert did not restore")
	}
}

// The CloudWatch Logs source delivers bare CloudTrail records, gzipped:
// they are handled exactly as their EventBridge twins.
func TestCloudWatchLogsSource(t *testing.T) {
	w := newWorld(t, map[string]string{testrule.ForbiddenTag: "yes"})
	eng, err := w.sb.Engine(guardrail.Default, testrule.Name)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(w.event, &env); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{
		"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "aws-cloudtrail-logs",
		"logEvents": []map[string]string{{"id": "1", "message": string(env.Detail)}, {"id": "2", "message": "not json"}},
	})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	payload, _ := json.Marshal(map[string]any{"awslogs": map[string]any{"data": gz.Bytes()}})
	if err := eng.Handle(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.tags(t)[testrule.ForbiddenTag]; ok {
		t.Fatal("record from CloudWatch Logs not handled")
	}
	// Garbage in the awslogs envelope is a quiet, logged end.
	bad, _ := json.Marshal(map[string]any{"awslogs": map[string]any{"data": []byte("not gzip")}})
	if err := eng.Handle(context.Background(), bad); err != nil {
		t.Fatalf("malformed delivery returned %v", err)
	}
}

// A function without the MAC key does not start: it could neither trust a
// hold nor record a change.
func TestFunctionNeedsMacKey(t *testing.T) {
	env := map[string]string{config.EnvAccount: "123456789012", config.EnvAuditTable: "gcguard-audit"}
	_, err := guardrail.NewFunction(context.Background(), func(k string) string { return env[k] }, testrule.Name)
	if err == nil || !strings.Contains(err.Error(), config.EnvMacKeyARN) {
		t.Fatalf("started without a MAC key: %v", err)
	}
}
