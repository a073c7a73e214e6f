package gcinfra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/gcguard/gcguard/shared/audit"
)

// ExemptionsParamName is the SSM parameter functions read exemptions from.
const ExemptionsParamName = "/gcguard/exemptions"

// StateProps configures the hub's stateful resources.
type StateProps struct {
	Key             awskms.IKey
	Emails          []string
	ExemptionsJSON  string
	Account, Region string
	Partition       string
}

// State is what the hub keeps: the audit table, the notice topic, the
// exemptions parameter and the queue failed invocations land in.
type State struct {
	constructs.Construct
	Table      awsdynamodb.Table
	Topic      awssns.Topic
	Exemptions awsssm.StringParameter
	Failures   awssqs.Queue
}

// NewState creates the hub's state. The audit table is retained when the
// stack is deleted: it is the record of every change gcguard made.
func NewState(scope constructs.Construct, id string, p StateProps) *State {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &State{Construct: c}
	s.Table = awsdynamodb.NewTable(c, jsii.String("AuditTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(audit.AttrPK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(audit.AttrSK), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:       p.Key,
		TimeToLiveAttribute: jsii.String(audit.AttrExpiresAt),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	s.Table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(audit.IndexByID),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(audit.AttrID), Type: awsdynamodb.AttributeType_STRING},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})

	s.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("gcguard"),
		MasterKey:   p.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, e := range p.Emails {
		s.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	// EventBridge delivers self-protection and forwarded alarm notices.
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgePublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.Account}},
	}))

	// CloudWatch alarms publish as a service once the topic has a policy.
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": p.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*", p.Partition, p.Region, p.Account)},
		},
	}))

	tier := awsssm.ParameterTier_STANDARD
	if len(p.ExemptionsJSON) > 4096 {
		tier = awsssm.ParameterTier_ADVANCED
	}
	s.Exemptions = awsssm.NewStringParameter(c, jsii.String("Exemptions"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(ExemptionsParamName),
		StringValue:   jsii.String(p.ExemptionsJSON),
		Description:   jsii.String("gcguard exemptions, written only by the gcguard stack from the account's config file"),
		Tier:          tier,
	})

	s.Failures = awssqs.NewQueue(c, jsii.String("Failures"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: p.Key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	s.Failures.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{s.Failures.QueueArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.Account}},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(s.Failures, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the dead-letter destination (Lambda on-failure and EventBridge target DLQ); its depth raises an alarm."),
	}}, jsii.Bool(false))
	return s
}
