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
	Account, Region string
	Partition       string
	// Writers are the roles that may write the audit table and publish to
	// the topic: gcguard's function roles and the revert role (ARNs,
	// known before the roles exist). BreakGlass may write the table too.
	Writers    []string
	BreakGlass string
	// Deployer is the CloudFormation execution role, the only principal
	// besides BreakGlass that may replace the table's resource policy.
	Deployer string
}

// InitialExemptions is the exemptions parameter's value as CloudFormation
// writes it: empty, and constant, so a redeploy never overwrites the signed
// entries `gcguard exempt sync` writes after it.
const InitialExemptions = `{"version":2,"entries":[]}`

// AuditDataWrites are the audit table's data-plane writes; the table's
// resource policy denies them to everyone but State.Writers and BreakGlass.
var AuditDataWrites = []string{
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
	"dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
}

// AuditPolicyWrites replace or remove the table's resource policy.
var AuditPolicyWrites = []string{"dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"}

// State is what the hub keeps: the audit table, the notice topic, the
// exemptions parameter and the queue failed invocations land in.
type State struct {
	constructs.Construct
	Table      awsdynamodb.Table
	Topic      awssns.Topic
	Exemptions awsssm.StringParameter
	Failures   awssqs.Queue
	MacKey     awskms.Key
}

// auditTablePolicy denies the audit table's writes to everyone but
// gcguard's roles and the break-glass role, whatever their identity
// policies allow; only the deployer and break-glass may change the policy.
// Resource "*" is the table itself: a table cannot name its own ARN.
func auditTablePolicy(p StateProps) awsiam.PolicyDocument {
	writers := append([]string{}, p.Writers...)
	admins := []string{p.Deployer}
	if p.BreakGlass != "" {
		writers = append(writers, p.BreakGlass)
		admins = append(admins, p.BreakGlass)
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OnlyGcguardWritesAudit"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings(AuditDataWrites...),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": writers}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OnlyDeployerChangesThisPolicy"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings(AuditPolicyWrites...),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": admins}},
		}),
	}})
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
		ResourcePolicy:     auditTablePolicy(p),
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
	// EventBridge delivers self-protection and forwarded alarm notices,
	// from gcguard's rules only (self-protection watches rules so named).
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgePublishes"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": p.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:events:%s:%s:rule/%s*", p.Partition, p.Region, p.Account, NamePrefix)},
		},
	}))
	// Nobody else publishes: a forged notice ("all clear", or a fake revert
	// command) must not reach the people gcguard informs. Identity policies
	// granting sns:Publish on * do not reach past this deny.
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyGcguardPublishes"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]any{
			"ArnNotEquals":            map[string]any{"aws:PrincipalArn": p.Writers},
			"StringNotEqualsIfExists": map[string]any{"aws:PrincipalServiceName": []string{"events.amazonaws.com", "cloudwatch.amazonaws.com"}},
		},
	}))

	// CloudWatch alarms publish as a service once the topic has a policy.
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": p.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s*", p.Partition, p.Region, p.Account, NamePrefix)},
		},
	}))

	// Advanced tier: signed entries outgrow 4 KB quickly, and the tier
	// cannot be lowered once `gcguard exempt` has written a larger value.
	s.Exemptions = awsssm.NewStringParameter(c, jsii.String("Exemptions"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(ExemptionsParamName),
		StringValue:   jsii.String(InitialExemptions),
		Description:   jsii.String("gcguard exemptions: signed entries written by gcguard exempt (make deploy runs exempt sync)"),
		Tier:          awsssm.ParameterTier_ADVANCED,
	})
	s.MacKey = NewMacKey(c, "MacKey", MacKeyProps{Users: p.Writers})

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
