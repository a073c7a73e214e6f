package guardrail

import (
	"context"
	"errors"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
)

// DiscardAudit is the auditor of a report-only scan of an account where
// gcguard is not deployed: it reads nothing and refuses every write, so a
// scan can never change a resource (the engine writes nothing without a record).
type DiscardAudit struct{}

var errScanOnly = errors.New("report-only scan: no audit table, so nothing may be changed")

// Begin implements Auditor.
func (DiscardAudit) Begin(ctx context.Context, r *audit.Record) error { return errScanOnly }

// Finish implements Auditor.
func (DiscardAudit) Finish(ctx context.Context, r *audit.Record, s audit.Status, e string, now time.Time) error {
	return errScanOnly
}

// MarkNotified implements Auditor.
func (DiscardAudit) MarkNotified(ctx context.Context, r *audit.Record) error { return nil }

// Unnotified implements Auditor.
func (DiscardAudit) Unnotified(ctx context.Context, resource, eventID string) ([]*audit.Record, error) {
	return nil, nil
}

// Acquire implements Auditor.
func (DiscardAudit) Acquire(ctx context.Context, resource, owner string, now time.Time, d time.Duration) error {
	return errScanOnly
}

// Release implements Auditor.
func (DiscardAudit) Release(ctx context.Context, resource, owner string) error { return nil }

// ActiveHold implements Auditor.
func (DiscardAudit) ActiveHold(ctx context.Context, resource string, now time.Time) (*audit.Hold, error) {
	return nil, nil
}
