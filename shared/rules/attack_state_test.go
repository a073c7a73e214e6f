package rules_test

// Attacks on gcguard's own state, performed as someone with ordinary rights
// in the account would: writing the audit table and the exemptions
// parameter directly. Each runs through the roletrust function in this
// process and as the real bootstrap.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/sandbox"
)

const attackRole = "public-role"

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// putRaw writes an item straight into the audit table, as an attacker with
// dynamodb:PutItem would.
func (w *world) putRaw(t *testing.T, item map[string]types.AttributeValue) {
	t.Helper()
	_, err := dynamodb.NewFromConfig(w.sb.AWS).PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(sandbox.AuditTable), Item: item})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) getRaw(t *testing.T, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := dynamodb.NewFromConfig(w.sb.AWS).GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(sandbox.AuditTable),
		Key: map[string]types.AttributeValue{audit.AttrPK: s("RES#" + roleARN + attackRole), audit.AttrSK: s(sk)}})
	if err != nil || out.Item == nil {
		t.Fatalf("read %s: %v", sk, err)
	}
	return out.Item
}

func (w *world) putParam(t *testing.T, value string) {
	t.Helper()
	_, err := ssm.NewFromConfig(w.sb.AWS).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String("/gcguard/exemptions"), Value: aws.String(value), Type: "String", Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	w.sb.Config.ExemptionsParam = "/gcguard/exemptions"
}

// fixedDespite checks that the public role was tightened and recorded, and
// that a critical notice names the ignored item with the given words.
func fixedDespite(t *testing.T, w *world, words ...string) {
	t.Helper()
	w.tightened(t, attackRole, `"AWS":"arn:aws:iam::123456789012:root"`)
	recs := w.records(t, roleARN+attackRole)
	if len(recs) != 1 || recs[0].Status != audit.Applied || recs[0].Outcome != finding.Fixed {
		t.Fatalf("want one applied record, got %+v", recs)
	}
	ns := w.notices(t, 2)
	var crit, fix *notify.Notice
	for i := range ns {
		switch {
		case ns[i].Severity == notify.Critical && ns[i].Kind == "gcguard_state":
			crit = &ns[i]
		case ns[i].Outcome == finding.Fixed:
			fix = &ns[i]
		}
	}
	if crit == nil || fix == nil {
		t.Fatalf("want one critical notice about gcguard's state and one fixed notice, got %+v", ns)
	}
	for _, word := range words {
		if !strings.Contains(crit.Reason+" "+crit.Name, word) {
			t.Fatalf("critical notice does not say %q: %+v", word, crit)
		}
	}
}

func TestAttackState(t *testing.T) {
	future := time.Now().Add(time.Hour)
	entry := config.Exemption{Rule: "roletrust", Resource: roleARN + attackRole, Approval: "DA-2026-0999", Expires: "2099-12-31",
		AddedBy: "taro.yamada@lg.id.cloud.go.jp", AddedAt: "2026-12-01T00:00:00Z", Source: config.SourceCLI}
	scenarios := []struct {
		name  string
		setup func(t *testing.T, w *world)
		check func(t *testing.T, w *world)
	}{{
		name: "forged hold (no MAC) does not stop the fix",
		setup: func(t *testing.T, w *world) {
			w.putRaw(t, map[string]types.AttributeValue{audit.AttrPK: s("RES#" + roleARN + attackRole), audit.AttrSK: s("HOLD"),
				"until": s(future.UTC().Format(time.RFC3339)), "audit_id": s("20261201T000000Z-00000000"), "by": s("attacker"), audit.AttrExpiresAt: n(future)})
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "hold", "HOLD", "no MAC") },
	}, {
		name: "gcguard's hold with an attribute altered does not stop the fix",
		setup: func(t *testing.T, w *world) {
			if err := w.sb.Store.PlaceHold(context.Background(), audit.Hold{Resource: roleARN + attackRole, Until: future, AuditID: "20261201T000000Z-00000001", By: "ops"}); err != nil {
				t.Fatal(err)
			}
			item := w.getRaw(t, "HOLD")
			later := time.Now().Add(20 * time.Hour)
			item["until"], item[audit.AttrExpiresAt] = s(later.UTC().Format(time.RFC3339)), n(later)
			w.putRaw(t, item)
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "hold", "does not verify") },
	}, {
		name: "a signed hold beyond the hold maximum is ignored",
		setup: func(t *testing.T, w *world) {
			long := &audit.Store{DB: w.sb.Store.DB, Table: sandbox.AuditTable, MAC: w.sb.Store.MAC, HoldMax: 30 * 24 * time.Hour}
			if err := long.PlaceHold(context.Background(), audit.Hold{Resource: roleARN + attackRole, Until: time.Now().Add(48 * time.Hour), AuditID: "x", By: "ops"}); err != nil {
				t.Fatal(err)
			}
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "hold maximum") },
	}, {
		name: "a forged lease that never ends does not block the writer",
		setup: func(t *testing.T, w *world) {
			w.putRaw(t, map[string]types.AttributeValue{audit.AttrPK: s("RES#" + roleARN + attackRole), audit.AttrSK: s("LEASE"),
				"owner": s("attacker"), audit.AttrExpiresAt: n(time.Now().Add(24 * 365 * time.Hour)), audit.AttrMAC: s(base64.StdEncoding.EncodeToString([]byte("not a mac")))})
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "lease", "does not verify") },
	}, {
		name: "an unsigned exemption entry does not apply",
		setup: func(t *testing.T, w *world) {
			e := entry
			w.putParam(t, `{"version":2,"entries":[`+exemptionJSON(t, e)+`]}`)
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "exemption", "DA-2026-0999", "no MAC") },
	}, {
		name: "a signed exemption entry with its expiry altered does not apply",
		setup: func(t *testing.T, w *world) {
			e := entry
			e.Expires = "2026-01-31"
			if err := guardrail.SignExemption(context.Background(), w.sb.Store.MAC, &e); err != nil {
				t.Fatal(err)
			}
			e.Expires = "2099-12-31"
			w.putParam(t, `{"version":2,"entries":[`+exemptionJSON(t, e)+`]}`)
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "exemption", "does not verify") },
	}, {
		name: "the old unsigned list format never applies",
		setup: func(t *testing.T, w *world) {
			w.putParam(t, `[{"rule":"roletrust","resource":"`+roleARN+attackRole+`","approval":"DA-2026-0999","expires":"2099-12-31"}]`)
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "old unsigned format") },
	}, {
		name: "a parameter nobody can read does not stop the fix",
		setup: func(t *testing.T, w *world) {
			w.putParam(t, `{"version":2,"entries":[{"rule":`)
		},
		check: func(t *testing.T, w *world) { fixedDespite(t, w, "cannot be read") },
	}, {
		name: "a validly signed exemption applies",
		setup: func(t *testing.T, w *world) {
			doc, err := guardrail.SignedExemptionDoc(context.Background(), w.sb.Store.MAC, config.Exemptions{entry})
			if err != nil {
				t.Fatal(err)
			}
			w.putParam(t, doc)
		},
		check: func(t *testing.T, w *world) {
			if w.trust(t, attackRole) != trustPublic {
				t.Fatal("exempted role was changed")
			}
			recs := w.records(t, roleARN+attackRole)
			if len(recs) != 1 || recs[0].Outcome != finding.Exempted {
				t.Fatalf("want one exempted record, got %+v", recs)
			}
			if ns := w.notices(t, 1); ns[0].Outcome != finding.Exempted || !strings.Contains(ns[0].Reason, "DA-2026-0999") {
				t.Fatalf("notice: %+v", ns[0])
			}
		},
	}}
	for _, way := range sandbox.Ways(roleTrustFn, guardrail.Default, "roletrust") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newWorld(t)
				w.role(t, attackRole, "", trustPublic)
				sc.setup(t, w)
				invoke := way.Start(t, w.sb)
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				if err := invoke(ctx, w.event(t, "iam/create-role-public.json")); err != nil {
					t.Fatal(err)
				}
				sc.check(t, w)
			})
		}
	}
}

func exemptionJSON(t *testing.T, e config.Exemption) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// An audit record whose "before" was edited to trust a foreign account (or
// a record forged outright) is never restored: revert refuses, writes
// nothing, and the refusal names the failed authentication.
func TestAttackEditedRecordRevert(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(item map[string]types.AttributeValue)
	}{
		{"before edited to a foreign account's trust", func(item map[string]types.AttributeValue) { item["before"] = s(trustForeign) }},
		{"MAC removed and before edited", func(item map[string]types.AttributeValue) {
			delete(item, audit.AttrMAC)
			item["before"] = s(trustForeign)
		}},
		{"status edited back to applied after a revert marker was dropped", func(item map[string]types.AttributeValue) {
			item["status"] = s(string(audit.Applied))
			item["irreversible"] = s("")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.role(t, "app-deploy", "", trustAccountRoot)
			eng, err := w.sb.Engine(guardrail.Default, "roletrust")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := eng.Handle(ctx, w.event(t, "iam/create-role.json")); err != nil {
				t.Fatal(err)
			}
			w.notices(t, 1)
			rec := w.records(t, roleARN+"app-deploy")[0]
			fixedTrust := w.trust(t, "app-deploy")
			out, err := dynamodb.NewFromConfig(w.sb.AWS).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sandbox.AuditTable),
				Key: map[string]types.AttributeValue{audit.AttrPK: s("RES#" + rec.Resource), audit.AttrSK: s("REC#" + rec.Created.UTC().Format(time.RFC3339Nano) + "#" + rec.ID)}})
			if err != nil || out.Item == nil {
				t.Fatalf("read the record: %v", err)
			}
			tc.edit(out.Item)
			w.putRaw(t, out.Item)
			w.proxy.Reset()
			// The engine's own store, as `gcguard revert` uses it: its
			// failed authentications raise the critical notice.
			_, _, err = eng.Revert(ctx, eng.Audit.(*audit.Store), rec.ID, "tester", true)
			if err == nil || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("revert of an edited record: %v", err)
			}
			if got := w.trust(t, "app-deploy"); got != fixedTrust {
				t.Fatalf("the edited record was restored:\n%s", got)
			}
			for _, svc := range []string{"iam", "dynamodb"} {
				if m := w.proxy.Mutating(svc); len(m) != 0 {
					t.Fatalf("refused revert still wrote: %s", calls(m))
				}
			}
			ns := w.notices(t, 1)
			if ns[0].Severity != notify.Critical || !strings.Contains(ns[0].Reason, rec.ID) {
				t.Fatalf("no critical notice naming the record: %+v", ns[0])
			}
		})
	}
}

// With a MAC key gcguard cannot use, nothing is changed (the signed record
// must come first) and a critical notice says why.
func TestMacKeyUnusable(t *testing.T) {
	for _, way := range sandbox.Ways(roleTrustFn, guardrail.Default, "roletrust") {
		t.Run(way.Name, func(t *testing.T) {
			w := newWorld(t)
			w.role(t, attackRole, "", trustPublic)
			// A key for encryption cannot make MACs: KMS refuses every GenerateMac.
			k, err := kms.NewFromConfig(w.sb.AWS).CreateKey(context.Background(), &kms.CreateKeyInput{})
			if err != nil {
				t.Fatal(err)
			}
			w.sb.Config.MacKeyARN = aws.ToString(k.KeyMetadata.Arn)
			invoke := way.Start(t, w.sb)
			w.proxy.Reset()
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			if err := invoke(ctx, w.event(t, "iam/create-role-public.json")); err == nil {
				t.Fatal("no error although nothing could be recorded")
			}
			if w.trust(t, attackRole) != trustPublic {
				t.Fatal("the role was changed without a signed record")
			}
			noWrites(t, w)
			if recs := w.records(t, roleARN+attackRole); len(recs) != 0 {
				t.Fatalf("records: %+v", recs)
			}
			ns := w.notices(t, 1)
			if ns[0].Severity != notify.Critical || !strings.Contains(ns[0].Reason, "changed nothing") {
				t.Fatalf("notice: %+v", ns[0])
			}
		})
	}
}
