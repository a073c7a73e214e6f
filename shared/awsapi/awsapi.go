// Package awsapi builds SDK configuration and clients once per process and
// classifies AWS errors: not-found is a quiet end, transient errors are
// returned so Lambda retries, the rest are logged once.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// Load reads the SDK's usual configuration chain (environment, shared files,
// the Lambda role) for region ("" = the environment's). AWS_ENDPOINT_URL, as
// the SDK reads it, points every client at a local moto. Retries are
// adaptive so a burst of throttling slows gcguard down instead of failing it,
// and have no retry quota, so sustained throttling never fails a call that
// has attempts left.
func Load(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(NewRetryer),
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.BaseEndpoint == nil {
		if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
			cfg.BaseEndpoint = aws.String(ep)
		}
	}
	return cfg, nil
}

// Local reports whether cfg points at a local endpoint (moto) rather than AWS.
func Local(cfg aws.Config) bool { return cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" }

// Require fails clearly when a required configuration value is missing.
func Require(name, value string) error {
	if value == "" {
		return errors.New(name + " is not set")
	}
	return nil
}

// NewRetryer is every client's retryer: adaptive, five attempts, no retry
// quota. Load installs it; programs that build their own configuration
// (the benchmarks) take it from here rather than copying it.
func NewRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = 5
			// No client-side retry quota: its token bucket is shared by
			// every call of the client, so a sweep under sustained
			// throttling ran it dry and then failed calls without even
			// trying ("retry quota exceeded"). The adaptive rate
			// limiter already slows the client down.
			so.RateLimiter = ratelimit.None
		})
	})
}
