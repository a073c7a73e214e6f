package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// slackServer stands in for a Slack incoming webhook: each request gets the
// next scripted answer (the last one repeats).
type slackServer struct {
	*httptest.Server
	mu      sync.Mutex
	answers []func(w http.ResponseWriter, r *http.Request)
	bodies  [][]byte
	times   []time.Time
}

func newSlack(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *slackServer {
	t.Helper()
	s := &slackServer{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		i := min(len(s.bodies), len(s.answers)-1)
		s.bodies = append(s.bodies, body)
		s.times = append(s.times, time.Now())
		answer := s.answers[i]
		s.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Hook is the webhook URL the secret holds for this server: a real-shaped
// https://hooks.slack.com/ URL (the only kind gcguard accepts) whose last
// segment routes the request here.
func (s *slackServer) Hook() string {
	routes.Lock()
	defer routes.Unlock()
	token := fmt.Sprintf("TOKEN%d", len(routes.m))
	routes.m[token] = s.URL
	return "https://hooks.slack.com/services/T000/B000/" + token
}

// routes maps webhook tokens to test servers; routed is the client that
// delivers https://hooks.slack.com/… requests to them, as a proxy would.
var routes = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

type routedTransport struct{}

func (routedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	routes.Lock()
	target, ok := routes.m[path.Base(req.URL.Path)]
	routes.Unlock()
	if req.URL.Host != "hooks.slack.com" || !ok {
		return nil, fmt.Errorf("test transport: no route for %s", req.URL.Host)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
	return http.DefaultTransport.RoundTrip(r)
}

var routed = &http.Client{Transport: routedTransport{}}

func (s *slackServer) Requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }

func status(code int, body string, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func hang(d time.Duration) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		ok(w, r)
	}
}

func webhook(t *testing.T, url string) (*notify.Webhook, *countingSecrets, string) {
	t.Helper()
	cfg := motoConfig(t)
	arn, sm := slackSecret(t, cfg, url)
	return &notify.Webhook{Secrets: sm, SecretARN: arn, Client: routed, AttemptTimeout: 2 * time.Second, BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond}, sm, arn
}

func msg() notify.SlackMessage { return notify.Slack(notify.Sample("bucket", finding.Fixed), "ja") }

func TestWebhook200(t *testing.T) {
	s := newSlack(t, ok)
	h, sm, _ := webhook(t, s.Hook())
	for range 3 {
		if err := h.Post(context.Background(), msg()); err != nil {
			t.Fatal(err)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	var got notify.SlackMessage
	if err := json.Unmarshal(reqs[0], &got); err != nil || len(got.Blocks) == 0 || got.Text == "" {
		t.Errorf("posted body is not Block Kit: %v\n%s", err, reqs[0])
	}
	if sm.Reads() != 1 {
		t.Errorf("secret read %d times; it is cached across posts", sm.Reads())
	}
}

func TestWebhook429RetryAfter(t *testing.T) {
	s := newSlack(t, status(429, "rate_limited", "Retry-After", "1"), ok)
	h, _, _ := webhook(t, s.Hook())
	start := time.Now()
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if len(s.Requests()) != 2 {
		t.Fatalf("%d requests, want 2", len(s.Requests()))
	}
	if gap := s.times[1].Sub(s.times[0]); gap < time.Second {
		t.Errorf("retried after %s; Retry-After said 1 s", gap)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestWebhook429RetryAfterBeyondDeadline(t *testing.T) {
	s := newSlack(t, status(429, "rate_limited", "Retry-After", "30"))
	h, _, _ := webhook(t, s.Hook())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	err := h.Post(ctx, msg())
	if !errors.Is(err, notify.ErrNoTime) {
		t.Fatalf("err = %v, want ErrNoTime", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("waited %s for a retry that could not happen in time", time.Since(start))
	}
}

func TestWebhook500ThenOK(t *testing.T) {
	s := newSlack(t, status(500, "internal_error"), status(503, ""), ok)
	h, _, _ := webhook(t, s.Hook())
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestWebhook500UntilDeadline(t *testing.T) {
	s := newSlack(t, status(500, "internal_error"))
	h, _, _ := webhook(t, s.Hook())
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.Post(ctx, msg())
	var pe *notify.PostError
	if !errors.As(err, &pe) || pe.Permanent {
		t.Fatalf("err = %v, want a transient PostError", err)
	}
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Errorf("ran %s, past the deadline", el)
	}
	if len(s.Requests()) < 3 {
		t.Errorf("only %d attempts within 1.5 s", len(s.Requests()))
	}
}

func TestWebhookGoneRereadsSecretOnce(t *testing.T) {
	old := newSlack(t, status(410, "channel_is_archived"))
	fresh := newSlack(t, ok)
	h, sm, arn := webhook(t, old.Hook())
	if err := h.Post(context.Background(), msg()); err == nil {
		t.Fatal("want an error while the secret still holds the archived webhook")
	} else if !strings.Contains(err.Error(), "still holds") {
		t.Errorf("error does not say what to do: %v", err)
	}
	if sm.Reads() != 2 || len(old.Requests()) != 1 {
		t.Fatalf("secret reads %d (want 2: cold start, one re-read), posts %d (want 1)", sm.Reads(), len(old.Requests()))
	}
	// The administrator puts the new webhook in the secret.
	if _, err := sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(fresh.Hook())}); err != nil {
		t.Fatal(err)
	}
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if sm.Reads() != 3 || len(fresh.Requests()) != 1 || len(old.Requests()) != 2 {
		t.Errorf("reads %d, old posts %d, new posts %d", sm.Reads(), len(old.Requests()), len(fresh.Requests()))
	}
	// The new URL is cached.
	if err := h.Post(context.Background(), msg()); err != nil || sm.Reads() != 3 {
		t.Errorf("err %v, reads %d", err, sm.Reads())
	}
}

func TestWebhookForbiddenAndNotFound(t *testing.T) {
	for _, code := range []int{403, 404} {
		s := newSlack(t, status(code, "invalid_token"))
		h, sm, _ := webhook(t, s.Hook())
		var pe *notify.PostError
		if err := h.Post(context.Background(), msg()); !errors.As(err, &pe) || !pe.Permanent {
			t.Errorf("%d: err = %v", code, err)
		}
		if sm.Reads() != 2 {
			t.Errorf("%d: %d secret reads, want 2", code, sm.Reads())
		}
	}
}

func TestWebhookTimeoutThenOK(t *testing.T) {
	s := newSlack(t, hang(10*time.Second), ok)
	h, _, _ := webhook(t, s.Hook())
	h.AttemptTimeout = 300 * time.Millisecond
	start := time.Now()
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %s; the first attempt should time out after 300 ms", el)
	}
}

func TestWebhookSlow(t *testing.T) {
	s := newSlack(t, hang(800*time.Millisecond))
	h, _, _ := webhook(t, s.Hook())
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("a slow answer within the attempt timeout was retried: %d requests", n)
	}
}

func TestWebhookBlocksRefusedFallsBackToText(t *testing.T) {
	s := newSlack(t, status(400, "invalid_blocks"), ok)
	h, _, _ := webhook(t, s.Hook())
	if err := h.Post(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	var second notify.SlackMessage
	if len(reqs) != 2 || json.Unmarshal(reqs[1], &second) != nil || len(second.Blocks) != 0 || second.Text == "" {
		t.Errorf("want a text-only second post, got %d requests", len(reqs))
	}
}

func TestWebhookURLNeverInErrors(t *testing.T) {
	s := newSlack(t, ok)
	url := s.Hook()
	token := path.Base(url)
	s.Close()
	h, _, _ := webhook(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := h.Post(ctx, msg())
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("err = %v", err)
	}
}

func TestParseWebhookSecret(t *testing.T) {
	good := map[string]string{
		"https://hooks.slack.com/services/T0/B0/x":                    "https://hooks.slack.com/services/T0/B0/x",
		` {"webhook_url":"https://hooks.slack.com/services/T0/B0/x"}`: "https://hooks.slack.com/services/T0/B0/x",
		`{"url":"https://hooks.slack.com/services/T0/B0/y"}`:          "https://hooks.slack.com/services/T0/B0/y",
	}
	for in, want := range good {
		if got, err := notify.ParseWebhookSecret(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "hooks.slack.com/services/x", "http://hooks.slack.com/services/x", `{"webhook":1}`, "{"} {
		if _, err := notify.ParseWebhookSecret(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// Anything but a Slack incoming webhook: another host, a look-alike,
	// credentials in the URL, a port, a loopback address.
	for _, other := range []string{
		"https://attacker.example/services/T0/B0/x",
		"https://hooks.slack.com.attacker.example/services/x",
		"https://hooks.slack.com@attacker.example/services/x",
		"https://user:pw@hooks.slack.com/services/x",
		"https://hooks.slack.com:8443/services/x",
		"http://127.0.0.1:8080/hook",
		`{"webhook_url":"https://example.com/hook"}`,
	} {
		if _, err := notify.ParseWebhookSecret(other); !errors.Is(err, notify.ErrNotSlackWebhook) {
			t.Errorf("%q: err %v, want ErrNotSlackWebhook", other, err)
		}
	}
}

// TestWebhookRefusesOtherHosts performs the attack: someone who may write
// the secret points it at their own server. Nothing is posted there, the
// error says why without echoing the URL, and a critical line is logged.
func TestWebhookRefusesOtherHosts(t *testing.T) {
	attacker := newSlack(t, ok)
	var logs strings.Builder
	h, _, _ := webhook(t, attacker.URL+"/services/T0/B0/STOLEN")
	h.Client = nil // the default client: nothing reroutes the request
	h.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	err := h.Post(context.Background(), msg())
	if !errors.Is(err, notify.ErrNotSlackWebhook) {
		t.Fatalf("err = %v, want ErrNotSlackWebhook", err)
	}
	if len(attacker.Requests()) != 0 {
		t.Fatal("the notice was posted to a host that is not Slack")
	}
	if strings.Contains(err.Error(), "STOLEN") || !strings.Contains(err.Error(), "hooks.slack.com") {
		t.Errorf("error should name the rule, not the URL: %v", err)
	}
	if !strings.Contains(logs.String(), `"severity":"critical"`) || !strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("no critical log line: %s", logs.String())
	}
}
