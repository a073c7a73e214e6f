package gcinfra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

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
}

// HubBusARN is the hub's default event bus.
func HubBusARN(cfg *deployconfig.File) string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", cfg.Partition, cfg.HomeRegion, cfg.Account)
}

// ForwardedPatterns are the named patterns a region forwards.
func ForwardedPatterns(cfg *deployconfig.File, region string, reg *guardrail.Registry) []NamedPattern {
	var out []NamedPattern
	workload := region != deployconfig.USEast1
	for _, def := range reg.All() {
		s := def.Spec
		if (s.Scope == guardrail.ScopeGlobal) == workload {
			continue
		}
		for i, p := range s.Patterns() {
			name := s.Name
			if len(s.Triggers) > 1 {
				name = fmt.Sprintf("%s-%d", s.Name, i+1)
			}
			out = append(out, NamedPattern{Name: name, Pattern: p})
		}
	}
	for _, k := range ProtectedKinds() {
		if k.Where == WhereEveryRegion || (k.Where == WhereUSEast1 && !workload) || (k.Where == WhereWorkload && workload) {
			out = append(out, NamedPattern{Name: "selfprotect-" + k.Name, Pattern: k.Broad})
		}
	}
	if !workload && !cfg.Canary.Disabled {
		out = append(out, NamedPattern{Name: "canary", Pattern: CanaryPattern()})
	}
	out = append(out, NamedPattern{Name: "alarms", Pattern: AlarmPattern("")})
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
	for _, np := range ForwardedPatterns(cfg, p.Region, p.Registry) {
		name := NamePrefix + "forward-" + np.Name
		rule := awsevents.NewCfnRule(stack, jsii.String("Forward-"+np.Name), &awsevents.CfnRuleProps{
			Name:         jsii.String(name),
			Description:  jsii.String("gcguard: forward " + np.Name + " events to the hub's default bus in " + cfg.HomeRegion),
			State:        jsii.String("ENABLED"),
			EventPattern: map[string]any(np.Pattern),
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id: jsii.String("hub"), Arn: jsii.String(f.HubBus), RoleArn: f.Role.RoleArn(),
			}},
		})
		f.Rules = append(f.Rules, rule)
		awscloudwatch.NewAlarm(stack, jsii.String("Failed-"+np.Name), &awscloudwatch.AlarmProps{
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
	}
	return f
}
