// Command echofn is the smallest real Lambda bootstrap, for testkit's own
// tests of the Runtime API server: it echoes its event, and on request
// fails, panics or exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Do      string `json:"do"` // "", "fail", "panic", "exit", "hang"
	Message string `json:"message"`
}

type reply struct {
	Echo      string `json:"echo"`
	RequestID string `json:"request_id"`
	Function  string `json:"function"`
	HasDL     bool   `json:"has_deadline"`
}

func handle(ctx context.Context, e event) (reply, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDL := ctx.Deadline()
	slog.InfoContext(ctx, "handling", "do", e.Do, "message", e.Message)
	switch e.Do {
	case "fail":
		return reply{}, errors.New(e.Message)
	case "panic":
		panic(e.Message)
	case "hang":
		<-ctx.Done() // until the invocation's deadline
		time.Sleep(time.Hour)
	case "exit":
		fmt.Fprintln(os.Stderr, "echofn: exiting on request:", e.Message)
		os.Exit(3)
	}
	return reply{Echo: e.Message, RequestID: lc.AwsRequestID, Function: lambdacontext.FunctionName, HasDL: hasDL}, nil
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	if os.Getenv("ECHOFN_FAIL_INIT") != "" {
		fmt.Fprintln(os.Stderr, "echofn: init failed on request")
		os.Exit(2)
	}
	lambda.Start(handle)
}
