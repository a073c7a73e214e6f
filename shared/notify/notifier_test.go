package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// snsEvent wraps the "lambda" key of the notice's SNS message, as SNS
// hands it to the notifier.
func snsEvent(t *testing.T, n *notify.Notice) json.RawMessage {
	t.Helper()
	body, err := notify.Message(n, "ja", false)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]string
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		t.Fatal(err)
	}
	ev := events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{
		Type: "Notification", MessageID: "m-" + n.AuditID, Message: keys[notify.KeyLambda], Subject: notify.Subject(n, "ja"),
	}}}}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// storm is count would_fix notices about different buckets by one user.
func storm(count int, prefix string) []*notify.Notice {
	var out []*notify.Notice
	for i := range count {
		n := notify.Sample("bucket", finding.WouldFix)
		n.AuditID = fmt.Sprintf("20261124T0614%02dZ-%s%04d", i%60, prefix, i)
		n.Name = fmt.Sprintf("app-logs-%04d", i)
		n.Resource = "arn:aws:s3:::" + n.Name
		out = append(out, n)
	}
	return out
}

func newNotifier(t *testing.T, s *slackServer, clk *clock) *notify.Notifier {
	t.Helper()
	h, _, _ := webhook(t, s.Hook())
	return &notify.Notifier{Slack: h, Window: &notify.Window{Period: 5 * time.Minute, MaxFull: 5}, Language: "ja", Now: clk.Now}
}

func TestNotifierStormBecomesDigest(t *testing.T) {
	s := newSlack(t, ok)
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	ctx := context.Background()
	for _, n := range storm(100, "a") {
		if err := nt.Handle(ctx, snsEvent(t, n)); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
	}
	if got := len(s.Requests()); got != 1 {
		t.Fatalf("a storm of 100 identical notices made %d posts, want 1", got)
	}
	if nt.Window.Pending() != 99 {
		t.Errorf("pending %d, want 99", nt.Window.Pending())
	}
	// After the window, the next run posts the digest before its notice.
	clk.Add(5 * time.Minute)
	if err := nt.Handle(ctx, json.RawMessage(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`)); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d posts after the window, want 2", len(reqs))
	}
	digest := string(reqs[1])
	for _, want := range []string{"99", "app-logs-0001", "20261124T061401Z-a0001"} {
		if !strings.Contains(digest, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if nt.Window.Pending() != 0 {
		t.Errorf("pending %d after the digest", nt.Window.Pending())
	}
}

func TestNotifierCriticalNeverGrouped(t *testing.T) {
	s := newSlack(t, ok)
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	ctx := context.Background()
	for _, n := range storm(20, "b") {
		_ = nt.Handle(ctx, snsEvent(t, n))
	}
	before := len(s.Requests())
	for i := range 10 {
		n := notify.SampleRootKey()
		n.AuditID = fmt.Sprintf("root-%d", i)
		if err := nt.Handle(ctx, snsEvent(t, n)); err != nil {
			t.Fatal(err)
		}
	}
	// The same critical notice delivered twice is posted twice: better twice than never.
	if err := nt.Handle(ctx, snsEvent(t, notify.SampleRootKey())); err != nil {
		t.Fatal(err)
	}
	if err := nt.Handle(ctx, snsEvent(t, notify.SampleRootKey())); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Requests()) - before; got != 12 {
		t.Errorf("%d critical posts, want 12", got)
	}
}

func TestNotifierCapAcrossGroups(t *testing.T) {
	s := newSlack(t, ok)
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	ctx := context.Background()
	for i := range 12 {
		n := notify.Sample("roletrust", finding.WouldFix)
		n.Actor.Name = fmt.Sprintf("user%02d@lg.id.cloud.go.jp", i)
		n.Actor.Email = n.Actor.Name
		n.AuditID = fmt.Sprintf("cap-%d", i)
		if err := nt.Handle(ctx, snsEvent(t, n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.Requests()); got != 5 {
		t.Errorf("%d full posts, want the cap of 5", got)
	}
	clk.Add(6 * time.Minute)
	if err := nt.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Requests()); got != 6 || !strings.Contains(string(s.Requests()[5]), "7") {
		t.Errorf("want one digest of the 7 capped notices; %d posts", got)
	}
}

func TestNotifierDuplicateDelivery(t *testing.T) {
	s := newSlack(t, ok)
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	n := notify.Sample("accountpab", finding.Fixed)
	for range 3 {
		if err := nt.Handle(context.Background(), snsEvent(t, n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.Requests()); got != 1 {
		t.Errorf("the same notice delivered 3 times made %d posts", got)
	}
}

func TestNotifierFailedPostIsRetriedInFull(t *testing.T) {
	s := newSlack(t, status(500, "internal_error"))
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	n := notify.Sample("roletrust", finding.Fixed)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := nt.Handle(ctx, snsEvent(t, n)); err == nil {
		t.Fatal("want an error so Lambda retries the invocation")
	}
	s.mu.Lock()
	s.answers = []func(http.ResponseWriter, *http.Request){ok}
	s.mu.Unlock()
	// Lambda's retry delivers the same event again: it must be posted, not
	// taken for a duplicate.
	if err := nt.Handle(context.Background(), snsEvent(t, n)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s.Requests()[len(s.Requests())-1]), "まとめ") {
		t.Error("the retried notice was posted as a digest")
	}
}

func TestNotifierDigestKeptWhenSlackFails(t *testing.T) {
	s := newSlack(t, ok)
	clk := &clock{t: notify.SampleTime}
	nt := newNotifier(t, s, clk)
	ctx := context.Background()
	for _, n := range storm(10, "c") {
		_ = nt.Handle(ctx, snsEvent(t, n))
	}
	s.mu.Lock()
	s.answers = []func(http.ResponseWriter, *http.Request){status(500, "")}
	s.mu.Unlock()
	clk.Add(10 * time.Minute)
	short, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	defer cancel()
	if err := nt.Flush(short); err == nil {
		t.Fatal("want an error")
	}
	if nt.Window.Pending() != 9 {
		t.Errorf("pending %d after a failed digest, want 9 kept", nt.Window.Pending())
	}
}

func TestNotifierNonNoticeMessage(t *testing.T) {
	s := newSlack(t, ok)
	nt := newNotifier(t, s, &clock{t: notify.SampleTime})
	ev := events.SNSEvent{Records: []events.SNSEventRecord{{SNS: events.SNSEntity{
		MessageID: "alarm-1", Subject: `ALARM: "gcguard-notify-errors"`, Message: `{"AlarmName":"gcguard-notify-errors","NewStateValue":"ALARM"}`,
	}}}}
	raw, _ := json.Marshal(ev)
	if err := nt.Handle(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if len(s.Requests()) != 1 || !strings.Contains(string(s.Requests()[0]), "gcguard-notify-errors") {
		t.Error("an alarm on the topic was not posted")
	}
}
