package rules_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const iamUserFn = "github.com/gcguard/gcguard/functions/iamuser"

func TestIAMUserScenarios(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(t *testing.T, w *world)
		event string
		check func(t *testing.T, w *world)
	}{{
		name:  "new IAM user reported (notify by default), nothing changed",
		event: "iam/create-user.json",
		check: func(t *testing.T, w *world) {
			noWrites(t, w)
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.WouldFix || n.Violations[0] != finding.IAMUserCreated {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "new IAM user in enforce mode is still only reported",
		setup: func(t *testing.T, w *world) {
			w.user(t, "alice")
			w.sb.Config.Modes["iamuser"] = config.Enforce
		},
		event: "iam/create-user.json",
		check: func(t *testing.T, w *world) {
			noWrites(t, w)
			if n := w.notices(t, 1)[0]; n.Outcome != finding.WouldFix {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name:  "console password reported by default",
		setup: func(t *testing.T, w *world) { loginProfile(t, w) },
		event: "iam/create-login-profile.json",
		check: func(t *testing.T, w *world) {
			noWrites(t, w)
			if n := w.notices(t, 1)[0]; n.Violations[0] != finding.LoginProfileCreated {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "console password deleted when configured and enforced",
		setup: func(t *testing.T, w *world) {
			loginProfile(t, w)
			w.sb.Config.Modes["iamuser"] = config.Enforce
			w.sb.Config.DeleteLoginProf = true
		},
		event: "iam/create-login-profile.json",
		check: func(t *testing.T, w *world) {
			if _, err := w.iam.GetLoginProfile(context.Background(), &iam.GetLoginProfileInput{UserName: aws.String("alice")}); err == nil {
				t.Fatal("login profile still there")
			}
			if n := w.notices(t, 1)[0]; n.Outcome != finding.Fixed || n.Irreversible == "" {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name:  "user gone since the event: quiet",
		setup: func(t *testing.T, w *world) { w.sb.Config.Modes["iamuser"] = config.Enforce },
		event: "iam/create-login-profile.json",
		check: func(t *testing.T, w *world) { noWrites(t, w); w.notices(t, 0) },
	}}
	for _, way := range sandbox.Ways(iamUserFn, guardrail.Default, "iamuser") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newWorld(t)
				if sc.setup != nil {
					sc.setup(t, w)
				} else {
					w.user(t, "alice")
				}
				invoke := way.Start(t, w.sb)
				w.proxy.Reset()
				if err := invoke(context.Background(), w.event(t, sc.event)); err != nil {
					t.Fatal(err)
				}
				sc.check(t, w)
			})
		}
	}
}

func loginProfile(t *testing.T, w *world) {
	t.Helper()
	w.user(t, "alice")
	_, err := w.iam.CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Tmp-Passw0rd!2026")})
	if err != nil {
		t.Fatal(err)
	}
}

func decode(t *testing.T, raw []byte) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func w0event(t *testing.T, path string) []byte { return testkit.LoadEvent(t, "events/"+path) }
