package guardrail_test

import (
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
)

func mustDecode(t *testing.T, raw []byte) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
