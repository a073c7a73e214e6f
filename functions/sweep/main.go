// Command sweep is the scheduled sweep: every resource of every rule
// through the same rules as the events.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules"
)

func main() {
	sw, err := guardrail.NewSweepFunction(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(sw.Handle)
}
