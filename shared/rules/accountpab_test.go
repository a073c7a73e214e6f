package rules_test

import (
	"context"
	"errors"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const accountPABFn = "github.com/gcguard/gcguard/functions/accountpab"

var accountPABARN = s3rules.AccountPABARN("aws", sandbox.Account)

func (w *world) s3control() *s3control.Client { return s3client.Control(w.sb.AWS) }

func (w *world) setAccountPAB(t *testing.T, acls, ignore, policy, restrict bool) {
	t.Helper()
	_, err := w.s3control().PutPublicAccessBlock(context.Background(), &s3control.PutPublicAccessBlockInput{AccountId: aws.String(sandbox.Account),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(acls), IgnorePublicAcls: aws.Bool(ignore),
			BlockPublicPolicy: aws.Bool(policy), RestrictPublicBuckets: aws.Bool(restrict)}})
	if err != nil {
		t.Fatal(err)
	}
}

// accountPAB returns the four flags as "tttt"/"ftff", or "none".
func (w *world) accountPAB(t *testing.T) string {
	t.Helper()
	out, err := w.s3control().GetPublicAccessBlock(context.Background(), &s3control.GetPublicAccessBlockInput{AccountId: aws.String(sandbox.Account)})
	if awsapi.Code(err) == "NoSuchPublicAccessBlockConfiguration" {
		return "none"
	}
	if err != nil {
		t.Fatal(err)
	}
	c := out.PublicAccessBlockConfiguration
	s := ""
	for _, b := range []*bool{c.BlockPublicAcls, c.IgnorePublicAcls, c.BlockPublicPolicy, c.RestrictPublicBuckets} {
		if aws.ToBool(b) {
			s += "t"
		} else {
			s += "f"
		}
	}
	return s
}

func denyAccountPABWrites(c testkit.Call) *testkit.Fault {
	if c.Service == "s3control" && c.Action == "PutPublicAccessBlock" {
		// S3 Control wraps its errors in ErrorResponse.
		return &testkit.Fault{Status: http.StatusForbidden, ContentType: "application/xml",
			Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error><RequestId>r</RequestId><HostId>h</HostId></ErrorResponse>`)}
	}
	return nil
}

func TestAccountPABScenarios(t *testing.T) {
	scenarios := []struct {
		name    string
		setup   func(t *testing.T, w *world)
		events  []string
		wantErr bool
		check   func(t *testing.T, w *world)
	}{{
		name:   "flags turned off go back on, audited first",
		setup:  func(t *testing.T, w *world) { w.setAccountPAB(t, false, true, true, true) },
		events: []string{"s3/put-account-public-access-block.json"},
		check: func(t *testing.T, w *world) {
			if got := w.accountPAB(t); got != "tttt" {
				t.Fatalf("flags %s", got)
			}
			order := calls(w.proxy.Mutating(""))
			if i, j := strings.Index(order, "dynamodb:PutItem"), strings.Index(order, "s3control:PutPublicAccessBlock"); i < 0 || j < i {
				t.Fatalf("order: %s", order)
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.Fixed || n.Violations[0] != finding.AccountPABOff || n.RevertCommand == "" {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name:   "configuration deleted: all four on again",
		events: []string{"s3/delete-account-public-access-block.json"},
		check: func(t *testing.T, w *world) {
			if got := w.accountPAB(t); got != "tttt" {
				t.Fatalf("flags %s", got)
			}
		},
	}, {
		name:   "already all on: no writes",
		setup:  func(t *testing.T, w *world) { w.setAccountPAB(t, true, true, true, true) },
		events: []string{"s3/put-account-public-access-block.json"},
		check: func(t *testing.T, w *world) {
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("writes: %s", calls(m))
			}
		},
	}, {
		name: "an organization policy governs the flags: reported once as failed, then only reported",
		setup: func(t *testing.T, w *world) {
			w.setAccountPAB(t, false, false, false, false)
			w.proxy.SetFault(denyAccountPABWrites)
		},
		events: []string{"s3/put-account-public-access-block.json", "s3/delete-account-public-access-block.json"},
		check: func(t *testing.T, w *world) {
			if m := w.proxy.Mutating("s3control"); len(m) != 1 {
				t.Fatalf("want one write attempt, then reports: %s", calls(m))
			}
			ns := w.notices(t, 2)
			if ns[0].Outcome != finding.Failed || !strings.Contains(ns[0].Reason, "organization") {
				t.Fatalf("first notice: %+v", ns[0])
			}
			if ns[1].Outcome != finding.WouldFix || !strings.Contains(ns[1].Reason, "does not fight") {
				t.Fatalf("second notice: %+v", ns[1])
			}
		},
	}}
	for _, way := range sandbox.Ways(accountPABFn, guardrail.Default, "accountpab") {
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

// Revert restores the four flags exactly, or removes a configuration that
// did not exist, and holds; a flag changed since refuses without force.
func TestAccountPABRevert(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *world)
		want  string
	}{
		{"flags set before", func(t *testing.T, w *world) { w.setAccountPAB(t, true, false, true, false) }, "tftf"},
		{"no configuration before", func(*testing.T, *world) {}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(t, w)
			eng, err := w.sb.Engine(guardrail.Default, "accountpab")
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Handle(ctx, w.event(t, "s3/put-account-public-access-block.json")); err != nil {
				t.Fatal(err)
			}
			rec := w.records(t, accountPABARN)[0]
			if rec.Status != audit.Applied {
				t.Fatalf("record: %+v", rec)
			}
			if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false); err != nil {
				t.Fatal(err)
			}
			if got := w.accountPAB(t); got != tc.want {
				t.Fatalf("after revert %s, want %s", got, tc.want)
			}
			res, err := eng.HandleEvent(ctx, decode(t, w.event(t, "s3/delete-account-public-access-block.json")))
			if err != nil || res[0].Outcome != finding.Skipped || w.accountPAB(t) != tc.want {
				t.Fatalf("hold ignored: %+v %v", res, err)
			}
		})
	}
	t.Run("changed since: refused without force", func(t *testing.T) {
		w := newWorld(t)
		w.setAccountPAB(t, false, false, false, false)
		eng, _ := w.sb.Engine(guardrail.Default, "accountpab")
		if err := eng.Handle(ctx, w.event(t, "s3/put-account-public-access-block.json")); err != nil {
			t.Fatal(err)
		}
		w.setAccountPAB(t, true, true, true, false)
		rec := w.records(t, accountPABARN)[0]
		if _, _, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false); !errors.Is(err, guardrail.ErrChanged) {
			t.Fatalf("want ErrChanged, got %v", err)
		}
	})
}
