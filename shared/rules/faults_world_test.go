package rules_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// faultWorld is a keyWorld plus clients that reach moto directly, past the
// proxy: fault hooks use them to change the world mid-flight, and to look
// at the audit table at the moment of a write, without being recorded.
type faultWorld struct {
	*keyWorld
	directIAM   *iam.Client
	directAudit *audit.Store
	// resource is the audited resource and writes the IAM actions that
	// change it: watchWrites checks these.
	resource string
	writes   []string

	mu sync.Mutex
	// known are the audit records that existed when the current delivery
	// began; a write needs a planned record that is not among them.
	known map[string]bool
	// writesWithoutRecord lists the IAM writes that reached the proxy
	// while the delivery had stored no planned record.
	writesWithoutRecord []string
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	w := &faultWorld{keyWorld: newKeyWorld(t), resource: userARN + "alice", writes: []string{"DeleteAccessKey", "UpdateAccessKey"}}
	cfg, err := moto.Config(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	w.directIAM = iam.NewFromConfig(cfg)
	w.directAudit = &audit.Store{DB: dynamodb.NewFromConfig(cfg), Table: sandbox.AuditTable}
	return w
}

// functionRetries makes the in-process engine try each call as often as
// the function does (awsapi.Load), with a backoff of milliseconds and no
// client-side rate limiting (the function's adaptive mode adds pauses of
// seconds after throttling): a fault that never ends costs milliseconds.
// The bootstrap way runs the function's real retryer.
func functionRetries(t *testing.T, w *faultWorld) {
	t.Helper()
	n := maxAttempts(t)
	w.sb.AWS.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = n
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		})
	}
}

// maxAttempts is how often the function's SDK tries one call.
func maxAttempts(t *testing.T) int {
	t.Helper()
	prod, err := awsapi.Load(context.Background(), testkit.Region)
	if err != nil {
		t.Fatal(err)
	}
	return prod.Retryer().MaxAttempts()
}

// freshEvent is a fixture as it arrives in production: seconds after the
// call, so the engine's eventual-consistency retry applies.
func (w *faultWorld) freshEvent(t *testing.T, path string) []byte {
	t.Helper()
	return []byte(strings.ReplaceAll(string(w.event(t, path)), "2026-11-24T01:02:03Z", time.Now().UTC().Format(time.RFC3339)))
}

// deleteKeyDirectly removes alice's event key in moto, as someone else
// would, bypassing the proxy.
func (w *faultWorld) deleteKeyDirectly(t *testing.T) {
	_, err := w.directIAM.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(w.k1)})
	if err != nil {
		t.Errorf("delete the key behind the guardrail's back: %v", err)
	}
}

// watchWrites wraps a fault hook: every IAM write to the resource is
// checked against the audit table first (directly in moto), so a write that went out before
// its record would be caught at the moment it happened.
func (w *faultWorld) watchWrites(t *testing.T, hook func(testkit.Call) *testkit.Fault) func(testkit.Call) *testkit.Fault {
	return func(c testkit.Call) *testkit.Fault {
		if c.Service == "iam" && slices.Contains(w.writes, c.Action) {
			recs, err := w.directAudit.History(context.Background(), w.resource, 0)
			if err != nil {
				t.Errorf("read the audit table at %s: %v", c.Action, err)
			}
			w.mu.Lock()
			planned := false
			for _, r := range recs {
				planned = planned || r.Status == audit.Planned && !w.known[r.ID]
			}
			if !planned {
				w.writesWithoutRecord = append(w.writesWithoutRecord, c.Action)
			}
			w.mu.Unlock()
		}
		if hook == nil {
			return nil
		}
		return hook(c)
	}
}

// beginDelivery notes the records that exist before a delivery.
func (w *faultWorld) beginDelivery(t *testing.T) {
	t.Helper()
	recs, err := w.directAudit.History(context.Background(), w.resource, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known = map[string]bool{}
	for _, r := range recs {
		w.known[r.ID] = true
	}
}

// count is the number of calls to action; landed counts only those moto
// answered with success (not injected, not reset).
func count(cs []testkit.Call, action string) (all, landed int) {
	for _, c := range cs {
		if c.Action != action {
			continue
		}
		all++
		if !c.Injected && c.Status/100 == 2 {
			landed++
		}
	}
	return all, landed
}

// nth makes a hook that applies f to the matching calls from the n-th on
// (1-based): "the lease goes through, the record write fails".
func nth(n int, f func(testkit.Call) *testkit.Fault) func(testkit.Call) *testkit.Fault {
	var mu sync.Mutex
	seen := 0
	return func(c testkit.Call) *testkit.Fault {
		probe := f(c)
		if probe == nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen < n {
			return nil
		}
		return probe
	}
}

// once runs do on the first call the hook matches, then lets it through
// (or answers it with after's fault).
func once(match func(testkit.Call) bool, do func(), after *testkit.Fault) func(testkit.Call) *testkit.Fault {
	var o sync.Once
	return func(c testkit.Call) *testkit.Fault {
		if !match(c) {
			return nil
		}
		var f *testkit.Fault
		o.Do(func() { do(); f = after })
		return f
	}
}

func action(service, name string) func(testkit.Call) bool {
	return func(c testkit.Call) bool { return c.Service == service && c.Action == name }
}

func fault(status int, code string) func(testkit.Call) *testkit.Fault {
	return func(testkit.Call) *testkit.Fault {
		return &testkit.Fault{Status: status, Code: code, Message: "injected"}
	}
}

// emptyKeyList answers ListAccessKeys as IAM does while it does not yet
// list a key it just created: success, no keys.
func emptyKeyList(testkit.Call) *testkit.Fault {
	return &testkit.Fault{Status: 200, ContentType: "text/xml", Body: []byte(`<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">` +
		`<ListAccessKeysResult><UserName>alice</UserName><AccessKeyMetadata/><IsTruncated>false</IsTruncated></ListAccessKeysResult>` +
		`<ResponseMetadata><RequestId>testkit-lag</RequestId></ResponseMetadata></ListAccessKeysResponse>`)}
}
