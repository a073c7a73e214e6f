package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// TestBootstrap runs the real bootstrap behind a Lambda Runtime API: it
// reads the webhook from Secrets Manager (moto), takes an SNS event whose
// message is the "lambda" key, and posts Block Kit to the webhook.
func TestBootstrap(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()

	var mu sync.Mutex
	var posts []string
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	defer slack.Close()

	cfg, err := moto.Config(ctx, testkit.Region)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("gcguard/slack"), SecretString: aws.String(slack.URL + "/services/T0/B0/x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	env := append(moto.Env(), notify.EnvSlackSecretARN+"="+aws.ToString(sec.ARN), "GCGUARD_LANGUAGE=en")
	fn := testkit.StartFunctionT(t, ".", env)

	body, err := notify.Message(notify.Sample("roletrust", finding.Fixed), "en", true)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]string
	_ = json.Unmarshal([]byte(body), &keys)
	ev, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{Message: keys[notify.KeyLambda], MessageID: "m-1"}}}})

	ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := fn.Invoke(ictx, ev); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || !strings.Contains(posts[0], "gcguard revert 20261124T061402Z-3f9a1c2e") || !strings.Contains(posts[0], `"blocks"`) {
		t.Fatalf("posts: %q", posts)
	}
	if strings.Contains(posts[0], "taro.yamada") {
		t.Error("the masked notice was unmasked on the way")
	}
}
