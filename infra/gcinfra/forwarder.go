package gcinfra

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// ForwarderProps configures one region's forwarder.
type ForwarderProps struct {
	Config   *deployconfig.File
	Region   string
	Registry *guardrail.Registry
}

// ForwarderStack sends a region's gcguard events to the hub's default bus:
// in us-east-1 the global rules' events (IAM, account-level Block Public
// Access) and the canary, in other workload regions the regional rules'
// events (S3); everywhere, changes to gcguard's own rules there and
// gcguard's alarm state changes.
type ForwarderStack struct {
	awscdk.Stack
	S3Key  awskms.IKey // nil unless gcguard creates this workload region's key
	Role   awsiam.Role
	Rules  []awsevents.CfnRule
	HubBus string
	// Alarms is this region's own topic: forwarding failures must reach
	// someone without travelling the path that failed.
	Alarms awssns.Topic
	DLQ    awssqs.Queue
	Canary *RegionCanary
}

// HubBusARN is the hub's default event bus.
func HubBusARN(cfg *deployconfig.File) string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", cfg.Partition, cfg.HomeRegion, cfg.Account)
}

// ForwardedPatterns are the named patterns a region forwards: one rule per
// event source, so an event travels to the hub exactly once however many of
// gcguard's patterns want it (two rules matching one event put it on the
// hub bus twice: two notices, two audit records).
func ForwardedPatterns(cfg *deployconfig.File, region string, reg *guardrail.Registry) []NamedPattern {
	return MergeBySource(Wanted(cfg, region, reg))
}

// Wanted are the patterns of everything the hub needs from a region, before
// merging.
func Wanted(cfg *deployconfig.File, region string, reg *guardrail.Registry) []guardrail.Pattern {
	var out []guardrail.Pattern
	workload := region != deployconfig.USEast1
	for _, def := range reg.All() {
		s := def.Spec
		if (s.Scope == guardrail.ScopeGlobal) == workload {
			continue
		}
		out = append(out, s.Patterns()...)
	}
	for _, k := range ProtectedKinds() {
		if k.Where == WhereEveryRegion || (k.Where == WhereUSEast1 && !workload) || (k.Where == WhereWorkload && workload) {
			out = append(out, k.Forwarded())
		}
	}
	if !cfg.Canary.Disabled {
		if workload {
			out = append(out, RegionCanaryPattern(cfg.Account, region))
		} else {
			out = append(out, CanaryPattern())
		}
	}
	return append(out, AlarmPattern(""))
}

// MergeBySource folds patterns into one per source. A source with one
// pattern keeps it; several become their union on eventName (or on nothing
// but source and detail-type when one of them does not name events): a
// superset of each, which the hub's own rules narrow again.
func MergeBySource(ps []guardrail.Pattern) []NamedPattern {
	bySource := map[string][]guardrail.Pattern{}
	var order []string
	for _, p := range ps {
		src := fmt.Sprint(p["source"].([]any)[0])
		if _, ok := bySource[src]; !ok {
			order = append(order, src)
		}
		bySource[src] = append(bySource[src], p)
	}
	slices.Sort(order)
	var out []NamedPattern
	for _, src := range order {
		group := bySource[src]
		name := strings.TrimPrefix(src, "aws.")
		if len(group) == 1 {
			out = append(out, NamedPattern{Name: name, Pattern: group[0]})
			continue
		}
		var types, sources, names []any
		seen := map[*[]any]map[string]bool{&types: {}, &sources: {}, &names: {}}
		add := func(to *[]any, vs any) {
			for _, v := range vs.([]any) {
				b, _ := json.Marshal(v)
				if !seen[to][string(b)] {
					seen[to][string(b)] = true
					*to = append(*to, v)
				}
			}
		}
		allNamed, allSourced := true, true
		for _, p := range group {
			add(&types, p["detail-type"])
			d, _ := p["detail"].(map[string]any)
			if v, ok := d["eventName"]; ok {
				add(&names, v)
			} else {
				allNamed = false
			}
			if v, ok := d["eventSource"]; ok {
				add(&sources, v)
			} else {
				allSourced = false
			}
		}
		merged := guardrail.Pattern{"source": []any{src}, "detail-type": types}
		detail := map[string]any{}
		if allNamed {
			detail["eventName"] = names
		}
		if allSourced {
			detail["eventSource"] = sources
		}
		if len(detail) > 0 {
			merged["detail"] = detail
		}
		out = append(out, NamedPattern{Name: name, Pattern: merged})
	}
	return out
}

// NamedPattern is one forwarded pattern and the suffix of its rule's name.
type NamedPattern struct {
	Name    string
	Pattern guardrail.Pattern
}

// NewForwarderStack builds one region's forwarder.
func NewForwarderStack(scope constructs.Construct, id string, p ForwarderProps) *ForwarderStack {
	cfg := p.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		StackName:             jsii.String(id),
		Description:           jsii.String("gcguard forwarder: sends this region's gcguard events to the hub in " + cfg.HomeRegion),
		Env:                   &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(p.Region)},
		CrossRegionReferences: jsii.Bool(true),
		Tags:                  tags(cfg),
	})
	f := &ForwarderStack{Stack: stack, HubBus: HubBusARN(cfg)}
	if p.Region != deployconfig.USEast1 && cfg.KMSKeys[p.Region].KeyARN == "" {
		f.S3Key = NewS3Key(stack, "S3Key", S3KeyProps{
			Account: cfg.Account, Partition: cfg.Partition, Region: p.Region,
			Accounts: cfg.S3KeyGrants.Accounts, ServicePrincipals: cfg.S3KeyGrants.ServicePrincipals,
		})
	}
	f.Role = awsiam.NewRole(stack, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(fmt.Sprintf("%sforwarder-%s", NamePrefix, p.Region)),
		Description: jsii.String("gcguard forwarder " + p.Region + ": put events on the hub's default bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": cfg.Account}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"forward": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("events:PutEvents"), Resources: jsii.Strings(f.HubBus),
			})},
		})},
	})
	key := NewDataKey(stack, "DataKey", DataKeyProps{Account: cfg.Account, Partition: cfg.Partition, Region: p.Region})
	f.Alarms = regionalTopic(stack, key, cfg, p.Region)
	action := awscloudwatchactions.NewSnsAction(f.Alarms)
	f.DLQ = awssqs.NewQueue(stack, jsii.String("DeadLetters"), &awssqs.QueueProps{
		QueueName:           jsii.String(NamePrefix + "forward-dead-letters"),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(14)),
	})
	f.DLQ.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ForwarderRulesDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{f.DLQ.QueueArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": cfg.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:events:%s:%s:rule/%sforward-*", cfg.Partition, p.Region, cfg.Account, NamePrefix)},
		},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(f.DLQ, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself the forwarder rules' dead-letter queue; its depth raises an alarm on this region's topic."),
	}}, jsii.Bool(false))
	dlqAlarm := awscloudwatch.NewAlarm(stack, jsii.String("DeadLettersAlarm"), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(NamePrefix + "forward-dead-letters"),
		AlarmDescription:   jsii.String("Events EventBridge could not forward from " + p.Region + " to the hub wait in " + NamePrefix + "forward-dead-letters: inspect and resend them."),
		Metric:             f.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	dlqAlarm.AddAlarmAction(action)
	for _, np := range ForwardedPatterns(cfg, p.Region, p.Registry) {
		name := NamePrefix + "forward-" + np.Name
		rule := awsevents.NewCfnRule(stack, jsii.String("Forward-"+np.Name), &awsevents.CfnRuleProps{
			Name:         jsii.String(name),
			Description:  jsii.String("gcguard: forward " + np.Name + " events to the hub's default bus in " + cfg.HomeRegion),
			State:        jsii.String("ENABLED"),
			EventPattern: map[string]any(np.Pattern),
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id: jsii.String("hub"), Arn: jsii.String(f.HubBus), RoleArn: f.Role.RoleArn(),
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: f.DLQ.QueueArn()},
				RetryPolicy:      &awsevents.CfnRule_RetryPolicyProperty{MaximumEventAgeInSeconds: jsii.Number(MaxEventAge), MaximumRetryAttempts: jsii.Number(185)},
			}},
		})
		f.Rules = append(f.Rules, rule)
		a := awscloudwatch.NewAlarm(stack, jsii.String("Failed-"+np.Name), &awscloudwatch.AlarmProps{
			AlarmName:        jsii.String(name + "-failed"),
			AlarmDescription: jsii.String("gcguard could not forward " + np.Name + " events from " + p.Region + " to the hub"),
			Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/Events"), MetricName: jsii.String("FailedInvocations"),
				DimensionsMap: &map[string]*string{"RuleName": jsii.String(name)},
				Statistic:     jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
			}),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	if p.Region != deployconfig.USEast1 && !cfg.Canary.Disabled {
		var s3key awskms.IKey = f.S3Key
		if s3key == nil {
			s3key = awskms.Key_FromKeyArn(stack, jsii.String("ConfiguredS3Key"), jsii.String(cfg.KMSKeys[p.Region].KeyARN))
		}
		f.Canary = NewRegionCanary(stack, "Canary", RegionCanaryProps{
			Account: cfg.Account, Partition: cfg.Partition, Region: p.Region, PeriodHours: cfg.Canary.PeriodHours, Key: s3key,
		})
	}
	if f.S3Key != nil {
		awscdk.NewCfnOutput(stack, jsii.String(OutS3Key), &awscdk.CfnOutputProps{Key: jsii.String(OutS3Key), Value: f.S3Key.KeyArn()})
	}
	return f
}

// regionalTopic is a forwarder region's alarm topic, with the hub topic's
// e-mail subscriptions: CloudWatch alarms cannot publish across regions, and
// the forwarded alarm events fail with the forwarder they report on. Only
// gcguard's alarms in this region publish to it.
func regionalTopic(stack awscdk.Stack, key awskms.IKey, cfg *deployconfig.File, region string) awssns.Topic {
	t := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		TopicName:   jsii.String(NamePrefix + "alarms-" + region),
		DisplayName: jsii.String("gcguard " + region),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, e := range cfg.Notices.Emails {
		t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	t.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{t.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": cfg.Account},
			"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s*", cfg.Partition, region, cfg.Account, NamePrefix)},
		},
	}))
	t.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyGcguardAlarmsPublish"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{t.TopicArn()},
		Conditions: &map[string]any{"StringNotEqualsIfExists": map[string]any{"aws:PrincipalServiceName": "cloudwatch.amazonaws.com"}},
	}))
	return t
}
