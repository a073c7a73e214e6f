package guardrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

// cwLogsPayload is what a CloudWatch Logs subscription filter delivers: the
// other source of IAM events where EventBridge in us-east-1 cannot be used.
type cwLogsPayload struct {
	AWSLogs *struct {
		Data []byte `json:"data"` // base64 (decoded by encoding/json), gzip
	} `json:"awslogs"`
}

type cwLogsData struct {
	MessageType string `json:"messageType"`
	LogEvents   []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"logEvents"`
}

// maxInflated bounds the decompressed subscription payload.
const maxInflated = 16 << 20

// handleLogs handles a CloudWatch Logs subscription delivery: each log event
// is one CloudTrail record, handled exactly as its EventBridge twin would be.
func (e *Engine) handleLogs(ctx context.Context, data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		e.logger().ErrorContext(ctx, "malformed CloudWatch Logs delivery: not gzip", "error", err.Error(), "outcome", finding.Skipped)
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxInflated))
	if err != nil {
		e.logger().ErrorContext(ctx, "malformed CloudWatch Logs delivery", "error", err.Error(), "outcome", finding.Skipped)
		return nil
	}
	var d cwLogsData
	if err := json.Unmarshal(raw, &d); err != nil {
		e.logger().ErrorContext(ctx, "malformed CloudWatch Logs delivery: not JSON", "error", err.Error(), "outcome", finding.Skipped)
		return nil
	}
	if d.MessageType == "CONTROL_MESSAGE" {
		return nil
	}
	var errs []error
	for _, le := range d.LogEvents {
		ev, err := cloudtrail.DecodeRecord([]byte(le.Message))
		if err != nil {
			var bad *cloudtrail.MalformedError
			if errors.As(err, &bad) {
				e.logger().ErrorContext(ctx, "malformed event: not handled", "event_id", bad.EventID, "log_event_id", le.ID, "error", bad.Reason, "outcome", finding.Skipped)
				continue
			}
			errs = append(errs, err)
			continue
		}
		if _, err := e.HandleEvent(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("event %s: %w", ev.ID, err))
		}
	}
	// A transient failure of one record retries the whole delivery; the
	// others plan nothing the second time, since plans come from live state.
	return errors.Join(errs...)
}
