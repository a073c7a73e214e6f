package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/testkit"
)

// Way runs a guardrail for one scenario: in this process, or as the real
// bootstrap behind the local Lambda Runtime API.
type Way struct {
	Name  string
	Start func(t *testing.T, sb *Sandbox) testkit.Invoker
}

// Ways returns both ways for the function package pkg (import path) hosting
// rules, so one scenario table runs through each. Every scenario gets its own
// engine or process, built after its sandbox, so no state crosses scenarios.
func Ways(pkg string, reg *guardrail.Registry, rules ...string) []Way {
	return []Way{
		{Name: "in-process", Start: func(t *testing.T, sb *Sandbox) testkit.Invoker {
			eng, err := sb.Engine(reg, rules...)
			if err != nil {
				t.Fatalf("build engine: %v", err)
			}
			eng.ConsistencyWait = 500 * time.Millisecond
			return func(ctx context.Context, event []byte) error { return eng.Handle(ctx, event) }
		}},
		{Name: "bootstrap", Start: func(t *testing.T, sb *Sandbox) testkit.Invoker {
			if testing.Short() {
				t.Skip("bootstrap way skipped in -short mode")
			}
			return testkit.StartFunctionT(t, pkg, sb.Env()).Invoker()
		}},
	}
}
