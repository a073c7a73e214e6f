package rules_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/rules/iamrules"
	"github.com/gcguard/gcguard/shared/sandbox"
)

func iamStatus(s string) types.StatusType { return types.StatusType(s) }

const accessKeyFn = "github.com/gcguard/gcguard/functions/accesskey"

// keyWorld: alice has a new key (k1, the event's) and another key (k2);
// bob created his own key (k3).
type keyWorld struct {
	*world
	k1, k2, k3 string
}

func newKeyWorld(t *testing.T) *keyWorld {
	w := &keyWorld{world: newWorld(t)}
	w.user(t, "alice")
	w.user(t, "bob")
	w.k1, w.k2 = w.newKey(t, "alice"), w.newKey(t, "alice")
	w.k3 = w.newKey(t, "bob")
	w.subs["AKIAEXAMPLEKEY000001"] = w.k1
	w.subs["AKIAEXAMPLEKEY000002"] = w.k3
	return w
}

func TestAccessKeyScenarios(t *testing.T) {
	scenarios := []struct {
		name    string
		setup   func(t *testing.T, w *keyWorld)
		events  []string // delivered in order
		wantErr bool
		check   func(t *testing.T, w *keyWorld)
	}{{
		name:   "new key deleted, the user's other key untouched, audited first, announced",
		events: []string{"iam/create-access-key.json"},
		check: func(t *testing.T, w *keyWorld) {
			keys := w.keys(t, "alice")
			if _, ok := keys[w.k1]; ok || keys[w.k2] != "Active" {
				t.Fatalf("want %s deleted and %s active, have %v", w.k1, w.k2, keys)
			}
			recs := w.records(t, userARN+"alice")
			if len(recs) != 1 || recs[0].Status != audit.Applied || recs[0].Outcome != finding.Fixed {
				t.Fatalf("want one applied record, got %+v", recs)
			}
			order := calls(w.proxy.Mutating(""))
			if i, j := strings.Index(order, "dynamodb:PutItem"), strings.Index(order, "iam:DeleteAccessKey"); i < 0 || j < 0 || i > j {
				t.Fatalf("the key was deleted before its record was stored: %s", order)
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.Fixed || n.AuditID != recs[0].ID || n.Irreversible == "" || n.RevertCommand != "" {
				t.Fatalf("notice: %+v", n)
			}
			if n.Actor.Email != "taro.yamada@lg.id.cloud.go.jp" || n.Violations[0] != finding.AccessKeyCreated {
				t.Fatalf("notice names the wrong actor or violation: %+v", n)
			}
		},
	}, {
		name:   "configured to deactivate: the key is inactive and can be reverted",
		setup:  func(t *testing.T, w *keyWorld) { w.sb.Config.AccessKeyAction = config.AccessKeyDeactivate },
		events: []string{"iam/create-access-key.json"},
		check: func(t *testing.T, w *keyWorld) {
			keys := w.keys(t, "alice")
			if keys[w.k1] != "Inactive" || keys[w.k2] != "Active" {
				t.Fatalf("want %s inactive and %s active, have %v", w.k1, w.k2, keys)
			}
			if n := w.notices(t, 1)[0]; !strings.HasPrefix(n.RevertCommand, "gcguard revert ") {
				t.Fatalf("no revert command: %+v", n)
			}
		},
	}, {
		name:   "a user creating their own key (no requestParameters.userName)",
		events: []string{"iam/create-access-key-self.json"},
		check: func(t *testing.T, w *keyWorld) {
			if _, ok := w.keys(t, "bob")[w.k3]; ok {
				t.Fatal("bob's self-created key still there")
			}
			if n := w.notices(t, 1)[0]; n.Actor.Kind != "iam_user" || n.Actor.Name != "bob" {
				t.Fatalf("actor: %+v", n.Actor)
			}
		},
	}, {
		name:   "console actor",
		events: []string{"iam/create-access-key-console.json"},
		check: func(t *testing.T, w *keyWorld) {
			if _, ok := w.keys(t, "alice")[w.k1]; ok {
				t.Fatal("key created in the console still there")
			}
		},
	}, {
		name: "exempted user untouched until expiry",
		setup: func(t *testing.T, w *keyWorld) {
			w.exemptions(t, `[{"rule":"accesskey","resource":"arn:aws:iam::123456789012:user/alice","approval":"デジタル庁承認 DA-2026-0142","expires":"2099-03-31"}]`)
		},
		events: []string{"iam/create-access-key.json"},
		check: func(t *testing.T, w *keyWorld) {
			if w.keys(t, "alice")[w.k1] != "Active" {
				t.Fatal("exempted user's key touched")
			}
			noWrites(t, w.world)
			if n := w.notices(t, 1)[0]; n.Outcome != finding.Exempted || !strings.Contains(n.Reason, "DA-2026-0142") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "expired exemption no longer protects",
		setup: func(t *testing.T, w *keyWorld) {
			w.exemptions(t, `[{"rule":"accesskey","resource":"arn:aws:iam::123456789012:user/alice","approval":"DA-2020-0001","expires":"2020-03-31"}]`)
		},
		events: []string{"iam/create-access-key.json"},
		check: func(t *testing.T, w *keyWorld) {
			if _, ok := w.keys(t, "alice")[w.k1]; ok {
				t.Fatal("expired exemption protected the key")
			}
		},
	}, {
		name:    "a failing audit write leaves the key alone",
		setup:   func(t *testing.T, w *keyWorld) { w.breakAudit(t) },
		events:  []string{"iam/create-access-key.json"},
		wantErr: true,
		check: func(t *testing.T, w *keyWorld) {
			if w.keys(t, "alice")[w.k1] != "Active" {
				t.Fatal("key changed without an audit record")
			}
			noWrites(t, w.world)
		},
	}, {
		name: "reactivated key deactivated, other key untouched",
		setup: func(t *testing.T, w *keyWorld) {
			w.setStatus(t, "alice", w.k2, "Inactive")
		},
		events: []string{"iam/update-access-key-active.json"},
		check: func(t *testing.T, w *keyWorld) {
			keys := w.keys(t, "alice")
			if keys[w.k1] != "Inactive" || keys[w.k2] != "Inactive" {
				t.Fatalf("want %s deactivated, %s left inactive, have %v", w.k1, w.k2, keys)
			}
			if n := w.notices(t, 1)[0]; n.Violations[0] != finding.AccessKeyReactivated {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name:   "key set inactive: nothing to do",
		events: []string{"iam/update-access-key-inactive.json"},
		check:  func(t *testing.T, w *keyWorld) { noWrites(t, w.world) },
	}, {
		name:   "out of order: reactivation event after the key was deleted",
		events: []string{"iam/create-access-key.json", "iam/update-access-key-active.json"},
		check: func(t *testing.T, w *keyWorld) {
			if muts := w.proxy.Mutating("iam"); len(muts) != 1 || muts[0].Action != "DeleteAccessKey" {
				t.Fatalf("want exactly one DeleteAccessKey, got %s", calls(muts))
			}
		},
	}, {
		name: "out of order: reactivation event while the key is inactive again",
		setup: func(t *testing.T, w *keyWorld) {
			w.setStatus(t, "alice", w.k1, "Inactive")
		},
		events: []string{"iam/update-access-key-active.json"},
		check:  func(t *testing.T, w *keyWorld) { noWrites(t, w.world) },
	}, {
		name:   "failed call: quiet",
		events: []string{"iam/create-access-key-failed.json"},
		check:  func(t *testing.T, w *keyWorld) { noWrites(t, w.world) },
	}, {
		name:   "self-caused: quiet",
		events: []string{"iam/create-access-key-self-caused.json"},
		check:  func(t *testing.T, w *keyWorld) { noWrites(t, w.world) },
	}, {
		name:   "a session named like gcguard's role is not gcguard",
		events: []string{"iam/create-access-key-session-named-gcguard.json"},
		check: func(t *testing.T, w *keyWorld) {
			if _, ok := w.keys(t, "alice")[w.k1]; ok {
				t.Fatal("session name let the key live")
			}
		},
	}, {
		// moto has no root keys: the account summary reports none, so the
		// rule finds nothing to say; the critical path is covered by
		// TestAccessKeyRootPlan.
		name:   "root key on an account without root keys: compliant, no writes",
		events: []string{"iam/create-access-key-root.json"},
		check:  func(t *testing.T, w *keyWorld) { noWrites(t, w.world) },
	}}
	for _, way := range sandbox.Ways(accessKeyFn, guardrail.Default, "accesskey") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newKeyWorld(t)
				if sc.setup != nil {
					sc.setup(t, w)
				}
				invoke := way.Start(t, w.sb)
				w.proxy.Reset()
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				var err error
				for _, ev := range sc.events {
					if e := invoke(ctx, w.event(t, ev)); e != nil {
						err = e
					}
				}
				if (err != nil) != sc.wantErr {
					t.Fatalf("error = %v, want error: %v", err, sc.wantErr)
				}
				sc.check(t, w)
			})
		}
	}
}

// A duplicate delivery makes no mutating call of any kind.
func TestAccessKeyDuplicateDelivery(t *testing.T) {
	for _, way := range sandbox.Ways(accessKeyFn, guardrail.Default, "accesskey") {
		t.Run(way.Name, func(t *testing.T) {
			w := newKeyWorld(t)
			invoke := way.Start(t, w.sb)
			ev := w.event(t, "iam/create-access-key.json")
			ctx := context.Background()
			if err := invoke(ctx, ev); err != nil {
				t.Fatal(err)
			}
			w.notices(t, 1)
			w.proxy.Reset()
			if err := invoke(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("duplicate delivery wrote: %s", calls(m))
			}
			w.notices(t, 0)
		})
	}
}

// Revert of a deactivation reactivates exactly that key; a deletion refuses.
func TestAccessKeyRevert(t *testing.T) {
	w := newKeyWorld(t)
	w.sb.Config.AccessKeyAction = config.AccessKeyDeactivate
	eng, err := w.sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Handle(ctx, w.event(t, "iam/create-access-key.json")); err != nil {
		t.Fatal(err)
	}
	rec := w.records(t, userARN+"alice")[0]
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false); err != nil {
		t.Fatal(err)
	}
	if w.keys(t, "alice")[w.k1] != "Active" {
		t.Fatal("revert did not reactivate the key")
	}
	// The hold keeps the guardrail off the key it just gave back.
	res, err := eng.HandleEvent(ctx, decode(t, w.event(t, "iam/update-access-key-active.json")))
	if err != nil || res[0].Outcome != finding.Skipped || w.keys(t, "alice")[w.k1] != "Active" {
		t.Fatalf("hold ignored: %+v %v", res, err)
	}

	w2 := newKeyWorld(t)
	eng2, _ := w2.sb.Engine(guardrail.Default, "accesskey")
	if err := eng2.Handle(ctx, w2.event(t, "iam/create-access-key.json")); err != nil {
		t.Fatal(err)
	}
	rec2 := w2.records(t, userARN+"alice")[0]
	if _, _, err := eng2.Revert(ctx, w2.sb.Store, rec2.ID, "tester", false); err == nil || !strings.Contains(err.Error(), "cannot be restored") {
		t.Fatalf("revert of a deleted key: %v", err)
	}
}

// The root user's key: only root can remove it, so the plan is a critical
// report. Plan is pure; moto cannot create root keys.
func TestAccessKeyRootPlan(t *testing.T) {
	r := &iamrules.AccessKey{}
	ev := decode(t, w0event(t, "iam/create-access-key-root.json"))
	tg, err := r.Match(ev)
	if err != nil || tg.Kind != iamrules.KindRootAccessKey || tg.ARN != "arn:aws:iam::123456789012:root" {
		t.Fatalf("match: %+v %v", tg, err)
	}
	p, err := r.Plan(guardrail.PlanInput{Event: ev, Target: tg, State: &iamrules.AccessKeyState{RootKeys: 1}, Config: &config.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Critical || p.ReportOnly == "" || !strings.Contains(p.ReportOnly, "root user") || p.Violations[0] != finding.RootAccessKeyCreated {
		t.Fatalf("plan: %+v", p)
	}
	n := guardrail.NoticeFromRecord(&audit.Record{Outcome: finding.WouldFix, Rule: "accesskey"})
	if n.Severity == notify.Critical {
		t.Fatal("severity must come from the plan, not the record")
	}
}
