package guardrail_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// designRoute is DESIGN §2's trigger table: the rule each CloudTrail call is
// routed to. Calls not listed route to "none".
var designRoute = map[string]string{
	"aws.iam CreateAccessKey":               "accesskey",
	"aws.iam UpdateAccessKey":               "accesskey",
	"aws.iam CreateUser":                    "iamuser",
	"aws.iam CreateLoginProfile":            "iamuser",
	"aws.iam CreateRole":                    "roletrust",
	"aws.iam UpdateAssumeRolePolicy":        "roletrust",
	"aws.s3 CreateBucket":                   "bucket",
	"aws.s3 PutBucketEncryption":            "bucket",
	"aws.s3 DeleteBucketEncryption":         "bucket",
	"aws.s3 PutBucketPolicy":                "bucket",
	"aws.s3 DeleteBucketPolicy":             "bucket",
	"aws.s3 PutBucketPublicAccessBlock":     "bucket",
	"aws.s3 DeleteBucketPublicAccessBlock":  "bucket",
	"aws.s3 PutBucketAcl":                   "bucket",
	"aws.s3 PutBucketOwnershipControls":     "bucket",
	"aws.s3 DeleteBucketOwnershipControls":  "bucket",
	"aws.s3 PutAccountPublicAccessBlock":    "accountpab",
	"aws.s3 DeleteAccountPublicAccessBlock": "accountpab",
}

func routeOf(ev *cloudtrail.Event) string {
	if r, ok := designRoute[ev.Source+" "+ev.Detail.EventName]; ok {
		return r
	}
	return "none"
}

// cloudTrailFixtures walks events/ and returns the CloudTrail fixtures
// (not malformed/, not scheduled/).
func cloudTrailFixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(fixtureDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(fixtureDir, p)
		rel = filepath.ToSlash(rel)
		if !strings.HasPrefix(rel, "malformed/") && !strings.HasPrefix(rel, "scheduled/") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func explainCfg() *config.Config {
	return &config.Config{Account: "123456789012", Partition: "aws", Language: "ja", AccessKeyAction: config.AccessKeyDelete,
		OwnRoleARNs: []string{"arn:aws:iam::123456789012:role/gcguard-accesskey"}}
}

// With no rule registered, every trigger of DESIGN §2 is still named, says it
// is not built, and acts on nothing.
func TestExplainRoutesEveryFixtureWithoutRules(t *testing.T) {
	empty := &guardrail.Registry{}
	for _, rel := range cloudTrailFixtures(t) {
		t.Run(rel, func(t *testing.T) {
			ev := mustDecode(t, readEvent(t, rel))
			v := guardrail.Explain(empty, ev, explainCfg())
			want := routeOf(ev)
			if v.Rule != want || v.Act || v.Violations == nil || len(v.Violations) != 0 || v.Target != (guardrail.ExplainTarget{}) {
				t.Errorf("Explain = %+v, want rule %s, act false, no violations, no target", v, want)
			}
			if want == "none" {
				if !strings.Contains(v.Reason, "no gcguard rule is triggered by "+ev.Source+" "+ev.Detail.EventName) {
					t.Errorf("reason %q", v.Reason)
				}
				return
			}
			if !strings.Contains(v.Reason, "rule "+want+" is not part of this build yet") {
				t.Errorf("reason %q does not say the rule is not built", v.Reason)
			}
			if _, ok := guardrail.Planned[want]; !ok {
				t.Errorf("%s is not in guardrail.Planned", want)
			}
		})
	}
}

// Planned covers exactly the triggers of DESIGN §2.
func TestPlannedTriggers(t *testing.T) {
	want := map[string][]string{
		"accesskey":  {"CreateAccessKey", "UpdateAccessKey"},
		"iamuser":    {"CreateLoginProfile", "CreateUser"},
		"roletrust":  {"CreateRole", "UpdateAssumeRolePolicy"},
		"accountpab": {"DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"},
		"bucket": {"CreateBucket", "DeleteBucketEncryption", "DeleteBucketOwnershipControls", "DeleteBucketPolicy",
			"DeleteBucketPublicAccessBlock", "PutBucketAcl", "PutBucketEncryption", "PutBucketOwnershipControls",
			"PutBucketPolicy", "PutBucketPublicAccessBlock"},
	}
	if len(guardrail.Planned) != len(want) {
		t.Errorf("Planned has %d rules, want %d", len(guardrail.Planned), len(want))
	}
	for name, names := range want {
		got := slices.Clone(guardrail.Planned[name].EventNames)
		slices.Sort(got)
		if !slices.Equal(got, names) {
			t.Errorf("Planned[%s] = %v, want %v", name, got, names)
		}
	}
}

// explainingRule judges from the event alone.
type explainingRule struct {
	stubRule
	ex guardrail.Explanation
}

func (r *explainingRule) Explain(*cloudtrail.Event, guardrail.Target, *config.Config) guardrail.Explanation {
	return r.ex
}

var stubKeySpec = guardrail.Spec{
	Name: "accesskey", DefaultMode: config.Enforce, Scope: guardrail.ScopeGlobal,
	Triggers:    []guardrail.Trigger{{Source: "aws.iam", EventNames: []string{"CreateAccessKey", "UpdateAccessKey", "ListAccessKeys"}}},
	Permissions: []guardrail.Permission{{Actions: []string{"iam:DeleteAccessKey"}, Resources: []string{"arn:${Partition}:iam::${Account}:user/*"}}},
}

func registryWith(build func() (guardrail.Rule, error)) *guardrail.Registry {
	r := &guardrail.Registry{}
	r.Add(guardrail.Definition{Spec: stubKeySpec, New: func(guardrail.Deps) (guardrail.Rule, error) { return build() }})
	return r
}

func TestExplainDecisions(t *testing.T) {
	target := guardrail.Target{Kind: "access_key", User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001", ARN: "arn:aws:iam::123456789012:user/alice"}
	judged := guardrail.Explanation{Act: true, Violations: []finding.Code{finding.AccessKeyCreated}, Reason: "a key was created"}
	explaining := func() (guardrail.Rule, error) {
		return &explainingRule{stubRule: stubRule{spec: stubKeySpec, target: target}, ex: judged}, nil
	}
	plain := func() (guardrail.Rule, error) { return &stubRule{spec: stubKeySpec, target: target}, nil }
	for _, tc := range []struct {
		name    string
		fixture string
		rule    string // "" = DESIGN's route
		build   func() (guardrail.Rule, error)
		cfg     func(*config.Config)
		act     bool
		viol    []finding.Code
		target  guardrail.ExplainTarget
		reason  string
	}{
		{"rule explains", "iam/create-access-key.json", "", explaining, nil, true, judged.Violations,
			guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001"}, "a key was created"},
		{"notify mode says so", "iam/create-access-key.json", "", explaining, func(c *config.Config) { c.Modes = map[string]config.Mode{"accesskey": config.Notify} },
			true, judged.Violations, guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001"}, "a key was created (rule is in notify mode: it reports, changes nothing)"},
		{"rule off", "iam/create-access-key.json", "", explaining, func(c *config.Config) { c.Modes = map[string]config.Mode{"accesskey": config.Off} },
			false, nil, guardrail.ExplainTarget{}, "rule is off"},
		{"failed call", "iam/create-access-key-failed.json", "", explaining, nil, false, nil, guardrail.ExplainTarget{},
			"the call failed (LimitExceededException): nothing changed"},
		{"read-only call", "iam/list-access-keys-readonly.json", "accesskey", explaining, nil, false, nil, guardrail.ExplainTarget{}, "read-only call"},
		{"own role", "iam/create-access-key-self-caused.json", "", explaining, nil, false, nil, guardrail.ExplainTarget{},
			"caused by gcguard itself (its own role): skipped"},
		{"a session merely named like gcguard is judged", "iam/create-access-key-session-named-gcguard.json", "", explaining, nil, true, judged.Violations,
			guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001"}, "a key was created"},
		{"rule without Explain needs live state", "iam/create-access-key.json", "", plain, nil, true, nil,
			guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001"}, "the judgement needs live state"},
		{"ignored trigger", "iam/update-access-key-inactive.json", "", func() (guardrail.Rule, error) {
			return &stubRule{spec: stubKeySpec, target: target, matchErr: fmt.Errorf("%w: set to Inactive", guardrail.ErrIgnore)}, nil
		}, nil, false, nil, guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIAEXAMPLEKEY000001"}, "nothing to check: set to Inactive"},
		{"never-touch resource", "iam/create-access-key.json", "", func() (guardrail.Rule, error) {
			return &stubRule{spec: stubKeySpec, matchErr: fmt.Errorf("%w: service-linked", guardrail.ErrNeverTouch)}, nil
		}, nil, false, nil, guardrail.ExplainTarget{}, "never touched: service-linked"},
		{"match fails", "iam/create-access-key.json", "", func() (guardrail.Rule, error) {
			return &stubRule{spec: stubKeySpec, matchErr: errors.New("the event names no IAM user")}, nil
		}, nil, false, nil, guardrail.ExplainTarget{}, "malformed event: the event names no IAM user"},
		{"constructor fails", "iam/create-access-key.json", "", func() (guardrail.Rule, error) { return nil, errors.New("no client") },
			nil, false, nil, guardrail.ExplainTarget{}, "cannot build rule: no client"},
		{"planned rule next to a registered one", "iam/create-user.json", "", explaining, nil, false, nil, guardrail.ExplainTarget{},
			"rule iamuser is not part of this build yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := explainCfg()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			ev := mustDecode(t, readEvent(t, tc.fixture))
			v := guardrail.Explain(registryWith(tc.build), ev, cfg)
			wantRule := tc.rule
			if wantRule == "" {
				wantRule = routeOf(ev)
			}
			if v.Rule != wantRule || v.Act != tc.act || v.Target != tc.target || !strings.HasPrefix(v.Reason, tc.reason) {
				t.Errorf("Explain = %+v\nwant rule %s act %v target %+v reason %q…", v, wantRule, tc.act, tc.target, tc.reason)
			}
			wantViol := tc.viol
			if wantViol == nil {
				wantViol = []finding.Code{}
			}
			if !reflect.DeepEqual(v.Violations, wantViol) {
				t.Errorf("violations %#v, want %#v", v.Violations, wantViol)
			}
		})
	}
}

// The verdict's JSON is the schema `gcguard explain` prints.
func TestVerdictJSON(t *testing.T) {
	for _, tc := range []struct {
		v    guardrail.Verdict
		want string
	}{
		{guardrail.Verdict{Rule: "none", Violations: []finding.Code{}, Reason: "r"},
			`{"rule":"none","act":false,"violations":[],"target":{},"reason":"r"}`},
		{guardrail.Verdict{Rule: "accesskey", Act: true, Violations: []finding.Code{finding.AccessKeyCreated},
			Target: guardrail.ExplainTarget{User: "alice", AccessKeyID: "AKIA1"}, Reason: "r"},
			`{"rule":"accesskey","act":true,"violations":["access_key_created"],"target":{"user":"alice","access_key_id":"AKIA1"},"reason":"r"}`},
		{guardrail.Verdict{Rule: "bucket", Violations: []finding.Code{}, Target: guardrail.ExplainTarget{Role: "x", Bucket: "b"}},
			`{"rule":"bucket","act":false,"violations":[],"target":{"role":"x","bucket":"b"},"reason":""}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("JSON %s (%v), want %s", b, err, tc.want)
		}
	}
}
