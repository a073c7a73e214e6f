package gcinfra

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// CanaryProps configures the delivery canary.
type CanaryProps struct {
	Account, Partition string
	PeriodHours        int
	Key                awskms.IKey
	Topic              awssns.ITopic
	Retention          awslogs.RetentionDays
}

// Canary proves, every period, that IAM events still travel from us-east-1
// to the hub: EventBridge Scheduler tags the canary role (a harmless real
// IAM call, logged even when it changes nothing; PutEvents cannot send
// aws.* sources), the us-east-1
// forwarder carries the TagRole event to the hub, and a hub rule logs it.
// No arrival in two periods raises an alarm.
type Canary struct {
	constructs.Construct
	Role     awsiam.Role
	Rule     awsevents.CfnRule
	LogGroup awslogs.LogGroup
	Alarm    awscloudwatch.Alarm
}

// NewCanary builds the canary in the hub.
func NewCanary(scope constructs.Construct, id string, p CanaryProps) *Canary {
	c := constructs.NewConstruct(scope, jsii.String(id))
	k := &Canary{Construct: c}
	roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", p.Partition, p.Account, CanaryRoleName)
	k.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(CanaryRoleName),
		Description: jsii.String("gcguard delivery canary: EventBridge Scheduler tags this role; the event must reach the hub"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.Account}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"canary": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("iam:TagRole"), Resources: jsii.Strings(roleARN),
			})},
		})},
	})
	input, _ := json.Marshal(map[string]any{
		"RoleName": CanaryRoleName,
		"Tags":     []map[string]string{{"Key": "gcguard-canary", "Value": "delivery-check"}},
	})
	awsscheduler.NewCfnSchedule(c, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(CanaryRoleName),
		Description:        jsii.String("gcguard delivery canary: tag the canary role"),
		ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d hour%s)", p.PeriodHours, plural(p.PeriodHours))),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     jsii.String("arn:aws:scheduler:::aws-sdk:iam:tagRole"),
			RoleArn: k.Role.RoleArn(),
			Input:   jsii.String(string(input)),
		},
	})
	groupName := "/aws/events/" + CanaryRoleName
	k.LogGroup = awslogs.NewLogGroup(c, jsii.String("Arrivals"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(groupName),
		Retention:     p.Retention,
		EncryptionKey: p.Key,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// EventBridge writes to a log group under a CloudWatch Logs resource
	// policy (L1, so no custom resource is needed to install it).
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "EventBridgeWritesCanaryArrivals",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": []string{"events.amazonaws.com", "delivery.logs.amazonaws.com"}},
			"Action":    []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource":  fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p.Partition, *awscdk.Stack_Of(c).Region(), p.Account, groupName),
		}},
	})
	logPolicy := awslogs.NewCfnResourcePolicy(c, jsii.String("ArrivalsPolicy"), &awslogs.CfnResourcePolicyProps{
		PolicyName:     jsii.String(CanaryRoleName),
		PolicyDocument: jsii.String(string(policy)),
	})
	k.Rule = awsevents.NewCfnRule(c, jsii.String("Rule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(CanaryRoleName),
		Description:  jsii.String("gcguard delivery canary arrivals (TagRole on the canary role, via the us-east-1 forwarder)"),
		State:        jsii.String("ENABLED"),
		EventPattern: map[string]any(CanaryPattern()),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:  jsii.String("arrivals"),
			Arn: k.LogGroup.LogGroupArn(),
		}},
	})
	k.Rule.Node().AddDependency(logPolicy)
	period := awscdk.Duration_Hours(jsii.Number(float64(p.PeriodHours)))
	k.Alarm = awscloudwatch.NewAlarm(c, jsii.String("Missed"), &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(NamePrefix + "canary-missed"),
		AlarmDescription: jsii.String("The delivery canary's IAM event did not reach the hub: check the trail, the us-east-1 forwarder rule and its role, and EventBridge in us-east-1 (organization policies)."),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Events"),
			MetricName:    jsii.String("TriggeredRules"),
			DimensionsMap: &map[string]*string{"RuleName": jsii.String(CanaryRoleName)},
			Statistic:     jsii.String("Sum"),
			Period:        period,
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(p.Topic)
	k.Alarm.AddAlarmAction(action)
	k.Alarm.AddOkAction(action)
	return k
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
