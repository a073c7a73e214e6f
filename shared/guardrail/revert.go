package guardrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/finding"
)

// ErrNotRevertible says a record's change cannot be undone.
var ErrNotRevertible = errors.New("cannot be reverted")

// RevertStore is the part of the audit store a revert needs.
type RevertStore interface {
	Auditor
	Get(ctx context.Context, id string) (*audit.Record, error)
	MarkReverted(ctx context.Context, r *audit.Record, revertID string) error
	PlaceHold(ctx context.Context, h audit.Hold) error
}

// RevertPlan is a revert checked and ready: the authenticated record, the
// resource's live state and the state the revert would restore.
type RevertPlan struct {
	Record *audit.Record
	Target Target
	// Live is the resource's state now, in the shape of the record's
	// After; nil when the rule cannot snapshot it.
	Live json.RawMessage
	// Restore is the state the revert writes back (the record's Before).
	Restore json.RawMessage
	// Changed is non-nil when the resource is no longer as gcguard left it.
	Changed error

	rule Rule
	rv   Reverter
}

// PlanRevert authenticates record id (a record that does not verify is
// refused: an edited "before" must never be written back), checks that it
// can be reverted and reads the resource's live state. It writes nothing.
func (e *Engine) PlanRevert(ctx context.Context, store RevertStore, id string) (*RevertPlan, error) {
	rec, err := store.Get(ctx, id)
	if err != nil {
		if errors.Is(err, audit.ErrUnverified) {
			return nil, fmt.Errorf("refusing to revert: %w; nothing was changed", err)
		}
		return nil, err
	}
	switch {
	case rec.RevertedBy != "":
		return nil, fmt.Errorf("audit record %s was already reverted by %s", id, rec.RevertedBy)
	case rec.RevertOf != "":
		return nil, fmt.Errorf("audit record %s is itself a revert: %w", id, ErrNotRevertible)
	case rec.Status != audit.Applied && rec.Status != audit.Planned && rec.Status != audit.Failed:
		// A failed record may have been applied in part (a bucket's first
		// parts before its policy write failed); restoring its recorded
		// prior state is safe either way.
		return nil, fmt.Errorf("audit record %s is %s: only changes gcguard made (applied, planned or failed) can be reverted: %w", id, rec.Status, ErrNotRevertible)
	case rec.Irreversible != "":
		return nil, fmt.Errorf("audit record %s: %s: %w", id, rec.Irreversible, ErrNotRevertible)
	}
	var rule Rule
	for _, b := range e.Rules {
		if b.Rule.Spec().Name == rec.Rule {
			rule = b.Rule
		}
	}
	if rule == nil {
		return nil, fmt.Errorf("audit record %s belongs to rule %s, which this gcguard does not run", id, rec.Rule)
	}
	rv, ok := rule.(Reverter)
	if !ok {
		return nil, fmt.Errorf("rule %s: %w", rec.Rule, ErrNotRevertible)
	}
	var t Target
	if err := json.Unmarshal(rec.Target, &t); err != nil {
		return nil, fmt.Errorf("audit record %s has no readable target: %w", id, err)
	}
	p := &RevertPlan{Record: rec, Target: t, Restore: rec.Before, rule: rule, rv: rv}
	if snap, ok := rule.(Snapshotter); ok {
		state, err := rule.Observe(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("read %s before reverting: %w", t.ARN, err)
		}
		p.Live = snap.Snapshot(state)
		if len(rec.After) > 0 && !sameJSON(p.Live, rec.After) {
			p.Changed = fmt.Errorf("%w\n  gcguard left: %s\n  now:         %s", ErrChanged, rec.After, p.Live)
		}
	}
	return p, nil
}

// Revert undoes the change recorded as id: PlanRevert, then ApplyRevert.
func (e *Engine) Revert(ctx context.Context, store RevertStore, id, by string, force bool) (*audit.Record, string, error) {
	p, err := e.PlanRevert(ctx, store, id)
	if err != nil {
		return nil, "", err
	}
	return e.ApplyRevert(ctx, store, p, by, force)
}

// ApplyRevert records the revert first (signed), places a signed hold so
// the guardrail does not immediately undo it, and restores the prior state
// through the rule. by names who asked.
//
// Unless force is set, it refuses when the resource changed since gcguard
// wrote it (rules that can snapshot their state say what differs): a
// revert must not silently undo someone else's later change. The live
// state is read again here, since time may have passed since the plan.
func (e *Engine) ApplyRevert(ctx context.Context, store RevertStore, p *RevertPlan, by string, force bool) (*audit.Record, string, error) {
	rec, t, id := p.Record, p.Target, p.Record.ID
	if !force {
		if err := unchangedSince(ctx, p.rule, t, rec); err != nil {
			return nil, "", err
		}
	}
	now := e.now().UTC()
	back := &audit.Record{
		ID: audit.NewID(now), Resource: rec.Resource, Kind: rec.Kind, Region: rec.Region, Account: rec.Account,
		Rule: rec.Rule, Mode: "revert", Status: audit.Planned, Outcome: finding.Fixed, Violations: rec.Violations,
		Actions: []string{"restore the state recorded in " + id}, BeforeText: rec.AfterText, AfterText: rec.BeforeText,
		Before: rec.After, After: rec.Before, Target: rec.Target, RevertOf: id, Created: now,
	}
	back.Actor.Kind, back.Actor.Name = "operator", by
	// Hold first: between restoring and holding, an event would undo the revert.
	// The hold covers what the record changed (one access key, not all
	// the user's keys): the same key the lease serializes on.
	hold := audit.Hold{Resource: t.LeaseKey(), Until: now.Add(e.Config.HoldDuration), AuditID: back.ID, By: by}
	if err := store.PlaceHold(ctx, hold); err != nil {
		return nil, "", fmt.Errorf("no change made: %w", err)
	}
	if err := store.Begin(ctx, back); err != nil {
		return nil, "", fmt.Errorf("no change made: %w", err)
	}
	what, err := p.rv.Revert(ctx, rec)
	if err != nil {
		_ = store.Finish(ctx, back, audit.Failed, err.Error(), e.now())
		return back, "", fmt.Errorf("revert %s: %w", id, err)
	}
	if err := store.Finish(ctx, back, audit.Applied, "", e.now()); err != nil {
		return back, what, err
	}
	if err := store.MarkReverted(ctx, rec, back.ID); err != nil {
		return back, what, err
	}
	return back, what + fmt.Sprintf("; gcguard leaves %s alone until %s", rec.Resource, hold.Until.Format("2006-01-02 15:04:05 MST")), nil
}

// ErrChanged says the resource is no longer as gcguard left it.
var ErrChanged = errors.New("the resource changed since gcguard wrote it (use --force to revert anyway)")

func unchangedSince(ctx context.Context, rule Rule, t Target, rec *audit.Record) error {
	snap, ok := rule.(Snapshotter)
	if !ok || len(rec.After) == 0 {
		return nil
	}
	state, err := rule.Observe(ctx, t)
	if err != nil {
		return fmt.Errorf("read %s before reverting: %w", t.ARN, err)
	}
	now := snap.Snapshot(state)
	if sameJSON(now, rec.After) {
		return nil
	}
	return fmt.Errorf("%w\n  gcguard left: %s\n  now:         %s", ErrChanged, rec.After, now)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
