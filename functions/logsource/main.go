// Command logsource runs every global rule for the CloudWatch Logs source:
// where an organization blocks EventBridge in us-east-1, a trail delivers to
// CloudWatch Logs and one subscription filter feeds this function.
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
	eng, err := guardrail.NewFunction(context.Background(), os.Getenv, guardrail.Default.NamesInScope(guardrail.ScopeGlobal)...)
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(eng.Handle)
}
