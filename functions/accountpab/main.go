// Command accountpab is the accountpab rule's Lambda function.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules/s3rules"
)

func main() {
	eng, err := guardrail.NewFunction(context.Background(), os.Getenv, "accountpab")
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(eng.Handle)
}
