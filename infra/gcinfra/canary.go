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
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// CanaryProps configures the delivery canaries' hub side.
type CanaryProps struct {
	Account, Partition string
	PeriodHours        int
	Key                awskms.IKey
	Topic              awssns.ITopic
	Retention          awslogs.RetentionDays
	// IAM: the us-east-1 forwarder exists (iamEventSource eventbridge).
	IAM bool
	// Regions are the forwarding workload regions, each with its own canary.
	Regions []string
}

// Canary proves, every period, that events still travel to the hub: from
// us-east-1, EventBridge Scheduler tags the canary role (a harmless real
// IAM call, logged even when it changes nothing; PutEvents cannot send
// aws.* sources), and from every other forwarding region it tags that
// region's canary bucket (RegionCanary). Hub rules log the arrivals; no
// arrival in two periods raises that region's alarm at the hub.
type Canary struct {
	constructs.Construct
	Role      awsiam.Role // nil without the IAM canary
	Rule      awsevents.CfnRule
	LogGroup  awslogs.LogGroup
	Alarm     awscloudwatch.Alarm
	Regional  map[string]awscloudwatch.Alarm
	Rules     []awsevents.CfnRule // every arrival rule
	logPolicy awslogs.CfnResourcePolicy
}

// NewCanary builds the canaries' hub side and the IAM canary.
func NewCanary(scope constructs.Construct, id string, p CanaryProps) *Canary {
	c := constructs.NewConstruct(scope, jsii.String(id))
	k := &Canary{Construct: c, Regional: map[string]awscloudwatch.Alarm{}}
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
	k.logPolicy = awslogs.NewCfnResourcePolicy(c, jsii.String("ArrivalsPolicy"), &awslogs.CfnResourcePolicyProps{
		PolicyName:     jsii.String(CanaryRoleName),
		PolicyDocument: jsii.String(string(policy)),
	})
	if p.IAM {
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
		k.Rule, k.Alarm = k.arrivalRule("", CanaryRoleName,
			"gcguard delivery canary arrivals (TagRole on the canary role, via the us-east-1 forwarder)",
			CanaryPattern(), p.PeriodHours, p.Topic,
			"The delivery canary's IAM event did not reach the hub: check the trail, the us-east-1 forwarder rule and its role, and EventBridge in us-east-1 (organization policies).")
	}
	for _, region := range p.Regions {
		_, k.Regional[region] = k.arrivalRule("Region-"+region, RegionCanaryRule(region),
			"gcguard delivery canary arrivals from "+region+" (PutBucketTagging on its canary bucket, via its forwarder)",
			RegionCanaryPattern(p.Account, region), p.PeriodHours, p.Topic,
			"The delivery canary's S3 event from "+region+" did not reach the hub: check the trail, the "+region+" forwarder rule gcguard-forward-s3 and its role, and the canary schedule there.")
	}
	return k
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// RegionCanaryProps configures a workload region's delivery canary.
type RegionCanaryProps struct {
	Account, Partition, Region string
	PeriodHours                int
	Key                        awskms.IKey // the region's S3 key
}

// RegionCanary proves, every period, that S3 events still travel from a
// forwarding workload region to the hub: EventBridge Scheduler tags the
// region's canary bucket (a bucket-level S3 management event, which
// CloudTrail hands to EventBridge in the bucket's region), the region's
// aws.s3 forwarding rule carries it to the hub, and a hub rule counts it.
// An S3 call proves the very rule that forwards S3 events; the bucket holds
// nothing.
type RegionCanary struct {
	constructs.Construct
	Bucket awss3.Bucket
	Role   awsiam.Role
}

// RegionCanaryBucket is the canary bucket's name in a region.
func RegionCanaryBucket(account, region string) string {
	return fmt.Sprintf("%s-%s-%s", CanaryRoleName, account, region)
}

// RegionCanaryRule is the hub rule counting a region's canary arrivals.
func RegionCanaryRule(region string) string { return CanaryRoleName + "-" + region }

// RegionCanaryPattern matches the canary's PutBucketTagging from region.
func RegionCanaryPattern(account, region string) guardrail.Pattern {
	return guardrail.Pattern{
		"source":      []any{"aws.s3"},
		"detail-type": []any{cloudtrail.DetailType},
		"detail": map[string]any{
			"eventSource":       []any{"s3.amazonaws.com"},
			"eventName":         []any{"PutBucketTagging"},
			"requestParameters": map[string]any{"bucketName": []any{RegionCanaryBucket(account, region)}},
		},
	}
}

// NewRegionCanary builds a region's canary in its forwarder stack.
func NewRegionCanary(scope constructs.Construct, id string, p RegionCanaryProps) *RegionCanary {
	c := constructs.NewConstruct(scope, jsii.String(id))
	k := &RegionCanary{Construct: c}
	name := RegionCanaryBucket(p.Account, p.Region)
	k.Bucket = awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BucketName:        jsii.String(name),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     p.Key,
		BucketKeyEnabled:  jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		// The bucket holds nothing; these keep Control Tower's S3 checks
		// satisfied at no cost.
		ObjectLockEnabled: jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("nothing-stays"),
			Expiration:                  awscdk.Duration_Days(jsii.Number(1)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(k.Bucket, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("The canary bucket holds no objects; only its tags change, and CloudTrail records that."),
	}}, jsii.Bool(true))
	k.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(fmt.Sprintf("%s-%s", CanaryRoleName, p.Region)),
		Description: jsii.String("gcguard delivery canary in " + p.Region + ": EventBridge Scheduler tags the canary bucket"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.Account}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"canary": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("s3:PutBucketTagging"), Resources: jsii.Strings(fmt.Sprintf("arn:%s:s3:::%s", p.Partition, name)),
			})},
		})},
	})
	input, _ := json.Marshal(map[string]any{
		"Bucket":              name,
		"ExpectedBucketOwner": p.Account,
		"Tagging":             map[string]any{"TagSet": []map[string]string{{"Key": "gcguard-canary", "Value": "delivery-check"}}},
	})
	awsscheduler.NewCfnSchedule(c, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(fmt.Sprintf("%s-%s", CanaryRoleName, p.Region)),
		Description:        jsii.String("gcguard delivery canary: tag the canary bucket"),
		ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d hour%s)", p.PeriodHours, plural(p.PeriodHours))),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     jsii.String("arn:aws:scheduler:::aws-sdk:s3:putBucketTagging"),
			RoleArn: k.Role.RoleArn(),
			Input:   jsii.String(string(input)),
		},
	})
	return k
}

// arrivalRule counts one canary's arrivals at the hub and alarms when none
// came in two periods.
func (k *Canary) arrivalRule(id, name, desc string, pattern guardrail.Pattern, periodHours int, topic awssns.ITopic, why string) (awsevents.CfnRule, awscloudwatch.Alarm) {
	rule := awsevents.NewCfnRule(k.Construct, jsii.String(id+"Rule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(name),
		Description:  jsii.String(desc),
		State:        jsii.String("ENABLED"),
		EventPattern: map[string]any(pattern),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:  jsii.String("arrivals"),
			Arn: k.LogGroup.LogGroupArn(),
		}},
	})
	rule.Node().AddDependency(k.logPolicy)
	k.Rules = append(k.Rules, rule)
	alarm := awscloudwatch.NewAlarm(k.Construct, jsii.String(id+"Missed"), &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(name + "-missed"),
		AlarmDescription: jsii.String(why),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Events"),
			MetricName:    jsii.String("TriggeredRules"),
			DimensionsMap: &map[string]*string{"RuleName": jsii.String(name)},
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Hours(jsii.Number(float64(periodHours))),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return rule, alarm
}
