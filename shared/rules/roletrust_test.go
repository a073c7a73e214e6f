package rules_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/iamrules"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const roleTrustFn = "github.com/gcguard/gcguard/functions/roletrust"

// fixed checks the one applied record and the notice of a tightened role.
func fixed(t *testing.T, w *world, role string) *audit.Record {
	t.Helper()
	recs := w.records(t, roleARN+role)
	if len(recs) != 1 || recs[0].Status != audit.Applied || recs[0].Outcome != finding.Fixed {
		t.Fatalf("want one applied record for %s, got %+v", role, recs)
	}
	order := calls(w.proxy.Mutating(""))
	if i, j := strings.Index(order, "dynamodb:PutItem"), strings.Index(order, "iam:UpdateAssumeRolePolicy"); i < 0 || j < 0 || i > j {
		t.Fatalf("the trust policy was written before its record was stored: %s", order)
	}
	if m := w.proxy.Mutating("iam"); len(m) != 1 {
		t.Fatalf("want exactly one IAM write, got %s", calls(m))
	}
	n := w.notices(t, 1)[0]
	if n.Outcome != finding.Fixed || n.AuditID != recs[0].ID || n.RevertCommand != "gcguard revert "+recs[0].ID {
		t.Fatalf("notice: %+v", n)
	}
	if n.Violations[0] != finding.TrustPolicyOverbroad || n.Before == "" || n.After == "" || n.Before == n.After {
		t.Fatalf("notice lacks a readable before → after: %+v", n)
	}
	// Every rewrite carries the access preview that proved it, in the
	// record and in the notice, and nobody gains.
	if pv := n.Preview; pv == nil || len(pv.Gains) != 0 || strings.Join(pv.Loses, "|") != strings.Join(recs[0].PreviewLoses, "|") || len(pv.Loses) == 0 {
		t.Fatalf("notice preview %+v, record loses %v", n.Preview, recs[0].PreviewLoses)
	}
	return recs[0]
}

// untouched checks that nothing at all was written: no IAM call, no audit
// record, no notice.
func untouched(t *testing.T, w *world, role, trust string) {
	t.Helper()
	if got := w.trust(t, role); got != trust {
		t.Fatalf("trust policy of %s changed:\n%s", role, got)
	}
	noMutations(t, w)
	w.notices(t, 0)
}

func TestRoleTrustScenarios(t *testing.T) {
	scenarios := []struct {
		name    string
		setup   func(t *testing.T, w *world)
		events  []string
		wantErr bool
		check   func(t *testing.T, w *world)
	}{{
		name:   "public: * is replaced by the account restricted to its SSO roles",
		setup:  func(t *testing.T, w *world) { w.role(t, "public-role", "", trustPublic) },
		events: []string{"iam/create-role-public.json"},
		check: func(t *testing.T, w *world) {
			doc := w.tightened(t, "public-role", `"AWS":"arn:aws:iam::123456789012:root"`, `"ArnLike":{"aws:PrincipalArn":"`+ssoPattern+`"}`)
			if strings.Contains(doc, `"*"`) {
				t.Fatalf("public principal left: %s", doc)
			}
			rec := fixed(t, w, "public-role")
			if string(rec.Before) != trustPublic {
				t.Fatalf("audit record does not hold the exact previous document: %s", rec.Before)
			}
			if n := w.records(t, roleARN+"public-role"); n[0].EventID == "" || n[0].Actor.Email != "taro.yamada@lg.id.cloud.go.jp" {
				t.Fatalf("record misses the event or actor: %+v", n[0])
			}
		},
	}, {
		name:   "foreign account dropped, the SwitchOnlyRole principal kept as written",
		setup:  func(t *testing.T, w *world) { w.role(t, "app-deploy", "", trustForeign) },
		events: []string{"iam/update-assume-role-policy-foreign.json"},
		check: func(t *testing.T, w *world) {
			doc := w.tightened(t, "app-deploy", switchOnly, `"aws:userid":"*:taro.yamada@lg.id.cloud.go.jp"`)
			if strings.Contains(doc, "999988887777") {
				t.Fatalf("foreign account left: %s", doc)
			}
			n := fixed(t, w, "app-deploy")
			if !strings.Contains(strings.Join(n.Actions, "\n"), "999988887777") {
				t.Fatalf("actions do not say what was dropped: %v", n.Actions)
			}
			// The access preview is recorded (signed with the record) and
			// reaches the notice: the foreign account loses, the
			// SwitchOnlyRole keeps, nobody gains.
			if !strings.Contains(strings.Join(n.PreviewLoses, " "), "999988887777") || len(n.PreviewKeeps) == 0 || len(n.PreviewGains) != 0 {
				t.Fatalf("audit record preview: loses %v keeps %v gains %v", n.PreviewLoses, n.PreviewKeeps, n.PreviewGains)
			}
		},
	}, {
		name:   "account-wide root gains aws:PrincipalArn = the allowed principals",
		setup:  func(t *testing.T, w *world) { w.role(t, "app-deploy", "", trustAccountRoot) },
		events: []string{"iam/create-role.json"},
		check: func(t *testing.T, w *world) {
			w.tightened(t, "app-deploy", `"ArnLike":{"aws:PrincipalArn":"`+ssoPattern+`"}`)
			fixed(t, w, "app-deploy")
		},
	}, {
		name: "GitHub OIDC with aud only: nobody could be kept, so the quarantine statement",
		setup: func(t *testing.T, w *world) {
			w.githubProvider(t)
			w.role(t, "github-deploy", "", trustGitHubAud)
		},
		events: []string{"iam/create-role-github-aud-only.json"},
		check: func(t *testing.T, w *world) {
			doc := w.tightened(t, "github-deploy", policy.QuarantineSid)
			if strings.Contains(doc, "token.actions.githubusercontent.com") {
				t.Fatalf("unrestricted provider left: %s", doc)
			}
			fixed(t, w, "github-deploy")
		},
	}, {
		name:   "compliant: GCAS SwitchOnlyRole + aws:userid, untouched, nothing written",
		setup:  func(t *testing.T, w *world) { w.role(t, "app-operator", "", trustSwitchOnly) },
		events: []string{"iam/create-role-switch-only.json"},
		check:  func(t *testing.T, w *world) { untouched(t, w, "app-operator", trustSwitchOnly) },
	}, {
		name:   "compliant: the account's SSO roles via ArnLike, untouched",
		setup:  func(t *testing.T, w *world) { w.role(t, "app-deploy", "", trustOwnSSO) },
		events: []string{"iam/update-assume-role-policy.json"},
		check:  func(t *testing.T, w *world) { untouched(t, w, "app-deploy", trustOwnSSO) },
	}, {
		name: "the event's policy is bad but the live one is fine: live state decides",
		setup: func(t *testing.T, w *world) {
			w.role(t, "public-role", "", trustSwitchOnly)
		},
		events: []string{"iam/create-role-public.json"},
		check:  func(t *testing.T, w *world) { untouched(t, w, "public-role", trustSwitchOnly) },
	}, {
		name: "oversized record (parameters omitted): acts from live state",
		setup: func(t *testing.T, w *world) {
			w.role(t, "big-trust-role", "", trustPublic)
		},
		events: []string{"iam/create-role-omitted.json"},
		check: func(t *testing.T, w *world) {
			w.tightened(t, "big-trust-role")
			fixed(t, w, "big-trust-role")
		},
	}, {
		name: "service-linked role: never touched",
		setup: func(t *testing.T, w *world) {
			w.subs["AWSServiceRoleForElasticLoadBalancing"] = w.serviceLinked(t, "elasticloadbalancing.amazonaws.com")
		},
		events: []string{"iam/update-assume-role-policy-service-linked.json"},
		check: func(t *testing.T, w *world) {
			name := w.subs["AWSServiceRoleForElasticLoadBalancing"]
			noMutations(t, w)
			w.notices(t, 0)
			if d := w.trust(t, name); !strings.Contains(d, "elasticloadbalancing.amazonaws.com") {
				t.Fatalf("service-linked trust changed: %s", d)
			}
		},
	}, {
		name: "IAM Identity Center role (path and the AWSSSO_ provider): never touched",
		setup: func(t *testing.T, w *world) {
			w.ssoProvider(t)
			w.role(t, "AWSReservedSSO_SwitchOnlyRole_0123456789abcdef", ssoRolePath, trustSSOSAML)
			w.subs[`"app-deploy"`] = `"AWSReservedSSO_SwitchOnlyRole_0123456789abcdef"`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check: func(t *testing.T, w *world) {
			untouched(t, w, "AWSReservedSSO_SwitchOnlyRole_0123456789abcdef", trustSSOSAML)
		},
	}, {
		name: "SSO path with a public trust: the path alone never protects",
		setup: func(t *testing.T, w *world) {
			w.role(t, "AWSReservedSSO_Fake_0123456789abcdef", ssoRolePath, trustPublic)
			w.subs[`"app-deploy"`] = `"AWSReservedSSO_Fake_0123456789abcdef"`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check: func(t *testing.T, w *world) {
			w.tightened(t, "AWSReservedSSO_Fake_0123456789abcdef")
			recs := w.records(t, roleARN+"aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_Fake_0123456789abcdef")
			if len(recs) != 1 || recs[0].Status != audit.Applied {
				t.Fatalf("want one applied record under the role's exact ARN, got %+v", recs)
			}
		},
	}, {
		name: "CDK bootstrap role (CDKToolkit resource trusting the account): never touched",
		setup: func(t *testing.T, w *world) {
			w.role(t, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1", "", trustAccountRoot)
			w.subs[`"app-deploy"`] = `"cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1"`
			w.cdkToolkit("cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1")
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check: func(t *testing.T, w *world) {
			untouched(t, w, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1", trustAccountRoot)
		},
	}, {
		name: "CDK-named role in no stack: the name alone never protects",
		setup: func(t *testing.T, w *world) {
			w.role(t, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1", "", trustAccountRoot)
			w.subs[`"app-deploy"`] = `"cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1"`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check: func(t *testing.T, w *world) {
			w.tightened(t, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1", ssoPattern)
		},
	}, {
		name: "CDK bootstrap role whose trust was opened to the public: fixed",
		setup: func(t *testing.T, w *world) {
			w.role(t, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1", "", trustPublic)
			w.subs[`"app-deploy"`] = `"cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1"`
			w.cdkToolkit("cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1")
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check: func(t *testing.T, w *world) {
			w.tightened(t, "cdk-hnb659fds-deploy-role-123456789012-ap-northeast-1")
		},
	}, {
		name: "CloudFormation unreadable: a CDK-shaped role is reported, not changed",
		setup: func(t *testing.T, w *world) {
			w.role(t, "app-deploy", "", trustAccountRoot)
			w.proxy.SetFault(testkit.Match("cloudformation", func(testkit.Call) *testkit.Fault {
				return &testkit.Fault{Status: 403, Code: "AccessDenied", Message: "not authorized to perform: cloudformation:DescribeStackResources"}
			}, "DescribeStackResources"))
		},
		events: []string{"iam/create-role.json"},
		check: func(t *testing.T, w *world) {
			if w.trust(t, "app-deploy") != trustAccountRoot {
				t.Fatal("changed although the CDK evidence could not be read")
			}
			noWrites(t, w)
			if n := w.notices(t, 1)[0]; n.Outcome != finding.WouldFix || !strings.Contains(n.Reason, "CDK bootstrap") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "gcguard's own role: never touched",
		setup: func(t *testing.T, w *world) {
			w.role(t, "gcguard-accesskey", "", trustAccountRoot)
			w.subs[`"app-deploy"`] = `"gcguard-accesskey"`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check:  func(t *testing.T, w *world) { untouched(t, w, "gcguard-accesskey", trustAccountRoot) },
	}, {
		name: "gcguard's own role opened to the public: fixed anyway",
		setup: func(t *testing.T, w *world) {
			w.role(t, "gcguard-accesskey", "", trustPublic)
			w.subs[`"app-deploy"`] = `"gcguard-accesskey"`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check:  func(t *testing.T, w *world) { w.tightened(t, "gcguard-accesskey") },
	}, {
		name: "notify mode: reported with the planned document, nothing written to IAM",
		setup: func(t *testing.T, w *world) {
			w.sb.Config.Modes = map[string]config.Mode{"roletrust": config.Notify}
			w.role(t, "public-role", "", trustPublic)
		},
		events: []string{"iam/create-role-public.json"},
		check: func(t *testing.T, w *world) {
			if w.trust(t, "public-role") != trustPublic {
				t.Fatal("notify mode changed the role")
			}
			noWrites(t, w)
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.WouldFix || n.RevertCommand != "" || !strings.Contains(n.After, ssoPattern) || n.Severity != notify.Critical {
				t.Fatalf("notice: %+v", n)
			}
			recs := w.records(t, roleARN+"public-role")
			if len(recs) != 1 || recs[0].Status != audit.Reported || policy.ValidateTrust(recs[0].After) != nil {
				t.Fatalf("want one reported record holding a valid planned document, got %+v", recs)
			}
		},
	}, {
		name: "exempted by role ARN: reported as exempted, untouched",
		setup: func(t *testing.T, w *world) {
			w.exemptions(t, `[{"rule":"roletrust","resource":"arn:aws:iam::123456789012:role/app-deploy","approval":"DA-2026-0310","expires":"2099-03-31"}]`)
			w.role(t, "app-deploy", "", trustAccountRoot)
		},
		events: []string{"iam/create-role.json"},
		check: func(t *testing.T, w *world) {
			if w.trust(t, "app-deploy") != trustAccountRoot {
				t.Fatal("exempted role changed")
			}
			noWrites(t, w)
			if n := w.notices(t, 1)[0]; n.Outcome != finding.Exempted || !strings.Contains(n.Reason, "DA-2026-0310") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "the rewrite would not fit the size quota: reported with the reason",
		setup: func(t *testing.T, w *world) {
			for i := range 8 {
				w.sb.Config.AllowedPrincipals = append(w.sb.Config.AllowedPrincipals,
					fmt.Sprintf("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_Team%02d_*", i))
			}
			w.role(t, "app-deploy", "", bigAccountWide(t))
		},
		events: []string{"iam/create-role.json"},
		check: func(t *testing.T, w *world) {
			if w.trust(t, "app-deploy") != bigAccountWide(t) {
				t.Fatal("changed although the rewrite does not fit")
			}
			noWrites(t, w)
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.WouldFix || !strings.Contains(n.Reason, "size quota of 2048 bytes") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "failed call: quiet",
		setup: func(t *testing.T, w *world) {
			w.role(t, "app-deploy", "", trustPublic)
			w.subs[`"readOnly": false`] = `"errorCode": "AccessDenied", "readOnly": false`
		},
		events: []string{"iam/update-assume-role-policy.json"},
		check:  func(t *testing.T, w *world) { untouched(t, w, "app-deploy", trustPublic) },
	}}
	for _, way := range sandbox.Ways(roleTrustFn, guardrail.Default, "roletrust") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newWorld(t)
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

// bigAccountWide is an account-wide trust policy just under IAM's default
// quota: adding the allowed principals pushes it over.
func bigAccountWide(t *testing.T) string {
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf(`"vendor-external-id-%04d"`, i))
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":[` + strings.Join(ids, ",") + `]}}}]}`
	if len(doc) > iamrules.DefaultTrustPolicyQuota {
		t.Fatalf("starting document is %d bytes, over the quota itself", len(doc))
	}
	return doc
}

// A second delivery of the same event makes no mutating call of any kind.
func TestRoleTrustDuplicateDelivery(t *testing.T) {
	for _, way := range sandbox.Ways(roleTrustFn, guardrail.Default, "roletrust") {
		t.Run(way.Name, func(t *testing.T) {
			w := newWorld(t)
			w.role(t, "public-role", "", trustPublic)
			invoke := way.Start(t, w.sb)
			ev := w.event(t, "iam/create-role-public.json")
			ctx := context.Background()
			if err := invoke(ctx, ev); err != nil {
				t.Fatal(err)
			}
			w.notices(t, 1)
			first := w.trust(t, "public-role")
			w.proxy.Reset()
			if err := invoke(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("second delivery wrote: %s", calls(m))
			}
			w.notices(t, 0)
			if w.trust(t, "public-role") != first {
				t.Fatal("second delivery changed the document")
			}
		})
	}
}

// Revert puts the exact previous document back (GetRole's URL encoding
// decoded once: "+" and "%41" survive), and the hold keeps the guardrail off.
func TestRoleTrustRevert(t *testing.T) {
	w := newWorld(t)
	w.role(t, "public-role", "", trustPublicExternalID)
	eng, err := w.sb.Engine(guardrail.Default, "roletrust")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := w.event(t, "iam/create-role-public.json")
	if err := eng.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	w.tightened(t, "public-role", `"sts:ExternalId":"a+b %41 c"`)
	rec := w.records(t, roleARN+"public-role")[0]
	if string(rec.Before) != trustPublicExternalID {
		t.Fatalf("record holds %q, want the exact previous document", rec.Before)
	}
	back, what, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.trust(t, "public-role"); got != trustPublicExternalID {
		t.Fatalf("revert restored\n%q\nwant\n%q", got, trustPublicExternalID)
	}
	if !strings.Contains(what, "restored") || back.RevertOf != rec.ID {
		t.Fatalf("revert said %q, record %+v", what, back)
	}
	hold, err := w.sb.Store.ActiveHold(ctx, roleARN+"public-role", time.Now())
	if err != nil || hold == nil || hold.AuditID != back.ID {
		t.Fatalf("no hold after revert: %+v %v", hold, err)
	}
	// The revert itself is an UpdateAssumeRolePolicy event: held, not undone.
	w.proxy.Reset()
	res, err := eng.HandleEvent(ctx, decode(t, ev))
	if err != nil || res[0].Outcome != finding.Skipped || !strings.Contains(res[0].Reason, "held") {
		t.Fatalf("hold ignored: %+v %v", res, err)
	}
	if w.trust(t, "public-role") != trustPublicExternalID {
		t.Fatal("the guardrail undid the revert")
	}
	noWrites(t, w)
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false); err == nil {
		t.Fatal("a second revert of the same record was accepted")
	}
}

// A revert never silently overwrites a later change by someone else.
func TestRoleTrustRevertRefusesLaterChange(t *testing.T) {
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
	rec := w.records(t, roleARN+"app-deploy")[0]
	w.setTrust(t, "app-deploy", trustSwitchOnly)
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false); !errors.Is(err, guardrail.ErrChanged) {
		t.Fatalf("revert over a later change: %v", err)
	}
	if w.trust(t, "app-deploy") != trustSwitchOnly {
		t.Fatal("the later change was overwritten")
	}
	if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", true); err != nil || w.trust(t, "app-deploy") != trustAccountRoot {
		t.Fatalf("forced revert: %v", err)
	}
}

// explain judges the event's own policy document and says live state decides.
func TestRoleTrustExplain(t *testing.T) {
	cfg := &config.Config{Account: sandbox.Account, Partition: "aws", AccessKeyAction: config.AccessKeyDelete, Language: "ja"}
	cases := []struct {
		event string
		act   bool
		code  finding.Code
		says  string
	}{
		{"iam/create-role-public.json", true, finding.TrustPolicyOverbroad, "public"},
		{"iam/create-role.json", true, finding.TrustPolicyOverbroad, "account_wide"},
		{"iam/update-assume-role-policy-foreign.json", true, finding.TrustPolicyOverbroad, "999988887777"},
		{"iam/create-role-github-aud-only.json", true, finding.TrustPolicyOverbroad, "federated_unrestricted"},
		{"iam/create-role-switch-only.json", false, "", "live policy decides"},
		{"iam/create-role-omitted.json", true, finding.RequestParametersOmitted, "reads the live one"},
		// A service principal without a source condition is compliant for
		// the rule (a finding, no violation), so for explain too.
		{"iam/update-assume-role-policy-service-linked.json", false, "", "aws:SourceAccount"},
	}
	for _, c := range cases {
		t.Run(c.event, func(t *testing.T) {
			v := guardrail.Explain(guardrail.Default, decode(t, w0event(t, c.event)), cfg)
			if v.Rule != "roletrust" || v.Act != c.act || !strings.Contains(v.Reason, c.says) {
				t.Fatalf("verdict: %+v", v)
			}
			if (c.code == "") != (len(v.Violations) == 0) || (c.code != "" && v.Violations[0] != c.code) {
				t.Fatalf("violations %v, want %q", v.Violations, c.code)
			}
			if c.act && c.code == finding.TrustPolicyOverbroad && !strings.Contains(v.Reason, "re-reads") {
				t.Fatalf("reason does not say live state decides: %s", v.Reason)
			}
		})
	}
}

// The spec is what the CDK app builds the function's role from.
func TestRoleTrustSpec(t *testing.T) {
	d, ok := guardrail.Default.Get("roletrust")
	if !ok {
		t.Fatal("roletrust not registered")
	}
	if err := d.Spec.Validate(); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, p := range d.Spec.Permissions {
		actions = append(actions, p.Actions...)
		for _, r := range p.Render("aws", sandbox.Account, "ap-northeast-1") {
			if joined := strings.Join(p.Actions, ","); r == "*" && !strings.Contains(joined, "GetAccountSummary") && !strings.Contains(joined, "ListRoles") {
				t.Errorf("%v on * although it takes a resource", p.Actions)
			}
		}
	}
	for _, want := range []string{"iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:GetAccountSummary", "cloudformation:DescribeStackResources"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("permission %s not declared", want)
		}
	}
}
