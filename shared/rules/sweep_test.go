package rules_test

import (
	"context"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/config"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/testkit"
)

// sweepWorld: users with active keys (violations), a user with only an
// inactive key (a compliant look-alike), and a user with no key.
func sweepWorld(t *testing.T, users int) (*world, []string) {
	t.Helper()
	w := newWorld(t)
	var keys []string
	for i := range users {
		name := fmt.Sprintf("user%03d", i)
		w.user(t, name)
		keys = append(keys, w.newKey(t, name))
	}
	w.user(t, "inactive-only")
	w.setStatus(t, "inactive-only", w.newKey(t, "inactive-only"), "Inactive")
	w.user(t, "no-keys")
	return w, keys
}

func sweeper(t *testing.T, w *world, rules ...string) *guardrail.Sweeper {
	t.Helper()
	eng, err := w.sb.Engine(guardrail.Default, rules...)
	if err != nil {
		t.Fatal(err)
	}
	return &guardrail.Sweeper{Engine: eng, Checkpoints: w.sb.Store, Workers: 4}
}

func TestSweepFixesNewKeysAndReportsUsers(t *testing.T) {
	w, keys := sweepWorld(t, 3)
	w.sb.Config.DeployedAt = time.Now().Add(-time.Hour) // every key is newer than the deployment
	w.proxy.Reset()
	rep, err := sweeper(t, w, "accesskey", "iamuser").Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Finished || len(rep.Errors) != 0 {
		t.Fatalf("sweep: %+v", rep)
	}
	if got := rep.Counts["accesskey/fixed"]; got != len(keys) {
		t.Fatalf("want %d keys fixed, got counts %v", len(keys), rep.Counts)
	}
	if rep.Counts["accesskey/compliant"] != 1 {
		t.Fatalf("the inactive key must be compliant: %v", rep.Counts)
	}
	// Five users: every one is reported (IAM users are prohibited), none changed.
	if rep.Counts["iamuser/would_fix"] != 5 {
		t.Fatalf("users: %v", rep.Counts)
	}
	deletes := 0
	for _, c := range w.proxy.Mutating("iam") {
		if c.Action != "DeleteAccessKey" {
			t.Fatalf("unexpected IAM write %s", c.Action)
		}
		deletes++
	}
	if deletes != len(keys) {
		t.Fatalf("want %d deletes, got %d", len(keys), deletes)
	}
	n := rep.Summary(w.sb.Config)
	if n.Outcome != finding.Fixed || len(n.Actions) == 0 {
		t.Fatalf("summary: %+v", n)
	}
}

func TestSweepReportsPreexisting(t *testing.T) {
	w, keys := sweepWorld(t, 2)
	w.sb.Config.DeployedAt = time.Now().Add(time.Hour) // deployed after every key: all pre-existing
	w.proxy.Reset()
	rep, err := sweeper(t, w, "accesskey").Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts["accesskey/would_fix"] != len(keys) {
		t.Fatalf("pre-existing keys must be reported: %v", rep.Counts)
	}
	if m := w.proxy.Mutating("iam"); len(m) != 0 {
		t.Fatalf("pre-existing keys changed: %s", calls(m))
	}
	// Per-resource reports are summed up, not recorded one by one.
	if recs := w.records(t, userARN+"user000"); len(recs) != 0 {
		t.Fatalf("sweep reports recorded: %+v", recs)
	}
	w.sb.Config.FixPreexisting = true
	rep, err = sweeper(t, w, "accesskey").Run(context.Background())
	if err != nil || rep.Counts["accesskey/fixed"] != len(keys) {
		t.Fatalf("with FixPreexisting the keys are fixed: %v %v", rep.Counts, err)
	}
}

// A run cut off at its deadline saves its checkpoint; the next run goes on
// from there and repeats no write.
func TestSweepResumesWithoutRepeatingWrites(t *testing.T) {
	w, keys := sweepWorld(t, 40)
	w.proxy.Reset()
	sw := sweeper(t, w, "accesskey")
	sw.Margin = 24 * time.Hour // any deadline is "near": stop after the first batch
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	rep, err := sw.Run(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Finished {
		t.Fatal("the first run should have stopped at its deadline")
	}
	first := len(w.proxy.Mutating("iam"))
	if first == 0 || first >= len(keys) {
		t.Fatalf("first run deleted %d of %d keys", first, len(keys))
	}
	cp, err := w.sb.Store.LoadCheckpoint(context.Background())
	if err != nil || cp == nil || cp.After == "" {
		t.Fatalf("no checkpoint saved: %+v %v", cp, err)
	}
	sw.Margin = 0
	rep, err = sw.Run(context.Background())
	if err != nil || !rep.Finished {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	seen := map[string]int{}
	for _, c := range w.proxy.Mutating("iam") {
		if c.Action != "DeleteAccessKey" {
			t.Fatalf("unexpected write %s", c.Action)
		}
		seen[c.Path+c.Query]++
	}
	total := len(w.proxy.Mutating("iam"))
	if total != len(keys) {
		t.Fatalf("want exactly %d deletes across both runs, got %d", len(keys), total)
	}
	if rep.RunID != cp.RunID || rep.Counts["accesskey/fixed"] != len(keys) {
		t.Fatalf("the run's tallies did not carry over: %+v", rep)
	}
	if cp, _ := w.sb.Store.LoadCheckpoint(context.Background()); cp != nil {
		t.Fatalf("checkpoint left after a finished sweep: %+v", cp)
	}
}

// A listing cut off by throttling that outlasts the SDK's retries keeps its
// place: the next run goes on with the same rule.
func TestSweepKeepsPlaceWhenListingFails(t *testing.T) {
	w, keys := sweepWorld(t, 3)
	sw := sweeper(t, w, "accesskey")
	w.proxy.SetFault(testkit.Match("iam", func(testkit.Call) *testkit.Fault { return &testkit.Fault{Status: 503, Code: "ServiceUnavailable"} }, "ListUsers"))
	rep, err := sw.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Finished || len(rep.Errors) == 0 {
		t.Fatalf("a failed listing must not finish the sweep: %+v", rep)
	}
	cp, err := w.sb.Store.LoadCheckpoint(context.Background())
	if err != nil || cp == nil || cp.Rule != "accesskey" {
		t.Fatalf("checkpoint: %+v %v", cp, err)
	}
	w.proxy.SetFault(nil)
	rep, err = sw.Run(context.Background())
	if err != nil || !rep.Finished || rep.Counts["accesskey/fixed"] != len(keys) {
		t.Fatalf("resumed sweep: %+v %v", rep, err)
	}
}

// The CDK bootstrap evidence is read once per region, not once per role:
// a sweep over many roles that trust only the account asks CloudFormation
// a handful of times.
func TestSweepAsksCloudFormationOncePerRegion(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	accountOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	for i := range 40 {
		if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("app-%02d", i)), AssumeRolePolicyDocument: aws.String(accountOnly)}); err != nil {
			t.Fatal(err)
		}
	}
	// Notify mode: sweep reports send no per-resource notices, so every
	// CloudFormation call counted here is the bootstrap check's.
	w.sb.Config.Modes["roletrust"] = config.Notify
	w.proxy.Reset()
	rep, err := sweeper(t, w, "roletrust").Run(ctx)
	if err != nil || !rep.Finished || rep.Counts["roletrust/would_fix"] != 40 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	n := 0
	for _, c := range w.proxy.Calls() {
		if c.Service == "cloudformation" && c.Action == "DescribeStackResources" {
			n++
		}
	}
	if n == 0 || n > 5 {
		t.Fatalf("want a handful of CloudFormation look-ups for 40 roles, got %d", n)
	}
}
