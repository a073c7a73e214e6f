package gcinfra

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Names every gcguard function and role carries, so the loop guard can list
// gcguard's own roles before they exist and self-protection can match them.
const NamePrefix = "gcguard-"

// FunctionName is the Lambda function (and log group) name of a function.
func FunctionName(name string) string { return NamePrefix + name }

// RoleName is the IAM role name of a function.
func RoleName(name string) string { return NamePrefix + name }

// RoleARN is the ARN of a function's role.
func RoleARN(partition, account, name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, RoleName(name))
}

// Grant is one statement of a function's policy. Why explains a wildcard
// resource where IAM offers nothing narrower; it becomes the cdk-nag
// suppression reason.
type Grant struct {
	Actions   []string
	Resources []*string
	Why       string
	// ByLambda marks what the Lambda service itself does with the role
	// outside the function's code (decrypting the environment, sending to
	// the on-failure queue), where no lambda:SourceFunctionArn is set.
	ByLambda bool
}

// ReadOnly says whether an IAM action only reads (and reveals no secret).
// Reads stay usable by anyone holding the role's credentials: they change
// nothing, and the role is trusted by Lambda alone.
func ReadOnly(action string) bool {
	// Reading a secret is as good as holding it.
	if action == "secretsmanager:GetSecretValue" {
		return false
	}
	_, verb, _ := strings.Cut(action, ":")
	for _, p := range []string{"Get", "List", "Describe", "Head"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

// FunctionARN is a function's ARN, known before the function exists (a
// role's policy cannot reference the function that depends on the role).
func FunctionARN(partition, region, account, name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", partition, region, account, FunctionName(name))
}

// FunctionProps configures one gcguard function.
type FunctionProps struct {
	Name            string // functions/<Name>, dist/<Name>
	AssetDir        string
	Env             map[string]string
	Grants          []Grant
	Key             awskms.IKey
	Failures        awssqs.IQueue
	Topic           awssns.ITopic
	Retention       awslogs.RetentionDays
	Timeout         awscdk.Duration
	Account, Region string
	Partition       string
}

// Function is a gcguard Lambda with its own log group, least-privilege role,
// asynchronous-invoke configuration and alarms.
type Function struct {
	constructs.Construct
	Fn       awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
	Alarms   []awscloudwatch.Alarm
}

// SourceFunctionKey is the condition key Lambda sets on every call made
// with an execution role's credentials from inside the function.
const SourceFunctionKey = "lambda:SourceFunctionArn"

// MaxEventAge is how long Lambda keeps retrying an event before it goes to
// the on-failure queue.
const MaxEventAge = 3600

// NewFunction builds one function.
func NewFunction(scope constructs.Construct, id string, p FunctionProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	f := &Function{Construct: c}
	fnName := FunctionName(p.Name)
	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + fnName),
		Retention:     p.Retention,
		EncryptionKey: p.Key,
		// Deleted with the stack so a later deployment can recreate the fixed
		// name; the audit table is gcguard's lasting record.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	grants := append([]Grant{{
		Actions:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resources: []*string{jsii.String(fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/lambda/%s:*", p.Partition, p.Region, p.Account, fnName))},
		Why:       "log streams of the function's own log group are named by Lambda at run time",
	}, {
		Actions:   []string{"sqs:SendMessage"},
		Resources: []*string{p.Failures.QueueArn()},
		ByLambda:  true,
	}, {
		Actions:   []string{"kms:Decrypt", "kms:GenerateDataKey"},
		Resources: []*string{p.Key.KeyArn()},
		ByLambda:  true,
	}}, p.Grants...)
	fnARN := FunctionARN(p.Partition, p.Region, p.Account, p.Name)
	doc := awsiam.NewPolicyDocument(nil)
	var applies []any
	var reasons []string
	for _, g := range grants {
		// Mutating actions only from this function's own code: whoever
		// passes the role to another function, instance or task gets its
		// reads and nothing else.
		var reads, writes []string
		for _, a := range g.Actions {
			if ReadOnly(a) || g.ByLambda {
				reads = append(reads, a)
			} else {
				writes = append(writes, a)
			}
		}
		if len(reads) > 0 {
			doc.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings(reads...),
				Resources: &g.Resources,
			}))
		}
		if len(writes) > 0 {
			doc.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:    jsii.Strings(writes...),
				Resources:  &g.Resources,
				Conditions: &map[string]any{"ArnEquals": map[string]any{SourceFunctionKey: fnARN}},
			}))
		}
		if a, why := wildcardSuppressions(g); len(a) > 0 {
			applies = append(applies, a...)
			if !slices.Contains(reasons, why) {
				reasons = append(reasons, why)
			}
		}
	}
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:       jsii.String(RoleName(p.Name)),
		Description:    jsii.String("gcguard function " + p.Name + ": exactly what its rule declares, plus its audit, notice and log resources"),
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"gcguard": doc},
	})
	if len(applies) > 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(f.Role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Wildcards only where IAM has nothing narrower: " + strings.Join(reasons, "; ") + "."),
			AppliesTo: &applies,
		}}, jsii.Bool(true))
	}
	env := make(map[string]*string, len(p.Env))
	for k, v := range p.Env {
		env[k] = jsii.String(v)
	}
	timeout := p.Timeout
	if timeout == nil {
		timeout = awscdk.Duration_Seconds(jsii.Number(60))
	}
	f.Fn = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		FunctionName:          jsii.String(fnName),
		Description:           jsii.String("gcguard " + p.Name),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Clean(p.AssetDir)), nil),
		Role:                  f.Role,
		Environment:           &env,
		EnvironmentEncryption: p.Key,
		MemorySize:            jsii.Number(256),
		Timeout:               timeout,
		LogGroup:              f.LogGroup,
	})
	// L1 on purpose: the L2 destination grants kms:ReEncrypt* and
	// GenerateDataKey*; the role above already carries exactly what is needed.
	invoke := awslambda.NewCfnEventInvokeConfig(c, jsii.String("AsyncConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:             f.Fn.FunctionName(),
		Qualifier:                jsii.String("$LATEST"),
		MaximumRetryAttempts:     jsii.Number(2),
		MaximumEventAgeInSeconds: jsii.Number(MaxEventAge),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: p.Failures.QueueArn()},
		},
	})
	invoke.Node().AddDependency(f.Role)

	action := awscloudwatchactions.NewSnsAction(p.Topic)
	for _, m := range []struct {
		what   string
		metric awscloudwatch.Metric
	}{
		{"errors", f.Fn.MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")})},
		{"throttles", f.Fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")})},
	} {
		a := awscloudwatch.NewAlarm(c, jsii.String(strings.ToUpper(m.what[:1])+m.what[1:]), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(fmt.Sprintf("%s%s-%s", NamePrefix, p.Name, m.what)),
			AlarmDescription:   jsii.String(fmt.Sprintf("gcguard function %s reports %s: see log group /aws/lambda/%s", p.Name, m.what, fnName)),
			Metric:             m.metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		f.Alarms = append(f.Alarms, a)
	}
	return f
}

// wildcardSuppressions lists, per grant, the wildcard resources and actions
// cdk-nag's IAM5 reports for it: literal ones by value, ones built on a CDK
// token (the audit table's index) by a regex over nag's <Ref.Arn> form.
func wildcardSuppressions(g Grant) (applies []any, why string) {
	seen := map[string]bool{}
	for _, r := range g.Resources {
		s := *r
		if !strings.Contains(s, "*") || seen[s] {
			continue
		}
		seen[s] = true
		if i := strings.LastIndex(s, "}"); strings.Contains(s, "${Token[") && i >= 0 {
			applies = append(applies, &cdknag.RegexAppliesTo{Regex: jsii.String("/^Resource::<[^>]+>" + regexp.QuoteMeta(s[i+1:]) + "$/")})
			continue
		}
		applies = append(applies, "Resource::"+s)
	}
	for _, a := range g.Actions {
		if strings.Contains(a, "*") && !seen[a] {
			seen[a] = true
			applies = append(applies, "Action::"+a)
		}
	}
	if len(applies) == 0 {
		return nil, ""
	}
	why = g.Why
	if why == "" {
		why = "declared by the rule; IAM offers no narrower resource for these actions"
	}
	return applies, why
}
