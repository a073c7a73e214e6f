// Fault matrix: faults injected by the recording proxy in front of moto,
// run in-process (the function's 5 attempts per call, backoff shortened)
// and through the real bootstrap (its own retryer; a fault that never ends
// runs under a short Lambda deadline there). docs/faults.md is the table.
//
// accesskey                        outcome            calls (first delivery)      nothing lost because
// none                             fixed              GetUser 3, ListAccessKeys 3 record stored before the delete
//                                                     PutItem 2, Delete 1         (checked at the write, in moto)
// ListAccessKeys throttled x2      fixed              ListAccessKeys 5            one delete, one record
// GetUser 500 x1                   fixed              GetUser 4
// ListAccessKeys 500, endless      error (retry)      ListAccessKeys 5            no record, no write; retry fixes once
// DeleteAccessKey 503 x1           fixed              Delete 2, 1 landed
// DeleteAccessKey throttled,       error (retry)      Delete 5                    record failed (planned if Lambda's
//   endless                                                                       timeout cut it); key kept; retry
//                                                                                 deletes once, announces once
// read slower than the deadline    error (retry)      ListAccessKeys 1            no record, no write
// write slower than the deadline   error (retry)      Delete 1, 0 landed          record stays planned (written
//                                                                                 before the attempt); retry fixes once
// reset on GetUser / Delete x1     fixed              +1 call, 1 landed           SDK retried the reset
// key deleted before the lease     skipped, quiet     PutItem 1, Delete 0         re-read under the lease
// key deleted just before Delete   fixed              Delete 1                    NoSuchEntity on delete = the key is gone,
//                                                                                 as wanted; verified by a re-read
// Delete landed, answer lost       fixed              Delete 2                    the SDK's retry gets NoSuchEntity: gone
// key not listed at first (lag)    fixed              ListAccessKeys 3+N          bounded consistency retry
// user not readable at first       fixed              GetUser 3+N                 (N=1 in 500 ms, N=3 in 3 s)
// key never listed                 skipped, quiet     ListAccessKeys 2..6         no write; the sweep finds it
// audit PutItem throttled, endless error (retry)      PutItem 1+5, Delete 0       no write without its record
// DynamoDB 500 on every call       error (retry)      GetItem 5, Delete 0         nothing written
// audit UpdateItem fails (Finish)  fixed              Delete 1, Publish 1         record stays planned with the
//                                                                                 prior state; notice sent once
// SNS Publish 500, endless         error (retry)      Publish 5                   retry finds the key gone and
//                                                                                 resends the notice once
// same event x5 at once            1 fixed, 4 skipped Delete 1                    per-key lease; one record, one notice
// two keys of one user at once     both fixed         Delete 2                    the lease is per key
// duplicate while announcing       fixed once         Publish 1                   resend waits for the lease
// duplicate / out-of-order events: accesskey_test.go (TestAccessKeyDuplicateDelivery,
// the "out of order" scenarios): plans come from live state, nothing is written twice.
//
// roletrust: write throttled x1 → fixed (2 calls, 1 landed); write 500 endless →
// error, policy untouched, record failed, retry writes once; role deleted before
// the write → failed NoSuchEntity; SNS endless → retry finds it compliant and
// resends; same event x5 at once → one write, never two interleaved.

package rules_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// keyFault is one row of the accesskey fault matrix.
type keyFault struct {
	name string
	// hook injects the fault into the first delivery.
	hook func(w *faultWorld) func(testkit.Call) *testkit.Fault
	// endless: the fault never ends. The bootstrap way runs the real SDK
	// backoff (up to 2+4+8+16 s for five attempts), so there the
	// invocation gets a short Lambda deadline instead and shows the
	// timeout path; the in-process way exhausts the attempts.
	endless bool
	// deadline is the first invocation's deadline (Lambda's timeout).
	deadline time.Duration
	wantErr  bool
	// keyLeft: the event's key is still there after the first delivery.
	keyLeft bool
	// records are the key user's audit statuses after the first delivery,
	// newest first.
	records []audit.Status
	// calls are the calls per action in the first delivery.
	calls map[string]int
	// notices are the outcomes announced by the first delivery.
	notices []finding.Outcome
	// redeliver: Lambda's retry (the fault gone) must fix the key exactly
	// once and announce it exactly once.
	redeliver bool
	// boot replaces hook in the bootstrap way where the real backoff
	// would take too long and the row is about what follows the fault.
	boot  func(w *faultWorld) func(testkit.Call) *testkit.Fault
	check func(t *testing.T, w *faultWorld, first []testkit.Call)
}

func TestAccessKeyFaults(t *testing.T) {
	attempts := maxAttempts(t)
	for _, way := range sandbox.Ways(accessKeyFn, guardrail.Default, "accesskey") {
		for _, row := range keyFaultRows(t, way.Name == "bootstrap", attempts) {
			t.Run(way.Name+"/"+row.name, func(t *testing.T) { runKeyFault(t, way, row, attempts) })
		}
	}
}

// keyFaultRows builds the rows afresh for each way: hooks count calls.
// boot: the function's consistency budget (3 s) lets IAM lag longer than
// the in-process engine's (500 ms).
func keyFaultRows(t *testing.T, boot bool, attempts int) []keyFault {
	lag := 1
	if boot {
		lag = 3
	}
	iamFault := func(f func(testkit.Call) *testkit.Fault, actions ...string) func(*faultWorld) func(testkit.Call) *testkit.Fault {
		return func(*faultWorld) func(testkit.Call) *testkit.Fault { return testkit.Match("iam", f, actions...) }
	}
	dbFault := func(f func(testkit.Call) *testkit.Fault, actions ...string) func(*faultWorld) func(testkit.Call) *testkit.Fault {
		return func(*faultWorld) func(testkit.Call) *testkit.Fault { return testkit.Match("dynamodb", f, actions...) }
	}
	reset := func(testkit.Call) *testkit.Fault { return &testkit.Fault{Reset: true} }
	slow := func(testkit.Call) *testkit.Fault { return &testkit.Fault{Delay: 5 * time.Second} }
	rows := []keyFault{{
		name:    "no fault",
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"GetUser": 3, "ListAccessKeys": 3, "DeleteAccessKey": 1, "PutItem": 2, "UpdateItem": 2, "Publish": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "read throttled twice, then served",
		hook:    iamFault(testkit.Times(2, testkit.Throttle), "ListAccessKeys"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"ListAccessKeys": 5, "DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "read 500 InternalError once",
		hook:    iamFault(testkit.Times(1, fault(500, "InternalError")), "GetUser"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"GetUser": 4, "DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:      "read 500 InternalError, never ends",
		hook:      iamFault(fault(500, "InternalError"), "ListAccessKeys"),
		endless:   true,
		wantErr:   true,
		keyLeft:   true,
		calls:     map[string]int{"ListAccessKeys": attempts, "PutItem": 0, "DeleteAccessKey": 0},
		redeliver: true,
	}, {
		name:    "write 503 ServiceUnavailable once",
		hook:    iamFault(testkit.Times(1, fault(503, "ServiceUnavailable")), "DeleteAccessKey"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"DeleteAccessKey": 2},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:      "write throttled, never ends",
		hook:      iamFault(testkit.Throttle, "DeleteAccessKey"),
		endless:   true,
		wantErr:   true,
		keyLeft:   true,
		records:   []audit.Status{audit.Failed},
		calls:     map[string]int{"DeleteAccessKey": attempts},
		redeliver: true,
	}, {
		name:      "read slower than the deadline",
		hook:      iamFault(slow, "ListAccessKeys"),
		deadline:  500 * time.Millisecond,
		wantErr:   true,
		keyLeft:   true,
		calls:     map[string]int{"ListAccessKeys": 1, "PutItem": 0, "DeleteAccessKey": 0},
		redeliver: true,
	}, {
		name:      "write slower than the deadline",
		hook:      iamFault(slow, "DeleteAccessKey"),
		deadline:  800 * time.Millisecond,
		wantErr:   true,
		keyLeft:   true,
		records:   []audit.Status{audit.Planned},
		calls:     map[string]int{"DeleteAccessKey": 1},
		redeliver: true,
	}, {
		name:    "connection reset on the read, once",
		hook:    iamFault(testkit.Times(1, reset), "GetUser"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"GetUser": 4, "DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "connection reset on the write, once",
		hook:    iamFault(testkit.Times(1, reset), "DeleteAccessKey"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"DeleteAccessKey": 2},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name: "key deleted by someone else before the lease",
		hook: func(w *faultWorld) func(testkit.Call) *testkit.Fault {
			return once(action("dynamodb", "PutItem"), func() { w.deleteKeyDirectly(t) }, nil)
		},
		calls: map[string]int{"PutItem": 1, "DeleteAccessKey": 0},
	}, {
		name: "key deleted by someone else just before the write",
		hook: func(w *faultWorld) func(testkit.Call) *testkit.Fault {
			return once(action("iam", "DeleteAccessKey"), func() { w.deleteKeyDirectly(t) }, nil)
		},
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name: "write landed but its answer was lost",
		hook: func(w *faultWorld) func(testkit.Call) *testkit.Fault {
			return once(action("iam", "DeleteAccessKey"), func() { w.deleteKeyDirectly(t) }, &testkit.Fault{Reset: true})
		},
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"DeleteAccessKey": 2},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "IAM lags: the new key is not listed at first",
		hook:    iamFault(testkit.Times(lag, emptyKeyList), "ListAccessKeys"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"ListAccessKeys": 3 + lag, "DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "IAM lags: the user is not readable at first",
		hook:    iamFault(testkit.Times(lag, fault(404, "NoSuchEntity")), "GetUser"),
		records: []audit.Status{audit.Applied},
		calls:   map[string]int{"GetUser": 3 + lag, "DeleteAccessKey": 1},
		notices: []finding.Outcome{finding.Fixed},
	}, {
		name:    "IAM lags beyond the budget: the key is never listed",
		hook:    iamFault(emptyKeyList, "ListAccessKeys"),
		keyLeft: true,
		calls:   map[string]int{"PutItem": 0, "DeleteAccessKey": 0},
		check: func(t *testing.T, w *faultWorld, first []testkit.Call) {
			// Bounded: 500 ms in-process (two reads), 3 s in the function.
			if n, _ := count(first, "ListAccessKeys"); n < 2 || n > 6 {
				t.Errorf("%d reads: the consistency retry is not bounded as configured", n)
			}
		},
	}, {
		name:      "audit record write throttled, never ends",
		hook:      dbFault(nth(2, testkit.Throttle), "PutItem"),
		endless:   true,
		wantErr:   true,
		keyLeft:   true,
		calls:     map[string]int{"PutItem": 1 + attempts, "DeleteAccessKey": 0},
		redeliver: true,
	}, {
		name:      "audit table down: 500 on every call",
		hook:      dbFault(fault(500, "InternalServerError")),
		endless:   true,
		wantErr:   true,
		keyLeft:   true,
		calls:     map[string]int{"GetItem": attempts, "PutItem": 0, "DeleteAccessKey": 0},
		redeliver: true,
	}, {
		name:    "audit record cannot be finished after the write",
		hook:    dbFault(fault(500, "InternalServerError"), "UpdateItem"),
		records: []audit.Status{audit.Planned},
		calls:   map[string]int{"DeleteAccessKey": 1, "Publish": 1},
		notices: []finding.Outcome{finding.Fixed},
		boot:    dbFault(fault(400, "AccessDeniedException"), "UpdateItem"),
	}, {
		name: "notice not published, never ends",
		hook: func(*faultWorld) func(testkit.Call) *testkit.Fault {
			return testkit.Match("sns", fault(500, "InternalError"), "Publish")
		},
		endless:   true,
		wantErr:   true,
		records:   []audit.Status{audit.Applied},
		calls:     map[string]int{"DeleteAccessKey": 1, "Publish": attempts},
		redeliver: true,
	}}
	return rows
}

func runKeyFault(t *testing.T, way sandbox.Way, row keyFault, attempts int) {
	boot := way.Name == "bootstrap"
	w := newFaultWorld(t)
	if !boot {
		functionRetries(t, w)
	}
	invoke := way.Start(t, w.sb)
	ev := w.freshEvent(t, "iam/create-access-key.json")
	var hook func(testkit.Call) *testkit.Fault
	if row.hook != nil {
		hook = row.hook(w)
	}
	if boot && row.boot != nil {
		hook = row.boot(w)
	}
	deadline := 30 * time.Second
	if row.deadline != 0 {
		deadline = row.deadline
	}
	cut := boot && row.endless
	if cut {
		deadline = 1500 * time.Millisecond
	}
	w.beginDelivery(t)
	w.proxy.Reset()
	w.proxy.SetFault(w.watchWrites(t, hook))
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	began := time.Now()
	err := invoke(ctx, ev)
	cancel()
	took := time.Since(began)
	first := w.proxy.Calls()
	w.proxy.SetFault(w.watchWrites(t, nil))
	t.Logf("first delivery (%s): err=%v\n  calls: %s", took.Round(time.Millisecond), err, calls(first))

	if (err != nil) != row.wantErr {
		t.Fatalf("error = %v, want an error: %v", err, row.wantErr)
	}
	_, ok := w.keys(t, "alice")[w.k1]
	if ok != row.keyLeft {
		t.Fatalf("key left = %v, want %v", ok, row.keyLeft)
	}
	for action, want := range row.calls {
		n, _ := count(first, action)
		if n != want && !(cut && n >= 1 && n <= want) {
			t.Errorf("%s: %d call(s), want %d", action, n, want)
		}
	}
	checkStatuses(t, w.records(t, userARN+"alice"), row.records, cut)
	if got := outcomes(w.notices(t, len(row.notices))); !equal(got, row.notices) {
		t.Errorf("notices %v, want %v", got, row.notices)
	}
	if row.check != nil {
		row.check(t, w, first)
	}
	var second []testkit.Call
	if row.redeliver {
		if cut {
			time.Sleep(200 * time.Millisecond) // the timed-out process ends its run
		}
		invoke = way.Start(t, w.sb) // Lambda's retry may land on a fresh sandbox
		w.beginDelivery(t)
		w.proxy.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := invoke(ctx, ev)
		cancel()
		second = w.proxy.Calls()
		t.Logf("redelivery: err=%v\n  calls: %s", err, calls(second))
		if err != nil {
			t.Fatalf("redelivery without the fault: %v", err)
		}
		if _, ok := w.keys(t, "alice")[w.k1]; ok {
			t.Fatal("redelivery did not delete the key")
		}
		_, landed1 := count(first, "DeleteAccessKey")
		_, landed2 := count(second, "DeleteAccessKey")
		if landed1+landed2 != 1 {
			t.Errorf("the key was deleted %d+%d times, want exactly once", landed1, landed2)
		}
		if got := outcomes(w.notices(t, 1)); !equal(got, []finding.Outcome{finding.Fixed}) {
			t.Errorf("redelivery notices %v, want one fixed", got)
		}
		if recs := w.records(t, userARN+"alice"); len(recs) == 0 || recs[0].Status != audit.Applied {
			t.Errorf("newest record after the redelivery: %s", statuses(recs))
		}
	}
	nothingLost(t, w, append(first, second...))
}

// nothingLost: no write without its record, no other key touched, and a
// key gcguard deleted has a record holding its prior state.
func nothingLost(t *testing.T, w *faultWorld, all []testkit.Call) {
	t.Helper()
	w.mu.Lock()
	bad := w.writesWithoutRecord
	w.mu.Unlock()
	if len(bad) != 0 {
		t.Errorf("IAM writes without a planned audit record: %v", bad)
	}
	if w.keys(t, "alice")[w.k2] != "Active" || w.keys(t, "bob")[w.k3] != "Active" {
		t.Errorf("another key was touched: alice %v, bob %v", w.keys(t, "alice"), w.keys(t, "bob"))
	}
	if _, landed := count(all, "DeleteAccessKey"); landed > 0 {
		for _, r := range w.records(t, userARN+"alice") {
			if strings.Contains(string(r.Before), w.k1) && strings.Contains(string(r.Before), "Active") {
				return
			}
		}
		t.Errorf("gcguard deleted the key but no record holds its prior state")
	}
}

// checkStatuses compares audit statuses, newest first. cut: the Lambda
// deadline may have stopped the run before it marked a record failed.
func checkStatuses(t *testing.T, recs []*audit.Record, want []audit.Status, cut bool) {
	t.Helper()
	ok := len(recs) == len(want)
	for i := 0; ok && i < len(want); i++ {
		got := recs[i].Status
		ok = got == want[i] || cut && want[i] == audit.Failed && got == audit.Planned
	}
	if !ok {
		t.Errorf("audit records %s, want %v", statuses(recs), want)
	}
}

func statuses(recs []*audit.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprintf("%s/%s(%s)", r.Status, r.Outcome, r.Error))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func outcomes(ns []notify.Notice) []finding.Outcome {
	var out []finding.Outcome
	for _, n := range ns {
		out = append(out, n.Outcome)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func equal(a, b []finding.Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Concurrent deliveries of one event (EventBridge delivers at least once;
// Lambda runs them side by side): the per-key lease lets one invocation
// write; the others wait, re-read, and find nothing to do.
func TestAccessKeyConcurrentEvents(t *testing.T) {
	for _, fresh := range []bool{true, false} {
		t.Run(fmt.Sprintf("fresh=%v", fresh), func(t *testing.T) {
			w := newFaultWorld(t)
			eng, err := w.sb.Engine(guardrail.Default, "accesskey")
			if err != nil {
				t.Fatal(err)
			}
			raw := w.event(t, "iam/create-access-key.json")
			if fresh {
				raw = w.freshEvent(t, "iam/create-access-key.json")
			}
			w.beginDelivery(t)
			w.proxy.Reset()
			w.proxy.SetFault(w.watchWrites(t, nil))
			const n = 5
			results := make([][]guardrail.Result, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					results[i], errs[i] = eng.HandleEvent(context.Background(), decode(t, raw))
				})
			}
			close(start)
			wg.Wait()
			got := map[finding.Outcome]int{}
			for i := range n {
				if errs[i] != nil || len(results[i]) != 1 {
					t.Fatalf("invocation %d: %v %+v", i, errs[i], results[i])
				}
				got[results[i][0].Outcome]++
			}
			if got[finding.Fixed] != 1 || got[finding.Fixed]+got[finding.Compliant]+got[finding.Skipped] != n {
				t.Errorf("outcomes %v: want one fixed, the rest compliant or skipped", got)
			}
			if _, landed := count(w.proxy.Calls(), "DeleteAccessKey"); landed != 1 {
				t.Errorf("the key was deleted %d times", landed)
			}
			recs := w.records(t, userARN+"alice")
			if len(recs) != 1 || recs[0].Status != audit.Applied {
				t.Errorf("want one applied record: %s", statuses(recs))
			}
			if ns := outcomes(w.notices(t, 1)); !equal(ns, []finding.Outcome{finding.Fixed}) {
				t.Errorf("notices %v", ns)
			}
			nothingLost(t, w, w.proxy.Calls())
		})
	}
}

// Two keys of one user at once: the lease is per key, so neither waits
// for the other and both are deleted, each with its own record.
func TestAccessKeyConcurrentKeysOfOneUser(t *testing.T) {
	w := newFaultWorld(t)
	eng, err := w.sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		t.Fatal(err)
	}
	k1 := w.freshEvent(t, "iam/create-access-key.json")
	k2 := []byte(strings.NewReplacer(w.k1, w.k2, "9a8b7c6d-1111-4222-8333-000000000001", "9a8b7c6d-1111-4222-8333-0000000000f2",
		"1f2e3d4d-0000-4000-8000-000000000001", "1f2e3d4d-0000-4000-8000-0000000000f2").Replace(string(k1)))
	w.proxy.Reset()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, raw := range [][]byte{k1, k2} {
		wg.Go(func() { errs[i] = eng.Handle(context.Background(), raw) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v", errs)
	}
	if keys := w.keys(t, "alice"); len(keys) != 0 {
		t.Fatalf("want both keys deleted, have %v", keys)
	}
	if _, landed := count(w.proxy.Calls(), "DeleteAccessKey"); landed != 2 {
		t.Errorf("%d deletes, want 2", landed)
	}
	recs := w.records(t, userARN+"alice")
	if len(recs) != 2 || recs[0].Status != audit.Applied || recs[1].Status != audit.Applied {
		t.Errorf("want two applied records: %s", statuses(recs))
	}
	if ns := outcomes(w.notices(t, 2)); !equal(ns, []finding.Outcome{finding.Fixed, finding.Fixed}) {
		t.Errorf("notices %v", ns)
	}
	if w.keys(t, "bob")[w.k3] != "Active" {
		t.Error("bob's key touched")
	}
}

// A duplicate delivery that arrives while the first is still announcing
// its fix finds the key gone and an applied record not yet marked
// notified: it must not announce it a second time.
// Deactivating instead, the duplicate finds the key compliant: the same.
func TestAccessKeyDuplicateWhileAnnouncing(t *testing.T) {
	for _, act := range []string{config.AccessKeyDelete, config.AccessKeyDeactivate} {
		t.Run(act, func(t *testing.T) { duplicateWhileAnnouncing(t, act) })
	}
}

func duplicateWhileAnnouncing(t *testing.T, act string) {
	w := newFaultWorld(t)
	w.sb.Config.AccessKeyAction = act
	eng, err := w.sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		t.Fatal(err)
	}
	raw := w.event(t, "iam/create-access-key.json") // a Lambda retry: minutes old
	announcing := make(chan struct{})
	var o sync.Once
	w.proxy.SetFault(testkit.Match("sns", func(testkit.Call) *testkit.Fault {
		var f *testkit.Fault
		o.Do(func() { close(announcing); f = &testkit.Fault{Delay: time.Second} }) // slow SNS, then delivered
		return f
	}, "Publish"))
	first := make(chan error, 1)
	go func() { first <- eng.Handle(context.Background(), raw) }()
	<-announcing
	if err := eng.Handle(context.Background(), raw); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	if ns := outcomes(w.notices(t, 1)); !equal(ns, []finding.Outcome{finding.Fixed}) {
		t.Errorf("notices %v, want the fix announced once", ns)
	}
	if ns := outcomes(w.notices(t, 0)); len(ns) != 0 {
		t.Errorf("announced again: %v", ns)
	}
}

// roleFault is one row of the roletrust fault matrix: the public-role's
// trust policy ("*") is tightened by one UpdateAssumeRolePolicy.
type roleFault struct {
	name      string
	hook      func(w *faultWorld) func(testkit.Call) *testkit.Fault
	endless   bool
	wantErr   bool
	untouched bool // the trust policy is still the original after the first delivery
	records   []audit.Status
	writes    int // UpdateAssumeRolePolicy calls in the first delivery
	notices   []finding.Outcome
	redeliver bool
}

func TestRoleTrustFaults(t *testing.T) {
	attempts := maxAttempts(t)
	for _, way := range sandbox.Ways(roleTrustFn, guardrail.Default, "roletrust") {
		rows := []roleFault{{
			name:    "no fault",
			records: []audit.Status{audit.Applied}, writes: 1, notices: []finding.Outcome{finding.Fixed},
		}, {
			name: "write throttled once",
			hook: func(*faultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("iam", testkit.Times(1, testkit.Throttle), "UpdateAssumeRolePolicy")
			},
			records: []audit.Status{audit.Applied}, writes: 2, notices: []finding.Outcome{finding.Fixed},
		}, {
			name: "write 500 InternalError, never ends",
			hook: func(*faultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("iam", fault(500, "InternalError"), "UpdateAssumeRolePolicy")
			},
			endless: true, wantErr: true, untouched: true,
			records: []audit.Status{audit.Failed}, writes: attempts, redeliver: true,
		}, {
			name: "role deleted by someone else just before the write",
			hook: func(w *faultWorld) func(testkit.Call) *testkit.Fault {
				return once(action("iam", "UpdateAssumeRolePolicy"), func() {
					if _, err := w.directIAM.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String("public-role")}); err != nil {
						t.Errorf("delete the role: %v", err)
					}
				}, nil)
			},
			records: []audit.Status{audit.Failed}, writes: 1, notices: []finding.Outcome{finding.Failed},
		}, {
			name: "notice not published, never ends",
			hook: func(*faultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("sns", fault(500, "InternalError"), "Publish")
			},
			endless: true, wantErr: true,
			records: []audit.Status{audit.Applied}, writes: 1, redeliver: true,
		}}
		for _, row := range rows {
			t.Run(way.Name+"/"+row.name, func(t *testing.T) { runRoleFault(t, way, row) })
		}
	}
}

func runRoleFault(t *testing.T, way sandbox.Way, row roleFault) {
	boot := way.Name == "bootstrap"
	w := newFaultWorld(t)
	w.resource, w.writes = roleARN+"public-role", []string{"UpdateAssumeRolePolicy"}
	w.role(t, "public-role", "", trustPublic)
	if !boot {
		functionRetries(t, w)
	}
	invoke := way.Start(t, w.sb)
	ev := w.freshEvent(t, "iam/create-role-public.json")
	var hook func(testkit.Call) *testkit.Fault
	if row.hook != nil {
		hook = row.hook(w)
	}
	cut := boot && row.endless
	deadline := 30 * time.Second
	if cut {
		deadline = 1500 * time.Millisecond
	}
	w.beginDelivery(t)
	w.proxy.Reset()
	w.proxy.SetFault(w.watchWrites(t, hook))
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	err := invoke(ctx, ev)
	cancel()
	first := w.proxy.Calls()
	w.proxy.SetFault(w.watchWrites(t, nil))
	t.Logf("first delivery: err=%v\n  calls: %s", err, calls(first))
	if (err != nil) != row.wantErr {
		t.Fatalf("error = %v, want an error: %v", err, row.wantErr)
	}
	if n, _ := count(first, "UpdateAssumeRolePolicy"); n != row.writes && !(cut && n >= 1 && n <= row.writes) {
		t.Errorf("UpdateAssumeRolePolicy: %d call(s), want %d", n, row.writes)
	}
	checkStatuses(t, w.records(t, w.resource), row.records, cut)
	if got := outcomes(w.notices(t, len(row.notices))); !equal(got, row.notices) {
		t.Errorf("notices %v, want %v", got, row.notices)
	}
	if row.untouched && w.trust(t, "public-role") != trustPublic {
		t.Errorf("a failed write changed the trust policy: %s", w.trust(t, "public-role"))
	}
	if row.redeliver {
		if cut {
			time.Sleep(200 * time.Millisecond)
		}
		invoke = way.Start(t, w.sb)
		w.beginDelivery(t)
		w.proxy.Reset()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := invoke(ctx, ev)
		cancel()
		second := w.proxy.Calls()
		if err != nil {
			t.Fatalf("redelivery without the fault: %v", err)
		}
		_, l1 := count(first, "UpdateAssumeRolePolicy")
		_, l2 := count(second, "UpdateAssumeRolePolicy")
		if l1+l2 != 1 {
			t.Errorf("the trust policy was written %d+%d times, want once", l1, l2)
		}
		w.tightened(t, "public-role", `"AWS":"arn:aws:iam::123456789012:root"`)
		if got := outcomes(w.notices(t, 1)); !equal(got, []finding.Outcome{finding.Fixed}) {
			t.Errorf("redelivery notices %v, want one fixed", got)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.writesWithoutRecord) != 0 {
		t.Errorf("IAM writes without a planned audit record: %v", w.writesWithoutRecord)
	}
}

// Concurrent deliveries of one CreateRole event: one write, never two
// interleaved ones, and one record.
func TestRoleTrustConcurrentEvents(t *testing.T) {
	w := newFaultWorld(t)
	w.role(t, "public-role", "", trustPublic)
	eng, err := w.sb.Engine(guardrail.Default, "roletrust")
	if err != nil {
		t.Fatal(err)
	}
	raw := w.freshEvent(t, "iam/create-role-public.json")
	w.proxy.Reset()
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = eng.Handle(context.Background(), raw) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}
	if _, landed := count(w.proxy.Calls(), "UpdateAssumeRolePolicy"); landed != 1 {
		t.Errorf("the trust policy was written %d times", landed)
	}
	if recs := w.records(t, roleARN+"public-role"); len(recs) != 1 || recs[0].Status != audit.Applied {
		t.Errorf("want one applied record: %s", statuses(recs))
	}
	w.tightened(t, "public-role", `"AWS":"arn:aws:iam::123456789012:root"`)
	if ns := outcomes(w.notices(t, 1)); !equal(ns, []finding.Outcome{finding.Fixed}) {
		t.Errorf("notices %v", ns)
	}
}
