package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsAPI is the part of the Secrets Manager client the webhook uses.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretsAPI = (*secretsmanager.Client)(nil)

// Webhook posts to a Slack incoming webhook whose URL lives in Secrets
// Manager. The URL is read once and kept for the life of the container; a
// 403, 404 or 410 means the webhook was revoked or its channel archived, so
// the secret is read again, once, and the post retried if the URL changed.
// 429 (waiting as long as Retry-After says), 5xx, timeouts and connection
// errors are retried with exponential backoff and jitter, but never past
// the invocation's deadline: what cannot be delivered in time is returned
// as an error, so Lambda retries the invocation.
type Webhook struct {
	Secrets   SecretsAPI
	SecretARN string
	// Client defaults to a plain client; per-attempt timeouts come from
	// the context.
	Client *http.Client
	// AttemptTimeout bounds one HTTP attempt (default 5 s).
	AttemptTimeout time.Duration
	// Reserve is kept back from the context deadline to return cleanly
	// (default 300 ms).
	Reserve time.Duration
	// Budget bounds all attempts when the context has no deadline (default 30 s).
	Budget time.Duration
	// BaseDelay and MaxDelay shape the backoff (defaults 200 ms and 5 s).
	BaseDelay, MaxDelay time.Duration
	Logger              *slog.Logger

	mu  sync.Mutex
	url string
}

// PostError says why a post was given up.
type PostError struct {
	Status    int    // last HTTP status, 0 when none came back
	Body      string // Slack's answer, such as "invalid_payload" or "channel_is_archived"
	Attempts  int
	Permanent bool // retrying the same request cannot help
	Err       error
}

func (e *PostError) Error() string {
	kind := "gave up"
	if e.Permanent {
		kind = "rejected"
	}
	s := fmt.Sprintf("slack webhook %s after %d attempt(s)", kind, e.Attempts)
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d %s", e.Status, strings.TrimSpace(e.Body))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *PostError) Unwrap() error { return e.Err }

// ErrNoTime means the deadline came before the message could be delivered.
var ErrNoTime = errors.New("no time left before the invocation's deadline")

func (h *Webhook) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func orDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Post delivers msg, retrying as described on Webhook.
func (h *Webhook) Post(ctx context.Context, msg SlackMessage) error {
	payload, err := msg.JSON()
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(orDur(h.Budget, 30*time.Second))
	}
	deadline = deadline.Add(-orDur(h.Reserve, 300*time.Millisecond))

	u, err := h.webhookURL(ctx, false)
	if err != nil {
		return err
	}
	reread, fallback := false, false
	delay := orDur(h.BaseDelay, 200*time.Millisecond)
	for attempt := 1; ; attempt++ {
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return &PostError{Attempts: attempt - 1, Err: ErrNoTime}
		}
		status, body, retryAfter, err := h.once(ctx, u, payload, min(orDur(h.AttemptTimeout, 5*time.Second), remaining))
		var wait time.Duration
		switch {
		case err == nil && status >= 200 && status < 300:
			if attempt > 1 {
				h.logger().InfoContext(ctx, "slack post delivered after retries", "attempts", attempt)
			}
			return nil
		case err == nil && (status == http.StatusForbidden || status == http.StatusNotFound || status == http.StatusGone):
			if reread {
				return &PostError{Status: status, Body: body, Attempts: attempt, Permanent: true,
					Err: fmt.Errorf("the webhook in secret %s is revoked or its channel archived: put a working webhook URL in the secret", h.SecretARN)}
			}
			reread = true
			fresh, err := h.webhookURL(ctx, true)
			if err != nil {
				return err
			}
			if fresh == u {
				return &PostError{Status: status, Body: body, Attempts: attempt, Permanent: true,
					Err: fmt.Errorf("secret %s still holds the rejected webhook URL: put a working webhook URL in it", h.SecretARN)}
			}
			h.logger().WarnContext(ctx, "slack webhook rejected; using the URL now in the secret", "status", status, "body", body)
			u = fresh
			continue
		case err == nil && status == http.StatusBadRequest && !fallback && len(msg.Blocks) > 0:
			// Slack refused the blocks (invalid_blocks, msg_blocks_too_long):
			// the people still need to hear it, so send the plain text once.
			fallback = true
			h.logger().WarnContext(ctx, "slack refused the blocks; sending plain text", "body", body)
			if payload, err = (SlackMessage{Text: msg.Text}).JSON(); err != nil {
				return err
			}
			continue
		case err == nil && status == http.StatusTooManyRequests:
			wait = delay
			if retryAfter > 0 {
				wait = retryAfter
			}
		case err != nil, status >= 500:
			wait = delay
		default:
			return &PostError{Status: status, Body: body, Attempts: attempt, Permanent: true}
		}
		if time.Until(deadline) < wait {
			return &PostError{Status: status, Body: body, Attempts: attempt, Err: fmt.Errorf("%w (next try in %s)", ErrNoTime, wait.Round(time.Millisecond))}
		}
		h.logger().InfoContext(ctx, "slack post will be retried", "attempt", attempt, "status", status, "error", errString(err), "wait_ms", wait.Milliseconds())
		select {
		case <-ctx.Done():
			return &PostError{Status: status, Attempts: attempt, Err: ctx.Err()}
		case <-time.After(wait):
		}
		delay = min(2*delay, orDur(h.MaxDelay, 5*time.Second))
		delay = delay/2 + rand.N(delay/2+1) // jitter: spread retries of concurrent posts
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// once makes one attempt. err is set for transport failures and timeouts.
func (h *Webhook) once(ctx context.Context, u string, payload []byte, timeout time.Duration) (int, string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", 0, redact(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(body), retryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}

// redact keeps the webhook URL, which is a credential, out of errors and logs.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s webhook: %w", ue.Op, ue.Err)
	}
	return err
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// webhookURL returns the cached URL, reading the secret when there is none
// or when refresh is set.
func (h *Webhook) webhookURL(ctx context.Context, refresh bool) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.url != "" && !refresh {
		return h.url, nil
	}
	out, err := h.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(h.SecretARN)})
	if err != nil {
		return "", fmt.Errorf("read Slack webhook secret %s: %w", h.SecretARN, err)
	}
	u, err := ParseWebhookSecret(aws.ToString(out.SecretString))
	if err != nil {
		// Critical: until someone fixes the secret, no notice reaches Slack.
		h.logger().ErrorContext(ctx, "Slack webhook secret refused: no notice is posted to Slack until it holds a Slack incoming-webhook URL",
			"severity", "critical", "secret_arn", h.SecretARN, "error", err.Error())
		return "", fmt.Errorf("Slack webhook secret %s: %w", h.SecretARN, err)
	}
	h.url = u
	return u, nil
}

// SlackWebhookPrefix is the only kind of URL the notifier posts to. A
// secret holding anything else is refused: whoever can edit the secret
// must not be able to send every notice (who did what to which resource)
// to another host.
const SlackWebhookPrefix = "https://hooks.slack.com/"

// ErrNotSlackWebhook marks a secret whose URL is not a Slack incoming webhook.
var ErrNotSlackWebhook = errors.New("only Slack incoming-webhook URLs (" + SlackWebhookPrefix + "…) are accepted")

// ParseWebhookSecret reads the secret's value: the webhook URL itself, or
// JSON with "webhook_url" (or "url"). Only https://hooks.slack.com/ URLs
// are accepted; the error names the refused scheme and host, never the
// URL (a webhook URL is a credential).
func ParseWebhookSecret(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var v struct {
			WebhookURL string `json:"webhook_url"`
			URL        string `json:"url"`
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return "", errors.New(`want the webhook URL, or JSON {"webhook_url": "https://hooks.slack.com/services/..."}`)
		}
		s = v.WebhookURL
		if s == "" {
			s = v.URL
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", errors.New("the value is not a URL: want a Slack incoming-webhook URL (https://hooks.slack.com/services/…)")
	}
	if !strings.HasPrefix(s, SlackWebhookPrefix) || u.Scheme != "https" || u.Host != "hooks.slack.com" || u.User != nil {
		return "", fmt.Errorf("%w: the secret holds a URL for %s://%s", ErrNotSlackWebhook, u.Scheme, u.Host)
	}
	return s, nil
}
