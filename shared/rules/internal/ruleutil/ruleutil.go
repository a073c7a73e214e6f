// Package ruleutil holds the few helpers every rule package shares.
package ruleutil

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gcguard/gcguard/shared/cloudtrail"
)

// FirstNonEmpty returns the first non-empty string.
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// PartitionOf reads the partition from the caller's ARN; aws by default.
func PartitionOf(ev *cloudtrail.Event) string {
	if p := strings.Split(ev.Detail.UserIdentity.ARN, ":"); len(p) > 2 && strings.HasPrefix(p[1], "aws") {
		return p[1]
	}
	return "aws"
}

// DecodeStored reads state stored in an audit record.
func DecodeStored(raw []byte, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("audit record has no stored state")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("read stored state: %w", err)
	}
	return nil
}
