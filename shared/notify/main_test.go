package notify_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// motoConfig gives t an empty moto and an SDK config for it.
func motoConfig(t *testing.T) aws.Config {
	t.Helper()
	moto.ResetT(t)
	cfg, err := moto.Config(context.Background(), "ap-northeast-1")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// countingSecrets counts the reads of the real (moto) Secrets Manager.
type countingSecrets struct {
	*secretsmanager.Client
	mu    sync.Mutex
	reads int
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Client.GetSecretValue(ctx, in, opts...)
}

func (c *countingSecrets) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// slackSecret stores url as the webhook secret in moto and returns its ARN
// and a counting client.
func slackSecret(t *testing.T, cfg aws.Config, url string) (string, *countingSecrets) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(cfg)
	out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String("gcguard/slack-webhook"),
		SecretString: aws.String(`{"webhook_url":"` + url + `"}`),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return aws.ToString(out.ARN), &countingSecrets{Client: sm}
}

// clock is a settable time for the digest window.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
