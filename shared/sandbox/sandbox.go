// Package sandbox sets up what a deployed gcguard has (audit table, notice
// topic with a queue subscribed, configuration) on a local moto, for tests,
// `gcguard demo` and the benchmarks.
package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
)

// Account is moto's default account id.
const Account = "123456789012"

// Names of what a sandbox creates.
const (
	AuditTable = "gcguard-audit"
	TopicName  = "gcguard-notices"
	QueueName  = "gcguard-notices-inbox"
	OwnRoleARN = "arn:aws:iam::" + Account + ":role/gcguard-accesskey"
)

// Sandbox is one prepared local account.
type Sandbox struct {
	AWS       aws.Config
	Config    *config.Config
	QueueURL  string
	Store     *audit.Store
	ClientEnv []string // what a child process needs to reach the endpoint
}

// New prepares the account behind awsCfg: audit table, topic, a queue
// subscribed to the topic, and a configuration pointing at them.
func New(ctx context.Context, awsCfg aws.Config, clientEnv []string) (*Sandbox, error) {
	s := &Sandbox{AWS: awsCfg, ClientEnv: clientEnv}
	db := dynamodb.NewFromConfig(awsCfg)
	s.Store = &audit.Store{DB: db, Table: AuditTable}
	if err := s.Store.CreateTable(ctx, db); err != nil {
		return nil, err
	}
	// The HMAC key that authenticates audit items and exemptions, as the hub stack creates it.
	key, err := kms.NewFromConfig(awsCfg).CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac, Description: aws.String("gcguard state MAC"),
	})
	if err != nil {
		return nil, fmt.Errorf("create MAC key: %w", err)
	}
	s.Store.MAC = &audit.MAC{KMS: kms.NewFromConfig(awsCfg), KeyARN: aws.ToString(key.KeyMetadata.Arn)}
	topic, err := sns.NewFromConfig(awsCfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	sq := sqs.NewFromConfig(awsCfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(QueueName)})
	if err != nil {
		return nil, fmt.Errorf("create queue: %w", err)
	}
	s.QueueURL = aws.ToString(q.QueueUrl)
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("read queue arn: %w", err)
	}
	if _, err := sns.NewFromConfig(awsCfg).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
	}); err != nil {
		return nil, fmt.Errorf("subscribe queue: %w", err)
	}
	s.Config = &config.Config{
		Account: Account, Partition: "aws", HomeRegion: awsCfg.Region,
		Modes: map[string]config.Mode{}, AuditTable: AuditTable, TopicARN: aws.ToString(topic.TopicArn),
		OwnRoleARNs: []string{OwnRoleARN}, Language: "ja", AccessKeyAction: config.AccessKeyDelete,
		LeaseDuration: config.DefaultLease, HoldDuration: config.DefaultHold,
		KMSKeys: map[string]string{}, MacKeyARN: s.Store.MAC.KeyARN, HoldMax: config.DefaultHoldMax,
	}
	return s, nil
}

// Env is the environment a function process gets: the configuration as the
// CDK app would set it, plus the endpoint.
func (s *Sandbox) Env() []string {
	env := append([]string{}, s.ClientEnv...)
	kv := s.Config.Env()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+kv[k])
	}
	return env
}

// Engine builds the same engine a function builds, in this process.
func (s *Sandbox) Engine(reg *guardrail.Registry, rules ...string) (*guardrail.Engine, error) {
	return guardrail.NewEngine(s.Config, s.AWS, reg, rules...)
}

// Notices drains the queue and returns the notices published so far. SNS
// wraps each message; with MessageStructure=json the queue gets the "sqs" body.
func (s *Sandbox) Notices(ctx context.Context) ([]notify.Notice, error) {
	sq := sqs.NewFromConfig(s.AWS)
	var out []notify.Notice
	for range 20 {
		msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		if err != nil {
			return nil, fmt.Errorf("receive notices: %w", err)
		}
		if len(msgs.Messages) == 0 {
			break
		}
		for _, m := range msgs.Messages {
			var env struct {
				Message string `json:"Message"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				return nil, fmt.Errorf("notice envelope: %w", err)
			}
			var n notify.Notice
			if err := json.Unmarshal([]byte(env.Message), &n); err != nil {
				return nil, fmt.Errorf("notice body %q: %w", env.Message, err)
			}
			out = append(out, n)
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return nil, fmt.Errorf("delete notice: %w", err)
			}
		}
	}
	return out, nil
}

// WaitNotices polls until at least n notices arrived or the timeout passes.
func (s *Sandbox) WaitNotices(ctx context.Context, n int, timeout time.Duration) ([]notify.Notice, error) {
	var all []notify.Notice
	deadline := time.Now().Add(timeout)
	for {
		got, err := s.Notices(ctx)
		if err != nil {
			return all, err
		}
		all = append(all, got...)
		if len(all) >= n || time.Now().After(deadline) {
			return all, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}
