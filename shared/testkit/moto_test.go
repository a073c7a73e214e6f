package testkit_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

// proxied gives t an empty moto behind a fresh recording proxy.
func proxied(t *testing.T) (*testkit.Proxy, aws.Config) {
	t.Helper()
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	cfg, err := p.Config(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return p, cfg
}

func actions(calls []testkit.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Service+":"+c.Action)
	}
	return out
}

func TestMotoDirect(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	cfg, err := moto.Config(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v\n%s", err, moto.Log())
	}
	if got := aws.ToString(id.Account); got != testkit.Account {
		t.Errorf("account = %s, want %s", got, testkit.Account)
	}
	env := strings.Join(moto.Env(), "\n")
	for _, want := range []string{"AWS_ENDPOINT_URL=" + moto.Endpoint(), "AWS_ACCESS_KEY_ID=testing", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("Env lacks %s", want)
		}
	}
}

func TestMotoReset(t *testing.T) {
	moto.ResetT(t)
	ctx := context.Background()
	cfg, _ := moto.Config(ctx, "")
	client := iam.NewFromConfig(cfg)
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	moto.ResetT(t)
	out, err := client.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 0 {
		t.Errorf("users after reset = %d, want 0", len(out.Users))
	}
}

func TestProxyRecordsIAM(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()
	client := iam.NewFromConfig(cfg)
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	calls := p.Calls()
	if got, want := actions(calls), []string{"iam:CreateUser", "iam:GetUser"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	c := calls[0]
	if c.Method != "POST" || c.Status != 200 || c.Protocol != testkit.ProtocolQuery || c.Region != "us-east-1" {
		t.Errorf("CreateUser call = %+v", c)
	}
	if got := actions(p.Mutating("iam")); !slices.Equal(got, []string{"iam:CreateUser"}) {
		t.Errorf("Mutating(iam) = %v, want [iam:CreateUser]", got)
	}
	if got := p.Mutating("s3"); len(got) != 0 {
		t.Errorf("Mutating(s3) = %v, want none", got)
	}
	p.Reset()
	if got := p.Calls(); len(got) != 0 {
		t.Errorf("calls after Reset = %v", got)
	}
}

func TestProxyS3PathStyle(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	b := aws.String("gcguard-bucket")
	steps := []struct {
		action string
		call   func() error
	}{
		{"CreateBucket", func() error { _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); return err }},
		{"PutBucketPolicy", func() error {
			_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::gcguard-bucket/*"}]}`)})
			return err
		}},
		{"GetBucketPolicy", func() error { _, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}); return err }},
		{"PutPublicAccessBlock", func() error {
			_, err := client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		}},
		{"PutBucketEncryption", func() error {
			_, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}})
			return err
		}},
		{"PutBucketOwnershipControls", func() error {
			_, err := client.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: b, OwnershipControls: &s3types.OwnershipControls{
				Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}})
			return err
		}},
		{"GetBucketAcl", func() error { _, err := client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}); return err }},
		{"PutBucketTagging", func() error {
			_, err := client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
			return err
		}},
		{"PutObject", func() error {
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("dir/obj.json"), Body: strings.NewReader(`{"a":1}`)})
			return err
		}},
		{"GetObject", func() error {
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("dir/obj.json")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}},
		{"ListObjectsV2", func() error { _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}); return err }},
		{"DeleteObject", func() error {
			_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("dir/obj.json")})
			return err
		}},
	}
	for _, s := range steps {
		p.Reset()
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		calls := p.Calls()
		if len(calls) != 1 || calls[0].Service != "s3" || calls[0].Action != s.action {
			t.Errorf("%s recorded as %v", s.action, calls)
		}
		mutating := len(p.Mutating("s3")) == 1
		if want := !strings.HasPrefix(s.action, "Get") && !strings.HasPrefix(s.action, "List"); mutating != want {
			t.Errorf("%s: mutating = %v, want %v", s.action, mutating, want)
		}
	}
}

// noBackoff retries at once, so fault tests stay fast.
func noBackoff(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
}

func TestFaultThrottleIsRetryable(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()

	// One attempt: the throttle reaches the caller, classified as such.
	p.SetFault(testkit.Match("iam", testkit.Throttle, "CreateUser"))
	cfg.Retryer = noBackoff(1)
	_, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Fatalf("err = %v, want Throttling", err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("SDK does not see %v as throttling", err)
	}
	if c := p.Calls()[0]; !c.Injected || c.Status != 400 {
		t.Errorf("injected call = %+v", c)
	}

	// Three attempts, throttled twice: the SDK retries through it.
	p.Reset()
	p.SetFault(testkit.Times(2, testkit.Match("iam", testkit.Throttle, "CreateUser")))
	cfg.Retryer = noBackoff(3)
	if _, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatalf("CreateUser after two throttles: %v", err)
	}
	if got := len(p.Calls()); got != 3 {
		t.Errorf("attempts = %d, want 3: %v", got, p.Calls())
	}
}

func TestFaultShapesPerProtocol(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()
	cfg.Retryer = noBackoff(1)
	p.SetFault(testkit.Throttle)

	_, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	assertCode(t, "dynamodb", err, "ThrottlingException")
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
	assertCode(t, "s3", err, "SlowDown")
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	assertCode(t, "sts", err, "Throttling")
	if got := actions(p.Calls()); !slices.Equal(got, []string{"dynamodb:ListTables", "s3:ListBuckets", "sts:GetCallerIdentity"}) {
		t.Errorf("calls = %v", got)
	}
}

func assertCode(t *testing.T, service string, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Errorf("%s: err = %v, want %s", service, err, code)
		return
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("%s: SDK does not see %s as throttling", service, code)
	}
}

func TestFaultResetAndDelay(t *testing.T) {
	p, cfg := proxied(t)
	ctx := context.Background()
	cfg.Retryer = noBackoff(1)
	client := sts.NewFromConfig(cfg)

	p.SetFault(func(testkit.Call) *testkit.Fault { return &testkit.Fault{Reset: true} })
	_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		t.Fatal("call through a reset connection succeeded")
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
		t.Errorf("SDK does not retry %v", err)
	}

	p.SetFault(func(testkit.Call) *testkit.Fault { return &testkit.Fault{Delay: 150 * time.Millisecond} })
	start := time.Now()
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("delayed call: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("delayed call took %v", d)
	}
	calls := p.Calls()
	if len(calls) != 2 || calls[1].Injected || calls[1].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

// TestEnvDrivesDefaultConfig checks that Env is all a function's
// config.LoadDefaultConfig needs to reach moto (through the proxy here).
func TestEnvDrivesDefaultConfig(t *testing.T) {
	p, _ := proxied(t)
	t.Setenv("AWS_PROFILE", "no-such-profile") // Env must override a developer's profile
	for _, kv := range p.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if got := actions(p.Calls()); !slices.Equal(got, []string{"sts:GetCallerIdentity"}) {
		t.Errorf("calls = %v", got)
	}
}
