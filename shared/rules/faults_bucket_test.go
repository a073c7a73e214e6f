// Fault matrix of the bucket rule, run as the IAM rows are (faults_test.go):
// in-process and through the bootstrap, a fault that never ends under a
// short Lambda deadline in the bootstrap way. The bucket: city-records-prod
// in Tokyo with SSE-S3, Block Public Access off, and a policy of two owner
// statements (PublicRead, AppRoleRead); the event is PutBucketPolicy. The
// fix is four writes, in this order: PutPublicAccessBlock (PAB),
// PutBucketOwnershipControls (Own), PutBucketEncryption (Enc, the Tokyo key)
// and PutBucketPolicy (Pol: AppRoleRead, then gcguard's statements).
//
// fault                          outcome          calls (first delivery)     nothing lost because
// none                           fixed            GetBucketPolicy 3,         record stored before the first write
//                                                 PutItem 2, each write 1,   (checked at every write, in moto)
//                                                 Publish 1
// GetBucketPolicy SlowDown x2    fixed            GetBucketPolicy 5          the SDK retried; one write per part
// PutBucketPolicy 500 x1         fixed            PutBucketPolicy 2,         the SDK retried
//                                                 1 landed
// PutBucketPolicy 500, endless   error (retry)    PutBucketPolicy 5;         PAB, Own, Enc landed before it; the
//                                                 PAB, Own, Enc 1 each       policy stays the owner's, byte for byte
//                                                                            (never a part of the merge); record
//                                                                            failed (planned if the deadline cut it);
//                                                                            the retry writes only the policy, once
// PutBucketEncryption reset x1   fixed            PutBucketEncryption 2,     both bodies block SSE-C (recorded on the
//                                                 1 landed                   wire); the SDK retried the reset
// bucket deleted before the      failed, critical PutPublicAccessBlock 1,    record failed: NoSuchBucket, said in the
//   first write                  notice           0 landed                   notice; no crash, no further write
// PutItem throttled, endless     error (retry)    PutItem 5 (the lease),     no S3 write without the lease; the retry
//   (audit table unavailable)                     S3 writes 0                fixes it once
// record PutItem throttled,      error (retry)    PutItem 1+5, S3 writes 0   "no change made": no S3 write without its
//   endless (lease taken)                                                    record; the retry fixes it once
// SNS Publish 500, endless       error (retry)    Publish 5, each write 1    record applied; the retry finds the
//                                                                            bucket compliant, writes nothing and
//                                                                            resends the notice once
// PutBucketPolicy and another    each part once,  4 writes                   the per-bucket lease: each plans from
//   event at once                no statement                                what the other wrote; see
//                                lost                                        TestBucketConcurrentEvents (bucket_test.go:
//                                                                            PutBucketPolicy with CreateBucket; the plan
//                                                                            comes from live state, not the event name)
//
// Every row also checks: no S3 write to the bucket without a planned record
// of its delivery; every policy body sent is the whole merged policy and the
// bucket's policy is the original or the merged one; every encryption body
// blocks SSE-C; across both deliveries each part lands at most once; the
// other bucket is never called. After a redelivery, a duplicate of the
// event writes nothing and announces nothing: before the fix in
// guardrail.(*run).supersede it announced the first try's record again (a
// stale critical "failed" notice, or a second "fixed" one when Lambda's
// timeout had left it planned).

package rules_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// bucketFault is one row of the bucket fault matrix.
type bucketFault struct {
	name    string
	hook    func(w *bucketFaultWorld) func(testkit.Call) *testkit.Fault
	endless bool
	wantErr bool
	// landed are the parts written in the first delivery, in order; a
	// redelivery writes the others, each once.
	landed []string
	// calls are the calls per action in the first delivery.
	calls   map[string]int
	records []audit.Status
	notices []finding.Outcome
	// gone: the row deletes the bucket.
	gone      bool
	redeliver bool
	check     func(t *testing.T, w *bucketFaultWorld, first []testkit.Call)
}

func TestBucketFaults(t *testing.T) {
	attempts := maxAttempts(t)
	s3Fault := func(f func(testkit.Call) *testkit.Fault, actions ...string) func(*bucketFaultWorld) func(testkit.Call) *testkit.Fault {
		return func(*bucketFaultWorld) func(testkit.Call) *testkit.Fault { return testkit.Match("s3", f, actions...) }
	}
	reset := func(testkit.Call) *testkit.Fault { return &testkit.Fault{Reset: true} }
	fixed := []finding.Outcome{finding.Fixed}
	applied := []audit.Status{audit.Applied}
	for _, way := range sandbox.Ways(bucketFn, guardrail.Default, "bucket") {
		rows := []bucketFault{{
			name:   "no fault",
			landed: bucketParts,
			calls: map[string]int{"GetBucketPolicy": 3, "PutItem": 2, "PutPublicAccessBlock": 1, "PutBucketOwnershipControls": 1,
				"PutBucketEncryption": 1, "PutBucketPolicy": 1, "Publish": 1},
			records: applied, notices: fixed,
		}, {
			name:   "read throttled twice (SlowDown), then served",
			hook:   s3Fault(testkit.Times(2, testkit.Throttle), "GetBucketPolicy"),
			landed: bucketParts, calls: map[string]int{"GetBucketPolicy": 5},
			records: applied, notices: fixed,
		}, {
			name:   "policy write 500 InternalError once",
			hook:   s3Fault(testkit.Times(1, fault(500, "InternalError")), "PutBucketPolicy"),
			landed: bucketParts, calls: map[string]int{"PutBucketPolicy": 2},
			records: applied, notices: fixed,
		}, {
			name:    "policy write 500 InternalError, never ends",
			hook:    s3Fault(fault(500, "InternalError"), "PutBucketPolicy"),
			endless: true, wantErr: true,
			landed:  bucketParts[:3],
			calls:   map[string]int{"PutBucketPolicy": attempts, "PutBucketEncryption": 1},
			records: []audit.Status{audit.Failed}, redeliver: true,
		}, {
			name:   "connection reset on the encryption write, once",
			hook:   s3Fault(testkit.Times(1, reset), "PutBucketEncryption"),
			landed: bucketParts, calls: map[string]int{"PutBucketEncryption": 2},
			records: applied, notices: fixed,
			check: func(t *testing.T, w *bucketFaultWorld, _ []testkit.Call) {
				if sent := w.bodies.sent("encryption"); len(sent) != 2 {
					t.Errorf("%d encryption bodies on the wire, want 2 (the reset one and its retry)", len(sent))
				}
			},
		}, {
			name: "bucket deleted by someone else just before the first write",
			hook: func(w *bucketFaultWorld) func(testkit.Call) *testkit.Fault {
				return once(action("s3", "PutPublicAccessBlock"), func() { w.deleteBucketDirectly(t) }, nil)
			},
			gone:    true,
			calls:   map[string]int{"PutPublicAccessBlock": 1, "PutBucketOwnershipControls": 0, "PutBucketPolicy": 0},
			records: []audit.Status{audit.Failed}, notices: []finding.Outcome{finding.Failed},
			check: func(t *testing.T, w *bucketFaultWorld, _ []testkit.Call) {
				if recs := w.records(t, bucketARN); len(recs) == 0 || !strings.Contains(recs[0].Error, "NoSuchBucket") {
					t.Errorf("the failed record does not say the bucket is gone: %s", statuses(recs))
				}
			},
		}, {
			name: "audit table unavailable: PutItem throttled, never ends",
			hook: func(*bucketFaultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("dynamodb", testkit.Throttle, "PutItem")
			},
			endless: true, wantErr: true,
			calls:     map[string]int{"PutItem": attempts, "UpdateItem": 0, "Publish": 0},
			redeliver: true,
		}, {
			name: "audit record write throttled, never ends (the lease goes through)",
			hook: func(*bucketFaultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("dynamodb", nth(2, testkit.Throttle), "PutItem")
			},
			endless: true, wantErr: true,
			calls:     map[string]int{"PutItem": 1 + attempts, "Publish": 0},
			redeliver: true,
		}, {
			name: "notice not published, never ends",
			hook: func(*bucketFaultWorld) func(testkit.Call) *testkit.Fault {
				return testkit.Match("sns", fault(500, "InternalError"), "Publish")
			},
			endless: true, wantErr: true,
			landed: bucketParts, calls: map[string]int{"Publish": attempts},
			records: applied, redeliver: true,
		}}
		for _, row := range rows {
			t.Run(way.Name+"/"+row.name, func(t *testing.T) { runBucketFault(t, way, row) })
		}
	}
}

func runBucketFault(t *testing.T, way sandbox.Way, row bucketFault) {
	boot := way.Name == "bootstrap"
	w := newBucketFaultWorld(t)
	if !boot {
		fastRetries(t, w.sb)
	}
	invoke := way.Start(t, w.sb)
	ev := w.freshEvent(t, "s3/put-bucket-policy-public.json")
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
	w.bodies.reset()
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
	if got := landedWrites(first); !slices.Equal(got, row.landed) {
		t.Errorf("writes landed %v, want %v", got, row.landed)
	}
	for action, want := range row.calls {
		n, _ := count(first, action)
		if n != want && !(cut && n >= 1 && n <= want) {
			t.Errorf("%s: %d call(s), want %d", action, n, want)
		}
	}
	if !row.gone {
		if merged := w.wholePolicy(t); merged != slices.Contains(row.landed, "PutBucketPolicy") {
			t.Errorf("policy merged = %v after writes %v", merged, landedWrites(first))
		}
	}
	checkStatuses(t, w.records(t, bucketARN), row.records, cut)
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
		var rest []string
		for _, p := range bucketParts {
			if !slices.Contains(row.landed, p) {
				rest = append(rest, p)
			}
		}
		if got := landedWrites(second); !slices.Equal(got, rest) {
			t.Errorf("the redelivery wrote %v, want the rest of the fix once: %v", got, rest)
		}
		v := w.view(t, fixtureBucket, tokyo)
		if !v.allOn() || v.Ownership != "BucketOwnerEnforced" || v.Algorithm != "aws:kms" || v.Key != w.keys[tokyo] || !v.BucketKey {
			t.Errorf("not fixed after the redelivery: %+v", v)
		}
		if !w.wholePolicy(t) {
			t.Error("the policy is still the owner's after the redelivery")
		}
		ns := w.notices(t, 1)
		if got := outcomes(ns); !equal(got, []finding.Outcome{finding.Fixed}) {
			t.Errorf("redelivery notices %v, want one fixed", got)
		}
		// What the cut-short try already wrote is announced with the fix,
		// with the revert command for its record.
		if recs := w.records(t, bucketARN); len(recs) > 1 && len(landedWrites(first)) > 0 && len(ns) == 1 &&
			!strings.Contains(strings.Join(ns[0].Actions, "\n"), "gcguard revert "+recs[len(recs)-1].ID) {
			t.Errorf("the fix's notice does not name the earlier try %s: %q", recs[len(recs)-1].ID, ns[0].Actions)
		}
		if recs := w.records(t, bucketARN); len(recs) == 0 || recs[0].Status != audit.Applied {
			t.Errorf("newest record after the redelivery: %s", statuses(recs))
		}
		// EventBridge delivers at least once: a duplicate after the fix
		// writes nothing and announces nothing, not even what the first
		// try left unannounced.
		w.proxy.Reset()
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		err = invoke(ctx, ev)
		cancel()
		third := w.proxy.Calls()
		if err != nil {
			t.Fatalf("duplicate after the fix: %v", err)
		}
		if got := landedWrites(third); len(got) != 0 {
			t.Errorf("a duplicate after the fix wrote %v", got)
		}
		if ns, err := w.sb.WaitNotices(context.Background(), 1, 500*time.Millisecond); err != nil || len(ns) != 0 {
			t.Errorf("a duplicate after the fix announced %v (%v): %+v", outcomes(ns), err, ns)
		}
		second = append(second, third...)
	}
	bucketNothingLost(t, w, append(first, second...))
}

// bucketNothingLost: no write without its record, each part written at
// most once, only whole policies and SSE-C blocked on the wire, and the
// other bucket never called.
func bucketNothingLost(t *testing.T, w *bucketFaultWorld, all []testkit.Call) {
	t.Helper()
	w.mu.Lock()
	bad := w.writesWithoutRecord
	w.mu.Unlock()
	if len(bad) != 0 {
		t.Errorf("S3 writes without a planned audit record: %v", bad)
	}
	for _, p := range bucketParts {
		if n := strings.Count(" "+strings.Join(landedWrites(all), " ")+" ", " "+p+" "); n > 1 {
			t.Errorf("%s landed %d times", p, n)
		}
	}
	for _, b := range w.bodies.sent("policy") {
		if got := policySids(t, b); !slices.Equal(got, w.merged) {
			t.Errorf("a PutBucketPolicy body was not the whole merged policy: sids %v, want %v", got, w.merged)
		}
	}
	for _, b := range w.bodies.sent("encryption") {
		if !blocksSSEC(b) {
			t.Errorf("PutBucketEncryption sent without SSE-C blocked:\n%s", b)
		}
	}
	for _, c := range all {
		if strings.HasPrefix(c.Path, "/"+otherBucket) {
			t.Errorf("the other bucket was called: %s", c)
		}
	}
}

// freshEvent is a fixture as it arrives in production: seconds after the call.
func (w *bucketFaultWorld) freshEvent(t *testing.T, path string) []byte {
	t.Helper()
	return []byte(strings.ReplaceAll(string(w.event(t, path)), "2026-11-24T01:02:03Z", time.Now().UTC().Format(time.RFC3339)))
}
