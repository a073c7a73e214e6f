package guardrail_test

import (
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/notify"
)

type noticeView = notify.Notice

func mustDecode(t *testing.T, raw []byte) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
