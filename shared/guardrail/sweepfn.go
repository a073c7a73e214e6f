package guardrail

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
)

// SweepFunction is the scheduled sweep's Lambda handler.
type SweepFunction struct {
	Sweeper *Sweeper
}

// NewSweepFunction wires the sweep with every registered rule.
func NewSweepFunction(ctx context.Context, getenv config.Getenv) (*SweepFunction, error) {
	eng, err := NewFunction(ctx, getenv, Default.Names()...)
	if err != nil {
		return nil, err
	}
	store, ok := eng.Audit.(*audit.Store)
	if !ok {
		return nil, fmt.Errorf("sweep needs the audit table for its checkpoint")
	}
	return &SweepFunction{Sweeper: &Sweeper{Engine: eng, Checkpoints: store, Workers: 4}}, nil
}

// Handle runs one sweep pass for a scheduled event (its content is not
// used) and sends one summary notice. A pass cut off by the time limit
// saves its checkpoint; the next scheduled run goes on from there.
func (f *SweepFunction) Handle(ctx context.Context, _ json.RawMessage) error {
	rep, err := f.Sweeper.Run(ctx)
	if err != nil {
		return err
	}
	eng := f.Sweeper.Engine
	eng.logger().InfoContext(ctx, "sweep pass ended", "run_id", rep.RunID, "finished", rep.Finished, "counts", rep.Counts, "errors", len(rep.Errors))
	if eng.Notifier == nil {
		return nil
	}
	return eng.Notifier.Publish(ctx, rep.Summary(eng.Config))
}
