package notify_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

func TestWindowLifecycle(t *testing.T) {
	w := &notify.Window{Period: time.Minute, MaxFull: 100}
	t0 := notify.SampleTime
	a := notify.Sample("bucket", finding.WouldFix)
	b := *a
	b.AuditID, b.Resource = "second", "arn:aws:s3:::other"

	if d := w.Admit(a, t0); d != notify.Post {
		t.Fatalf("first notice: %s", d)
	}
	w.Posted(a, t0)
	if d := w.Admit(a, t0.Add(time.Second)); d != notify.Duplicate {
		t.Errorf("re-delivery: %s", d)
	}
	if d := w.Admit(&b, t0.Add(2*time.Second)); d != notify.Grouped {
		t.Errorf("identical notice about another resource: %s", d)
	}
	other := notify.Sample("roletrust", finding.WouldFix)
	other.AuditID = "role"
	if d := w.Admit(other, t0.Add(3*time.Second)); d != notify.Post {
		t.Errorf("a different notice: %s", d)
	}
	if due := w.Due(t0.Add(59 * time.Second)); len(due) != 0 {
		t.Errorf("%d digests due inside the window", len(due))
	}
	due := w.Due(t0.Add(time.Minute))
	if len(due) != 1 || due[0].Count != 1 || due[0].Items[0].AuditID != "second" {
		t.Fatalf("due %+v", due)
	}
	// After the window the group starts afresh: the next one is posted in full.
	c := b
	c.AuditID = "third"
	if d := w.Admit(&c, t0.Add(61*time.Second)); d != notify.Post {
		t.Errorf("first notice of a new window: %s", d)
	}
	// A failed digest post is requeued, not lost.
	w.Requeue(due)
	if w.Pending() != 1 || len(w.Due(t0.Add(62*time.Second))) != 1 {
		t.Error("requeued digest lost")
	}
}

func TestGroupKey(t *testing.T) {
	a := notify.Sample("bucket", finding.Fixed)
	b := notify.Sample("bucket", finding.Fixed)
	b.Resource, b.Name, b.AuditID = "arn:aws:s3:::x", "x", "y"
	b.Violations = slices.Clone(a.Violations)
	slices.Reverse(b.Violations)
	if notify.GroupKey(a) != notify.GroupKey(b) {
		t.Error("same news about another resource, violations in another order, grouped apart")
	}
	b.Actor.Name, b.Actor.Email = "other@lg.id.cloud.go.jp", "other@lg.id.cloud.go.jp"
	if notify.GroupKey(a) == notify.GroupKey(b) {
		t.Error("different actors grouped together")
	}
}
