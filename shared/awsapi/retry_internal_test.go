package awsapi

import (
	"context"
	"testing"

	"github.com/aws/smithy-go"
)

// Sustained throttling must never exhaust a client-side retry quota: the
// 4× scale sweep ran the SDK's default quota dry and then failed calls
// that still had attempts left ("retry quota exceeded").
func TestRetryerHasNoRetryQuota(t *testing.T) {
	r := NewRetryer()
	throttle := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	if !r.IsErrorRetryable(throttle) {
		t.Fatal("throttling must be retryable")
	}
	if r.MaxAttempts() != 5 {
		t.Fatalf("max attempts %d, want 5", r.MaxAttempts())
	}
	// The default quota is 500 tokens at 5 per retry: 100 retries.
	for i := range 1000 {
		if _, err := r.GetRetryToken(context.Background(), throttle); err != nil {
			t.Fatalf("retry %d refused: %v", i, err)
		}
	}
}
