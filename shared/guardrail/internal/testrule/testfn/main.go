// Command testfn is the test rule's Lambda function, built as a real
// bootstrap by the engine's tests.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/guardrail/internal/testrule"
)

func main() {
	eng, err := guardrail.NewFunction(context.Background(), os.Getenv, testrule.Name)
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(eng.Handle)
}
