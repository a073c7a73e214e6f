package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gcguard/gcguard/shared/config"
)

// Environment of the notifier function (the CDK app sets them).
const (
	EnvSlackSecretARN = "GCGUARD_SLACK_SECRET_ARN"      // the secret holding the webhook URL
	EnvDigestMinutes  = "GCGUARD_SLACK_DIGEST_MINUTES"  // grouping window, default 5
	EnvMaxPerWindow   = "GCGUARD_SLACK_MAX_PER_WINDOW"  // full posts per window, default 20
	EnvAttemptSeconds = "GCGUARD_SLACK_ATTEMPT_SECONDS" // one HTTP attempt, default 5
)

// NotifierFromEnv builds the notifier once per container: the Secrets
// Manager client, the webhook (whose URL it caches) and the window.
func NotifierFromEnv(ctx context.Context, getenv config.Getenv, logOut io.Writer) (*Notifier, error) {
	var errs []error
	arn := strings.TrimSpace(getenv(EnvSlackSecretARN))
	if !strings.HasPrefix(arn, "arn:") {
		errs = append(errs, &config.FieldError{Field: EnvSlackSecretARN, Value: arn, Err: errors.New("want the ARN of the Secrets Manager secret holding the Slack webhook URL")})
	}
	lang := strings.TrimSpace(getenv(config.EnvLanguage))
	if lang == "" {
		lang = config.DefaultLanguage
	}
	if lang != Japanese && lang != English {
		errs = append(errs, &config.FieldError{Field: config.EnvLanguage, Value: lang, Err: errors.New("want ja or en")})
	}
	whole := func(name string, def, lo, hi int) int {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, &config.FieldError{Field: name, Value: v, Err: fmt.Errorf("want a whole number from %d to %d", lo, hi)})
			return def
		}
		return n
	}
	minutes := whole(EnvDigestMinutes, 5, 1, 60)
	perWindow := whole(EnvMaxPerWindow, 20, 1, 1000)
	attempt := whole(EnvAttemptSeconds, 5, 1, 60)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// The SDK's own chain (it honours AWS_ENDPOINT_URL for local runs);
	// shared/awsapi would pull the S3 clients into this small binary.
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	log := NewLogger(logOut)
	return &Notifier{
		Slack: &Webhook{
			Secrets:        secretsmanager.NewFromConfig(cfg),
			SecretARN:      arn,
			AttemptTimeout: time.Duration(attempt) * time.Second,
			Logger:         log,
		},
		Window:   &Window{Period: time.Duration(minutes) * time.Minute, MaxFull: perWindow},
		Language: lang,
		Logger:   log,
	}, nil
}

// NewLogger is the notifier's JSON logger; the Lambda request id rides
// along on every …Context call.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(requestID{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})})
}

type requestID struct{ slog.Handler }

func (h requestID) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("request_id", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestID) WithAttrs(a []slog.Attr) slog.Handler { return requestID{h.Handler.WithAttrs(a)} }
func (h requestID) WithGroup(name string) slog.Handler   { return requestID{h.Handler.WithGroup(name)} }
