// Command accesskey is the accesskey rule's Lambda function.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules/iamrules"
)

func main() {
	eng, err := guardrail.NewFunction(context.Background(), os.Getenv, "accesskey")
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(eng.Handle)
}
