package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Poster delivers a Slack message.
type Poster interface {
	Post(ctx context.Context, msg SlackMessage) error
}

var _ Poster = (*Webhook)(nil)

// Notifier is the Slack notifier Lambda: subscribed to the topic, it reads
// the "lambda" key (the notice as JSON) of each SNS record, groups identical
// notices in its Window and posts Block Kit to the webhook. Built once per
// container, so the webhook URL and the window survive between invocations.
type Notifier struct {
	Slack    Poster
	Window   *Window
	Language string
	Logger   *slog.Logger
	Now      func() time.Time
}

func (s *Notifier) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Notifier) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Handle is the Lambda handler. It takes an SNS event, or any other event
// (the scheduled tick) as a request to post the digests that are due.
func (s *Notifier) Handle(ctx context.Context, raw json.RawMessage) error {
	var probe struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		s.logger().ErrorContext(ctx, "event is not JSON: not handled", "error", err.Error())
		return nil
	}
	if len(probe.Records) == 0 {
		return s.Flush(ctx)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		s.logger().ErrorContext(ctx, "event is not an SNS event: not handled", "error", err.Error())
		return nil
	}
	return s.HandleSNS(ctx, ev)
}

// HandleSNS posts (or groups) the notice of each record. An error is
// returned only when a notice that had to be posted could not be, so Lambda
// retries the invocation and, after its retries, keeps the event in the
// on-failure destination: a critical notice is never dropped.
func (s *Notifier) HandleSNS(ctx context.Context, ev events.SNSEvent) error {
	// Digests that fell due go first, so the channel reads in order.
	if err := s.Flush(ctx); err != nil {
		s.logger().WarnContext(ctx, "digest not posted; kept for the next run", "error", err.Error())
	}
	var errs []error
	for _, r := range ev.Records {
		if err := s.handleRecord(ctx, r.SNS); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Notifier) handleRecord(ctx context.Context, m events.SNSEntity) error {
	n, err := DecodeNotice(m.Message)
	if err != nil {
		// Not a gcguard notice (an alarm sent to the same topic, a test
		// message): still worth a look, so post it as it is.
		s.logger().WarnContext(ctx, "SNS message is not a notice; posting it as text", "message_id", m.MessageID, "error", err.Error())
		return s.post(ctx, PlainSlack(m.Subject, m.Message, s.Language), "message "+m.MessageID)
	}
	log := s.logger().With("rule", n.Rule, "resource", n.Resource, "event_id", n.EventID, "audit_id", n.AuditID, "outcome", string(n.Outcome), "severity", string(n.Severity))
	now := s.now()
	d := s.Window.Admit(n, now)
	log.InfoContext(ctx, "notice received", "decision", string(d))
	if d != Post {
		return nil
	}
	if err := s.post(ctx, Slack(n, s.Language), "notice "+n.AuditID); err != nil {
		log.ErrorContext(ctx, "notice not posted to Slack", "error", err.Error())
		return err
	}
	s.Window.Posted(n, s.now())
	return nil
}

func (s *Notifier) post(ctx context.Context, msg SlackMessage, what string) error {
	if err := s.Slack.Post(ctx, msg); err != nil {
		return fmt.Errorf("post %s to Slack: %w", what, err)
	}
	return nil
}

// Flush posts the digests that are due as one message. On failure they are
// kept for the next run.
func (s *Notifier) Flush(ctx context.Context) error {
	due := s.Window.Due(s.now())
	if len(due) == 0 {
		return nil
	}
	count := 0
	for _, g := range due {
		count += g.Count
	}
	if err := s.post(ctx, SlackDigest(due, s.Language), "digest"); err != nil {
		s.Window.Requeue(due)
		return err
	}
	s.logger().InfoContext(ctx, "digest posted", "groups", len(due), "notices", count)
	return nil
}

// PlainSlack renders an SNS message that is not a notice: its subject as
// the header and the message as a code block, within Slack's limits.
func PlainSlack(subject, message, lang string) SlackMessage {
	w := wordsFor(lang)
	subject = strings.ToValidUTF8(subject, "\uFFFD")
	message = strings.ToValidUTF8(message, "\uFFFD")
	if subject == "" {
		subject = "SNS"
	}
	return SlackMessage{
		Text:   fitEscaped(oneLine(subject), slackFallback, "…"),
		Blocks: []SlackBlock{header(":bell: " + subject), section(codeBlock(message, SlackTextMax, w.truncated)), contextBlock(w.footer)},
	}
}
