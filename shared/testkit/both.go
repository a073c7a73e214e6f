package testkit

import (
	"context"
	"testing"
)

// Invoker hands one event to a guardrail and returns its error: the
// handler called in-process, or a bootstrap through the Runtime API.
type Invoker func(ctx context.Context, event []byte) error

// BothWays runs fn twice, as subtests "in-process" (with inProcess) and
// "bootstrap" (with the Invoker bootstrap returns, typically
// StartFunctionT(t, pkg, env).Invoker()), so one scenario table checks the
// handler and the deployed binary alike. The bootstrap way is skipped with
// -short or when bootstrap is nil.
func BothWays(t *testing.T, inProcess Invoker, fn func(t *testing.T, invoke Invoker), bootstrap func(t *testing.T) Invoker) {
	t.Helper()
	t.Run("in-process", func(t *testing.T) {
		if inProcess == nil {
			t.Skip("no in-process invoker")
		}
		fn(t, inProcess)
	})
	t.Run("bootstrap", func(t *testing.T) {
		switch {
		case bootstrap == nil:
			t.Skip("no bootstrap invoker")
		case testing.Short():
			t.Skip("bootstrap way skipped in -short mode")
		}
		fn(t, bootstrap(t))
	})
}
