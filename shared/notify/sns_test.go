package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// envelope is what SNS puts on an SQS queue (raw delivery off) and posts
// to HTTP(S) endpoints.
type envelope struct {
	Type              string `json:"Type"`
	TopicArn          string `json:"TopicArn"`
	Subject           string `json:"Subject"`
	Message           string `json:"Message"`
	MessageAttributes map[string]struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	} `json:"MessageAttributes"`
}

// TestSNSDeliversEachProtocolItsKey publishes one notice through the real
// Publisher to an SNS topic on moto and reads what subscribers receive:
// the SQS subscription (raw delivery off) gets SNS's envelope whose Message
// is the "sqs" key, the notice JSON; an HTTP endpoint, for which the
// message has no key, gets "default", the e-mail text.
func TestSNSDeliversEachProtocolItsKey(t *testing.T) {
	cfg := motoConfig(t)
	ctx := context.Background()
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)

	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("gcguard-notices")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("gcguard-archive")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := snsc.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil {
		t.Fatal(err)
	}
	if v := attrs.Attributes["RawMessageDelivery"]; v != "" && v != "false" && v != "False" {
		t.Fatalf("RawMessageDelivery = %q, want off", v)
	}

	httpGot := make(chan envelope, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var e envelope
		_ = json.Unmarshal(b, &e)
		select {
		case httpGot <- e:
		default:
		}
	}))
	defer hs.Close()
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(hs.URL)}); err != nil {
		t.Fatal(err)
	}

	n := notify.Sample("roletrust", finding.Fixed)
	pub := &notify.Publisher{SNS: snsc, TopicARN: aws.ToString(topic.TopicArn), Language: "ja", Mask: true}
	if err := pub.Publish(ctx, n); err != nil {
		t.Fatal(err)
	}

	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages on the queue, want 1", len(out.Messages))
	}
	var e envelope
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &e); err != nil {
		t.Fatalf("queue body is not SNS's envelope: %v", err)
	}
	if e.Type != "Notification" || e.TopicArn != aws.ToString(topic.TopicArn) {
		t.Errorf("envelope Type %q TopicArn %q", e.Type, e.TopicArn)
	}
	if e.Subject != notify.Subject(n, "ja") {
		t.Errorf("Subject %q, want %q", e.Subject, notify.Subject(n, "ja"))
	}
	if e.MessageAttributes["severity"].Value != "warning" || e.MessageAttributes["rule"].Value != "roletrust" || e.MessageAttributes["outcome"].Value != "fixed" {
		t.Errorf("message attributes %+v", e.MessageAttributes)
	}
	// The sqs body is exactly the "sqs" key, the same as "lambda": the notice JSON.
	body, err := notify.Message(n, "ja", true)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]string
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		t.Fatal(err)
	}
	if e.Message != keys[notify.KeySQS] || keys[notify.KeySQS] != keys[notify.KeyLambda] {
		t.Errorf("sqs body differs from the sqs key:\n%s", e.Message)
	}
	got, err := notify.DecodeNotice(e.Message)
	if err != nil {
		t.Fatal(err)
	}
	if got.AuditID != n.AuditID || got.RevertCommand != n.RevertCommand || got.Stack != n.Stack || got.Resource != n.Resource {
		t.Errorf("decoded notice %+v", got)
	}
	if got.Actor.Email != "t***@lg.id.cloud.go.jp" || strings.Contains(e.Message, "taro.yamada") {
		t.Errorf("the sqs body is not masked: %s", got.Actor.Email)
	}

	select {
	case h := <-httpGot:
		if h.Message != keys[notify.KeyDefault] || !strings.Contains(h.Message, "■ 変更の取り消し（切り戻し）方法") {
			t.Errorf("http subscriber got %.200q, want the default key (the e-mail text)", h.Message)
		}
	case <-time.After(5 * time.Second):
		t.Error("the http subscriber got nothing")
	}

	// The other keys: e-mail gets the text, https (Chatbot) the custom notification.
	if keys[notify.KeyEmail] != keys[notify.KeyDefault] {
		t.Error("email and default differ")
	}
	var chat notify.ChatbotNotification
	if err := json.Unmarshal([]byte(keys[notify.KeyHTTPS]), &chat); err != nil || chat.Version != "1.0" || chat.Source != "custom" || chat.Content.Description == "" {
		t.Errorf("https key is not a Chatbot custom notification: %v %+v", err, chat)
	}
}

// TestMessageFitsSNS: a 20 KB bucket policy before and after, in four keys,
// still fits one SNS message, and the notice says where the rest is.
func TestMessageFitsSNS(t *testing.T) {
	n := notify.Sample("bucket", finding.Fixed)
	policy := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{"Sid":"住民記録の読み取り","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},`, 400) + `{}]}`
	n.Before, n.After = policy, policy
	for _, lang := range langs {
		body, err := notify.Message(n, lang, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > notify.MessageMax {
			t.Errorf("%s: %d bytes > %d", lang, len(body), notify.MessageMax)
		}
		if !strings.Contains(body, n.AuditID) || !strings.Contains(body, "gcguard revert") {
			t.Errorf("%s: lost the audit id or the revert command", lang)
		}
	}
}
