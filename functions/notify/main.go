// Command notify is the Slack notifier: subscribed to gcguard's SNS topic,
// it posts each notice (the "lambda" key) to the Slack webhook whose URL is
// in Secrets Manager, grouping storms into digests. A scheduled event posts
// the digests that are due.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gcguard/gcguard/shared/notify"
)

func main() {
	n, err := notify.NotifierFromEnv(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		slog.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(n.Handle)
}
