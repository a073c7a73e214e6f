package s3rules

import (
	"context"

	"github.com/gcguard/gcguard/shared/guardrail"
)

// List yields the one account-level configuration for the sweep: calls
// made from regions whose events never reach the hub are caught here.
func (r *AccountPAB) List(ctx context.Context, after string, fn func(guardrail.Item) error) error {
	if after != "" {
		return nil
	}
	return fn(guardrail.Item{Target: guardrail.Target{Kind: KindAccountPAB, ARN: AccountPABARN(r.partition(), r.Account)}, Key: r.Account})
}
