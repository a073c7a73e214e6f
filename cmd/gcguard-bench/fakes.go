package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/rules/iamrules"
)

// Zero-latency stand-ins for AWS, so what is timed is gcguard alone. They
// answer as moto does for the accesskey fix path: the user has the event's
// key (active) and one other key; nothing is held or leased.

// fakeIAM is one IAM user with two keys. The embedded interface stays nil:
// a method the fix path should not call (the sweep's ListUsers) panics.
type fakeIAM struct {
	iamrules.AccessKeyAPI
	user, arn     string
	key, otherKey string
	keyPresent    bool
	created       time.Time
}

func (f *fakeIAM) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return &iam.GetUserOutput{User: &iamtypes.User{UserName: aws.String(f.user), Arn: aws.String(f.arn), Path: aws.String("/"),
		UserId: aws.String("AIDAEXAMPLEUSER00001"), CreateDate: aws.Time(f.created)}}, nil
}

func (f *fakeIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	keys := []iamtypes.AccessKeyMetadata{{UserName: aws.String(f.user), AccessKeyId: aws.String(f.otherKey), Status: iamtypes.StatusTypeActive, CreateDate: aws.Time(f.created)}}
	if f.keyPresent {
		keys = append(keys, iamtypes.AccessKeyMetadata{UserName: aws.String(f.user), AccessKeyId: aws.String(f.key), Status: iamtypes.StatusTypeActive, CreateDate: aws.Time(f.created)})
	}
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: keys}, nil
}

func (f *fakeIAM) DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.keyPresent = false
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (f *fakeIAM) UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	return &iam.UpdateAccessKeyOutput{}, nil
}

func (f *fakeIAM) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	return &iam.GetAccountSummaryOutput{SummaryMap: map[string]int32{}}, nil
}

// fakeAuditor is the audit store at the engine's interface: no encoding.
type fakeAuditor struct{}

var _ guardrail.Auditor = fakeAuditor{}

func (fakeAuditor) Begin(context.Context, *audit.Record) error { return nil }
func (fakeAuditor) Finish(context.Context, *audit.Record, audit.Status, string, time.Time) error {
	return nil
}
func (fakeAuditor) MarkNotified(context.Context, *audit.Record) error { return nil }
func (fakeAuditor) Unnotified(context.Context, string, string) ([]*audit.Record, error) {
	return nil, nil
}
func (fakeAuditor) Acquire(context.Context, string, string, time.Time, time.Duration) error {
	return nil
}
func (fakeAuditor) Release(context.Context, string, string) error { return nil }
func (fakeAuditor) ActiveHold(context.Context, string, time.Time) (*audit.Hold, error) {
	return nil, nil
}

// fakeNotifier is the notifier at the engine's interface: no rendering.
type fakeNotifier struct{}

var _ guardrail.Notifier = fakeNotifier{}

func (fakeNotifier) Publish(context.Context, *notify.Notice) error { return nil }

// fakeDynamoDB is DynamoDB below the real audit store, so the record's
// encoding is timed: every write succeeds, no hold exists.
type fakeDynamoDB struct{}

var _ audit.DynamoDB = fakeDynamoDB{}

func (fakeDynamoDB) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}
func (fakeDynamoDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{}, nil
}
func (fakeDynamoDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}
func (fakeDynamoDB) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}
func (fakeDynamoDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}
func (fakeDynamoDB) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return &dynamodb.ScanOutput{}, nil
}

// fakeSNS is SNS below the real publisher, so the notice's rendering is timed.
type fakeSNS struct{}

var _ notify.SNSAPI = fakeSNS{}

func (fakeSNS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{MessageId: aws.String("00000000-0000-4000-8000-000000000000")}, nil
}

// fakeCFN knows no stacks.
type fakeCFN struct{}

var _ guardrail.CloudFormationAPI = fakeCFN{}

func (fakeCFN) DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	return &cloudformation.DescribeStackResourcesOutput{}, nil
}

// fakeKMS signs and verifies as KMS's HMAC_SHA_256 would, locally, so the
// own-work figure includes computing and checking every item's MAC.
type fakeKMS struct{}

var fakeMacKey = []byte("gcguard-bench-mac-key")

func (fakeKMS) GenerateMac(_ context.Context, in *kms.GenerateMacInput, _ ...func(*kms.Options)) (*kms.GenerateMacOutput, error) {
	m := hmac.New(sha256.New, fakeMacKey)
	m.Write(in.Message)
	return &kms.GenerateMacOutput{Mac: m.Sum(nil), KeyId: in.KeyId, MacAlgorithm: in.MacAlgorithm}, nil
}

func (f fakeKMS) VerifyMac(ctx context.Context, in *kms.VerifyMacInput, _ ...func(*kms.Options)) (*kms.VerifyMacOutput, error) {
	m := hmac.New(sha256.New, fakeMacKey)
	m.Write(in.Message)
	return &kms.VerifyMacOutput{MacValid: hmac.Equal(m.Sum(nil), in.Mac), KeyId: in.KeyId}, nil
}
