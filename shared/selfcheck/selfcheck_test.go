package selfcheck_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/selfcheck"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

const (
	home  = "ap-northeast-1"
	osaka = "ap-northeast-3"
)

// world is a small gcguard deployment on moto: a rule per region with an
// SQS target (moto cannot deliver to Lambda), two functions, and a topic
// whose messages land in a queue the test reads.
type world struct {
	cfg     aws.Config
	events  map[string]*eventbridge.Client
	lambda  *lambda.Client
	sqs     *sqs.Client
	topic   string
	inbox   string
	input   selfcheck.Input
	checker *selfcheck.Checker
}

func zipped(t *testing.T) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("bootstrap")
	_, _ = f.Write([]byte("#!/bin/sh\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func setup(t *testing.T) *world {
	t.Helper()
	moto.ResetT(t)
	ctx := context.Background()
	cfg, err := moto.Config(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{cfg: cfg, events: map[string]*eventbridge.Client{}, lambda: lambda.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("gcguard-topic")})
	if err != nil {
		t.Fatal(err)
	}
	w.topic = *topic.TopicArn
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("inbox")})
	if err != nil {
		t.Fatal(err)
	}
	w.inbox = *q.QueueUrl
	qa, _ := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{home, osaka} {
		c := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.Region = region })
		w.events[region] = c
		name := "gcguard-forward-s3"
		target := "arn:aws:sqs:" + region + ":123456789012:hub"
		if region == home {
			name, target = "gcguard-selfprotect-rules", w.topic
		}
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), State: ebtypes.RuleStateEnabled,
			EventPattern: aws.String(`{"source":["aws.s3"]}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(target)}}}); err != nil {
			t.Fatal(err)
		}
		w.input.Rules = append(w.input.Rules, selfcheck.Rule{Region: region, Name: name, Targets: []string{target}})
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("gcguard-fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"gcguard-roletrust", "gcguard-bucket"} {
		if _, err := w.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: role.Role.Arn,
			Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zipped(t)}}); err != nil {
			t.Fatal(err)
		}
		w.input.Functions = append(w.input.Functions, fn)
	}
	w.checker = &selfcheck.Checker{
		Events:  func(region string) selfcheck.EventsAPI { return w.events[region] },
		Lambda:  w.lambda,
		Publish: &notify.Publisher{SNS: snsc, TopicARN: w.topic, Language: "en"},
		Account: "123456789012", Region: home,
		Now: func() time.Time { return time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC) },
	}
	return w
}

// inbox returns the notices published so far (their e-mail bodies).
func (w *world) notices(t *testing.T) []string {
	t.Helper()
	var out []string
	for range 3 {
		m, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.inbox), MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range m.Messages {
			out = append(out, aws.ToString(msg.Body))
		}
		if len(m.Messages) == 0 {
			break
		}
	}
	return out
}

// The attacks: each silences a part of gcguard the way someone with
// ordinary rights could, and the check must name it in a critical notice.
var attacks = []struct {
	name string
	do   func(t *testing.T, w *world)
	want string
}{
	{"disable the self-protection rule", func(t *testing.T, w *world) {
		_, err := w.events[home].DisableRule(context.Background(), &eventbridge.DisableRuleInput{Name: aws.String("gcguard-selfprotect-rules")})
		must(t, err)
	}, "rule gcguard-selfprotect-rules: state DISABLED"},
	{"delete Osaka's forwarding rule", func(t *testing.T, w *world) {
		ctx := context.Background()
		_, err := w.events[osaka].RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("gcguard-forward-s3"), Ids: []string{"t"}})
		must(t, err)
		_, err = w.events[osaka].DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("gcguard-forward-s3")})
		must(t, err)
	}, "ap-northeast-3 rule gcguard-forward-s3: deleted"},
	{"retarget a rule", func(t *testing.T, w *world) {
		_, err := w.events[home].PutTargets(context.Background(), &eventbridge.PutTargetsInput{Rule: aws.String("gcguard-selfprotect-rules"),
			Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String("arn:aws:sqs:ap-northeast-1:123456789012:elsewhere")}}})
		must(t, err)
	}, "rule gcguard-selfprotect-rules: targets [arn:aws:sqs:ap-northeast-1:123456789012:elsewhere]"},
	{"throttle a function to zero", func(t *testing.T, w *world) {
		_, err := w.lambda.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("gcguard-roletrust"), ReservedConcurrentExecutions: aws.Int32(0)})
		must(t, err)
	}, "function gcguard-roletrust: reserved concurrency 0"},
	{"delete a function", func(t *testing.T, w *world) {
		_, err := w.lambda.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("gcguard-bucket")})
		must(t, err)
	}, "function gcguard-bucket: deleted"},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSelfCheckNoticesSilencing(t *testing.T) {
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			w := setup(t)
			// Intact: nothing to say.
			problems, err := w.checker.Run(context.Background(), w.input)
			if err != nil || len(problems) != 0 {
				t.Fatalf("intact deployment: %v %v", problems, err)
			}
			if n := w.notices(t); len(n) != 0 {
				t.Fatalf("notices for an intact deployment: %v", n)
			}
			a.do(t, w)
			problems, err = w.checker.Run(context.Background(), w.input)
			if err != nil || len(problems) != 1 {
				t.Fatalf("problems %v, error %v", problems, err)
			}
			n := w.notices(t)
			if len(n) != 1 {
				t.Fatalf("%d notices, want 1", len(n))
			}
			// The queue gets the notice as the notifier would (the
			// MessageStructure body for its protocol).
			if !strings.Contains(n[0], a.want) || !strings.Contains(n[0], `"severity":"critical"`) {
				t.Errorf("notice does not say %q critically:\n%s", a.want, n[0])
			}
		})
	}
}

// The same, through the real bootstrap behind the local Lambda Runtime API.
func TestSelfCheckBootstrap(t *testing.T) {
	w := setup(t)
	_, err := w.events[home].DisableRule(context.Background(), &eventbridge.DisableRuleInput{Name: aws.String("gcguard-selfprotect-rules")})
	must(t, err)
	bin := testkit.BootstrapT(t, "../../functions/selfcheck")
	env := append(moto.Env(), "GCGUARD_ACCOUNT=123456789012", "GCGUARD_HOME_REGION="+home, "GCGUARD_TOPIC_ARN="+w.topic, "GCGUARD_LANGUAGE=en",
		"AWS_REGION="+home, "AWS_LAMBDA_FUNCTION_NAME=gcguard-selfcheck")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := testkit.StartFunction(ctx, bin, env)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	in, _ := json.Marshal(w.input)
	out, err := f.Invoke(ctx, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, f.Logs())
	}
	if !strings.Contains(string(out), `"problems":1`) {
		t.Errorf("response %s", out)
	}
	if n := w.notices(t); len(n) != 1 || !strings.Contains(n[0], "state DISABLED") {
		t.Errorf("notices %v", n)
	}
	// An emptied input (someone edited the schedule) is an error, not a pass.
	if _, err := f.Invoke(ctx, []byte(`{}`)); err == nil {
		t.Error("an empty input passed")
	}
}
