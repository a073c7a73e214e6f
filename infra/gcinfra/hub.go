package gcinfra

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awschatbot"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// HubProps configures the hub stack.
type HubProps struct {
	Config       *deployconfig.File
	Registry     *guardrail.Registry
	DistDir      string
	Present      map[string]bool
	Functions    []string
	RemoteS3Keys map[string]*string // region → key ARN created by that region's forwarder stack
	// RemoteRules are the forwarders' rules, for the self-check.
	RemoteRules map[string][]ExpectedRule
}

// ExpectedRule is one EventBridge rule the self-check expects enabled with
// exactly these targets.
type ExpectedRule struct {
	Region  string    `json:"region"`
	Name    string    `json:"name"`
	Targets []*string `json:"targets"`
}

// HubStack runs the rules in the home region.
type HubStack struct {
	awscdk.Stack
	DataKey   awskms.Key
	S3Key     awskms.IKey
	State     *State
	Functions map[string]*Function
	Rules     map[string][]awsevents.CfnRule // rule name → its EventBridge rules
	Canary    *Canary
	// RevertRole is what `gcguard revert` and `gcguard exempt` run as.
	RevertRole awsiam.Role
	// expected are the hub's rules, for the self-check.
	expected []ExpectedRule
}

// Variables the hub sets beyond the runtime configuration contract.
const (
	MacKeyEnv       = config.EnvMacKeyARN
	HoldMaxHoursEnv = config.EnvHoldMaxHours
)

// RevertRoleName is the role operators assume to revert and to exempt.
const RevertRoleName = NamePrefix + "revert"

// Version is the gcguard release the stacks carry (output Version); the
// Makefile may set it with -ldflags -X.
var Version = "0.3.0-dev"

// DeployerRoleARN is the CDK bootstrap's CloudFormation execution role.
func DeployerRoleARN(partition, account, region string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/cdk-hnb659fds-cfn-exec-role-%s-%s", partition, account, account, region)
}

// OwnRoles are the loop guard's roles: exactly the roles this deployment
// creates whose calls gcguard must not act on (its functions' and, when it
// exists, the canary's). A name on this list that the deployment does not
// create could be created by anyone, and its calls would go unseen.
func OwnRoles(cfg *deployconfig.File, functions []string) []string {
	own := make([]string, 0, len(functions)+1)
	for _, fn := range functions {
		own = append(own, RoleARN(cfg.Partition, cfg.Account, fn))
	}
	if !cfg.Canary.Disabled && cfg.IAMEventSource == deployconfig.SourceEventBridge {
		own = append(own, RoleARN(cfg.Partition, cfg.Account, "canary"))
	}
	return own
}

// SlackSecretEnv names the Slack webhook secret for the notifier.
const SlackSecretEnv = "GCGUARD_SLACK_SECRET_ARN"

// NewHubStack builds the hub.
func NewHubStack(scope constructs.Construct, id string, p HubProps) (*HubStack, error) {
	cfg := p.Config
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		StackName:             jsii.String(id),
		Description:           jsii.String("gcguard hub: guardrail functions, audit table, notices"),
		Env:                   &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.HomeRegion)},
		CrossRegionReferences: jsii.Bool(true),
		Tags:                  tags(cfg),
	})
	h := &HubStack{Stack: stack, Functions: map[string]*Function{}, Rules: map[string][]awsevents.CfnRule{}}
	// Every role gcguard creates that may write its state: the functions'
	// and the revert role. Named before they exist, so the table, topic and
	// MAC key policies can name them.
	writers := []string{RoleARN(cfg.Partition, cfg.Account, "revert")}
	for _, fn := range p.Functions {
		writers = append(writers, RoleARN(cfg.Partition, cfg.Account, fn))
	}
	h.DataKey = NewDataKey(stack, "DataKey", DataKeyProps{Account: cfg.Account, Partition: cfg.Partition, Region: cfg.HomeRegion})
	if k := cfg.KMSKeys[cfg.HomeRegion].KeyARN; k != "" {
		h.S3Key = awskms.Key_FromKeyArn(stack, jsii.String("S3Key"), jsii.String(k))
	} else {
		h.S3Key = NewS3Key(stack, "S3Key", S3KeyProps{
			Account: cfg.Account, Partition: cfg.Partition, Region: cfg.HomeRegion,
			Accounts: cfg.S3KeyGrants.Accounts, ServicePrincipals: cfg.S3KeyGrants.ServicePrincipals,
		})
	}
	rules := p.Registry.Names()
	h.State = NewState(stack, "State", StateProps{
		Key: h.DataKey, Emails: cfg.Notices.Emails, Account: cfg.Account, Region: cfg.HomeRegion, Partition: cfg.Partition,
		Writers: writers, BreakGlass: cfg.BreakGlassRoleARN, Deployer: DeployerRoleARN(cfg.Partition, cfg.Account, cfg.HomeRegion),
	})

	keys := map[string]string{cfg.HomeRegion: *h.S3Key.KeyArn()}
	for region, arn := range p.RemoteS3Keys {
		keys[region] = *arn
	}
	own := OwnRoles(cfg, p.Functions)
	rc, err := cfg.Runtime(rules, deployconfig.Resources{
		AuditTable: *h.State.Table.TableName(), TopicARN: *h.State.Topic.TopicArn(),
		ExemptionsParam: ExemptionsParamName, OwnRoleARNs: own, KMSKeys: keys, MacKeyARN: *h.State.MacKey.KeyArn(),
	})
	if err != nil {
		return nil, err
	}
	env := rc.Env()
	// Env leaves out empty values; set every variable functions read, so
	// a function's configuration is visible in full in the console.
	for _, name := range RuntimeVariables() {
		if _, ok := env[name]; !ok {
			env[name] = ""
		}
	}
	retention := retentionDays(cfg.LogRetentionDays)
	regions := append([]string{}, cfg.WorkloadRegions...)

	newFn := func(name string, grants []Grant, extraEnv map[string]string, timeout awscdk.Duration) *Function {
		e := make(map[string]string, len(env)+len(extraEnv))
		for k, v := range env {
			e[k] = v
		}
		for k, v := range extraEnv {
			e[k] = v
		}
		f := NewFunction(stack, "Fn-"+name, FunctionProps{
			Name: name, AssetDir: filepath.Join(p.DistDir, name), Env: e, Grants: grants,
			Key: h.DataKey, Failures: h.State.Failures, Topic: h.State.Topic, Retention: retention, Timeout: timeout,
			Account: cfg.Account, Region: cfg.HomeRegion, Partition: cfg.Partition,
		})
		h.Functions[name] = f
		return f
	}
	stateGrants := h.stateGrants()
	for _, def := range p.Registry.All() {
		spec := def.Spec
		grants := append(SpecGrants(spec, cfg.Partition, cfg.Account, regions), stateGrants...)
		f := newFn(spec.Name, grants, nil, nil)
		for i, pat := range spec.Patterns() {
			name := FunctionName(spec.Name)
			if len(spec.Triggers) > 1 {
				name = fmt.Sprintf("%s-%d", name, i+1)
			}
			h.Rules[spec.Name] = append(h.Rules[spec.Name], h.invokeRule(name, "gcguard rule "+spec.Name+": "+spec.Summary, pat, nil, f))
		}
	}
	if cfg.Notices.SlackSecretARN != "" {
		f := newFn(FnNotify, []Grant{
			{Actions: []string{"secretsmanager:GetSecretValue"}, Resources: []*string{jsii.String(cfg.Notices.SlackSecretARN)}},
			{Actions: MacActions, Resources: []*string{h.State.MacKey.KeyArn()}},
		},
			map[string]string{SlackSecretEnv: cfg.Notices.SlackSecretARN}, nil)
		h.State.Topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(f.Fn, nil))
		// The notifier groups storms into digests in memory, per container
		// (docs/notices.md): one container keeps one window, and a schedule
		// sends digests that no later notice would flush.
		// Reserving needs headroom in the account's concurrency quota (new
		// accounts have 10, of which 10 must stay unreserved), so it is
		// opt-in; unreserved, each container keeps its own window and the
		// code's storm protection bounds what a burst sends.
		if n := cfg.Notifier.ReservedConcurrency; n > 0 {
			f.Fn.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(float64(n)))
		}
		h.invokeRule(FunctionName(FnNotify)+"-digest", "gcguard notifier: send Slack digests whose window has closed", nil, jsii.String("rate(5 minutes)"), f)
	}
	if p.Present[FnSweep] {
		var grants []Grant
		for _, def := range p.Registry.All() {
			grants = append(grants, SpecGrants(def.Spec, cfg.Partition, cfg.Account, regions)...)
		}
		f := newFn(FnSweep, append(mergeGrants(grants), stateGrants...), nil, awscdk.Duration_Minutes(jsii.Number(15)))
		h.invokeRule(FunctionName(FnSweep), "gcguard sweep: pre-existing resources and missed events", nil, jsii.String("rate(1 day)"), f)
	}
	keyARNs := []string{*h.DataKey.KeyArn()}
	for _, region := range cfg.WorkloadRegions {
		if k, ok := rc.KMSKeys[region]; ok {
			keyARNs = append(keyARNs, k)
		}
	}
	h.selfProtection(p, keyARNs, stateGrants, newFn)
	if cfg.IAMEventSource == deployconfig.SourceLogs {
		h.logSource(p, newFn, stateGrants)
	}
	if !cfg.Canary.Disabled {
		var regions []string
		for _, r := range cfg.ForwarderRegions() {
			if r != deployconfig.USEast1 {
				regions = append(regions, r)
			}
		}
		h.Canary = NewCanary(stack, "Canary", CanaryProps{
			Account: cfg.Account, Partition: cfg.Partition, PeriodHours: cfg.Canary.PeriodHours,
			Key: h.DataKey, Topic: h.State.Topic, Retention: retention,
			IAM: cfg.IAMEventSource == deployconfig.SourceEventBridge, Regions: regions,
		})
	}
	h.alarmsFromOtherRegions(cfg)
	failures := awscloudwatch.NewAlarm(stack, jsii.String("FailuresAlarm"), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(NamePrefix + "failed-events"),
		AlarmDescription:   jsii.String("Events gcguard could not handle after retries wait in the on-failure queue: inspect and redrive."),
		Metric:             h.State.Failures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	failures.AddAlarmAction(awscloudwatchactions.NewSnsAction(h.State.Topic))
	if c := cfg.Notices.Chatbot; c != nil {
		// Channel members act through the channel role, capped by the
		// guardrail policy: read-only, so a chat channel cannot change the
		// account (the default guardrail is AdministratorAccess).
		role := awsiam.NewRole(stack, jsii.String("ChatbotRole"), &awsiam.RoleProps{
			RoleName:    jsii.String(NamePrefix + "chatbot"),
			Description: jsii.String("gcguard Slack channel: receives notices; no permissions of its own"),
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("chatbot.amazonaws.com"), nil),
		})
		awschatbot.NewSlackChannelConfiguration(stack, jsii.String("Chatbot"), &awschatbot.SlackChannelConfigurationProps{
			SlackChannelConfigurationName: jsii.String("gcguard"),
			SlackWorkspaceId:              jsii.String(c.SlackWorkspaceID),
			SlackChannelId:                jsii.String(c.SlackChannelID),
			NotificationTopics:            &[]awssns.ITopic{h.State.Topic},
			Role:                          role,
			GuardrailPolicies:             &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("ReadOnlyAccess"))},
		})
	}
	if h.Canary != nil {
		for _, r := range h.Canary.Rules {
			h.expect(*r.Name(), h.Canary.LogGroup.LogGroupArn())
		}
	}
	if p.Present[FnSelfCheck] {
		h.selfCheck(p, newFn)
	}
	h.RevertRole = h.revertRole(p)
	h.outputs()
	return h, nil
}

// stateGrants are what every function needs of the hub's own resources.
func (h *HubStack) stateGrants() []Grant {
	s := h.State
	return []Grant{
		{Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"},
			Resources: []*string{s.Table.TableArn(), jsii.String(*s.Table.TableArn() + "/index/*")},
			Why:       "the audit table's by-id index (index names are part of the table's schema)"},
		{Actions: []string{"sns:Publish"}, Resources: []*string{s.Topic.TopicArn()}},
		{Actions: []string{"ssm:GetParameter"}, Resources: []*string{s.Exemptions.ParameterArn()}},
		{Actions: MacActions, Resources: []*string{s.MacKey.KeyArn()}},
	}
}

// SpecGrants are a rule's declared permissions (plus the engine's), each
// resource template rendered for every region the rule acts in.
func SpecGrants(spec guardrail.Spec, partition, account string, regions []string) []Grant {
	var out []Grant
	for _, perm := range append(slices.Clone(spec.Permissions), guardrail.EnginePermissions...) {
		seen := map[string]bool{}
		var res []*string
		for _, region := range regions {
			for _, r := range perm.Render(partition, account, region) {
				if !seen[r] {
					seen[r] = true
					res = append(res, jsii.String(r))
				}
			}
		}
		why := "rule " + spec.Name + " acts on whichever resource the event names"
		if seen["*"] {
			why = strings.Join(perm.Actions, ", ") + " take no resource-level permission"
		}
		out = append(out, Grant{Actions: slices.Clone(perm.Actions), Resources: res, Why: why})
	}
	return out
}

// mergeGrants drops repeated grants (several rules declare the engine's).
func mergeGrants(gs []Grant) []Grant {
	seen := map[string]bool{}
	var out []Grant
	for _, g := range gs {
		var rs []string
		for _, r := range g.Resources {
			rs = append(rs, *r)
		}
		k := strings.Join(g.Actions, ",") + "|" + strings.Join(rs, ",")
		if !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	return out
}

// invokeRule is an EventBridge rule on the default bus that invokes f, with
// the on-failure queue as the target's dead-letter queue (events
// EventBridge could not hand to Lambda at all).
func (h *HubStack) invokeRule(name, desc string, pattern guardrail.Pattern, schedule *string, f *Function) awsevents.CfnRule {
	props := &awsevents.CfnRuleProps{
		Name:        jsii.String(name),
		Description: jsii.String(truncate(desc, 512)),
		State:       jsii.String("ENABLED"),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("function"),
			Arn:              f.Fn.FunctionArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: h.State.Failures.QueueArn()},
			RetryPolicy:      &awsevents.CfnRule_RetryPolicyProperty{MaximumEventAgeInSeconds: jsii.Number(MaxEventAge), MaximumRetryAttempts: jsii.Number(185)},
		}},
	}
	if pattern != nil {
		props.EventPattern = map[string]any(pattern)
	} else {
		props.ScheduleExpression = schedule
	}
	id := "Rule-" + strings.TrimPrefix(name, NamePrefix)
	rule := awsevents.NewCfnRule(h.Stack, jsii.String(id), props)
	h.expect(name, f.Fn.FunctionArn())
	awslambda.NewCfnPermission(h.Stack, jsii.String(id+"-Invoke"), &awslambda.CfnPermissionProps{
		Action:        jsii.String("lambda:InvokeFunction"),
		FunctionName:  f.Fn.FunctionArn(),
		Principal:     jsii.String("events.amazonaws.com"),
		SourceArn:     rule.AttrArn(),
		SourceAccount: h.Stack.Account(),
	})
	return rule
}

// topicRule is an EventBridge rule that sends a one-line text to the topic.
func (h *HubStack) topicRule(id, name, desc string, pattern guardrail.Pattern, paths map[string]*string, template string) awsevents.CfnRule {
	h.expect(name, h.State.Topic.TopicArn())
	return awsevents.NewCfnRule(h.Stack, jsii.String(id), &awsevents.CfnRuleProps{
		Name:         jsii.String(name),
		Description:  jsii.String(desc),
		State:        jsii.String("ENABLED"),
		EventPattern: map[string]any(pattern),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("topic"),
			Arn:              h.State.Topic.TopicArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: h.State.Failures.QueueArn()},
			InputTransformer: &awsevents.CfnRule_InputTransformerProperty{InputPathsMap: &paths, InputTemplate: jsii.String(template)},
		}},
	})
}

// selfProtection: without functions/selfprotect, the narrow patterns go
// straight to the topic as a text notice; with it, the broad patterns go to
// the function, which filters in code.
func (h *HubStack) selfProtection(p HubProps, keyARNs []string, stateGrants []Grant, newFn func(string, []Grant, map[string]string, awscdk.Duration) *Function) {
	var fn *Function
	if p.Present[FnSelfProtect] {
		fn = newFn(FnSelfProtect, stateGrants, nil, nil)
	}
	for _, k := range ProtectedKinds(keyARNs...) {
		if k.Where == WhereUSEast1 && p.Config.IAMEventSource != deployconfig.SourceEventBridge {
			continue
		}
		name := NamePrefix + "selfprotect-" + k.Name
		desc := "gcguard self-protection: changes to gcguard's " + k.Name + " by anyone but CloudFormation"
		if fn != nil {
			if k.Broad != nil {
				h.invokeRule(name, desc, k.Broad, nil, fn)
			}
			continue
		}
		what := `"[gcguard] self-protection: <event> changed gcguard's ` + k.Name + ` in account <account>, region <region>, at <time> (UTC), by <actor>. Only CloudFormation should change gcguard: if this was not a gcguard deployment, investigate and redeploy gcguard (make deploy). / gcguard 自己防御: CloudFormation 以外による gcguard の ` + k.Name + ` の変更を検知しました。"`
		if strings.HasPrefix(k.Name, "passrole-") {
			desc = "gcguard self-protection: a gcguard role passed to anything but its own function"
			what = `"[gcguard] self-protection: <event> in account <account>, region <region>, at <time> (UTC), by <actor> handed a gcguard role to something other than its own function. The role can only read there, but nobody should use it: investigate. / gcguard 自己防御: gcguard のロールが gcguard 以外に渡されました (<event>)。調査してください。"`
		}
		h.topicRule("SelfProtect-"+k.Name, name, desc, k.Narrow, map[string]*string{
			"event": jsii.String("$.detail.eventName"), "actor": jsii.String("$.detail.userIdentity.arn"),
			"account": jsii.String("$.account"), "region": jsii.String("$.region"), "time": jsii.String("$.time"),
		}, what)
	}
}

// alarmsFromOtherRegions: alarms cannot publish to a topic in another
// region, so forwarders send gcguard's alarm state changes to the hub bus
// and this rule puts them on the topic.
func (h *HubStack) alarmsFromOtherRegions(cfg *deployconfig.File) {
	h.topicRule("RemoteAlarms", NamePrefix+"remote-alarms", "gcguard alarms raised in forwarder regions", AlarmPattern(cfg.HomeRegion), map[string]*string{
		"alarm": jsii.String("$.detail.alarmName"), "region": jsii.String("$.region"), "reason": jsii.String("$.detail.state.reason"), "time": jsii.String("$.time"),
	}, `"[gcguard] ALARM <alarm> in <region> at <time> (UTC): <reason>"`)
}

// logSource wires the optional CloudWatch Logs source for IAM events. A log
// group allows only two subscription filters, so one filter feeds
// functions/logsource: an engine running every global rule (the engine
// decodes CloudWatch Logs deliveries itself), with their permissions.
func (h *HubStack) logSource(p HubProps, newFn func(string, []Grant, map[string]string, awscdk.Duration) *Function, stateGrants []Grant) {
	cfg := p.Config
	var grants []Grant
	for _, def := range p.Registry.All() {
		if def.Spec.Scope == guardrail.ScopeGlobal {
			grants = append(grants, SpecGrants(def.Spec, cfg.Partition, cfg.Account, cfg.WorkloadRegions)...)
		}
	}
	f := newFn(FnLogSource, append(mergeGrants(grants), stateGrants...), nil, nil)
	group := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", cfg.Partition, cfg.HomeRegion, cfg.Account, cfg.CloudTrailLogs)
	perm := awslambda.NewCfnPermission(h.Stack, jsii.String("LogSourceInvoke"), &awslambda.CfnPermissionProps{
		Action: jsii.String("lambda:InvokeFunction"), FunctionName: f.Fn.FunctionArn(),
		Principal: jsii.String("logs.amazonaws.com"), SourceArn: jsii.String(group), SourceAccount: h.Stack.Account(),
	})
	filter := awslogs.NewCfnSubscriptionFilter(h.Stack, jsii.String("LogSourceFilter"), &awslogs.CfnSubscriptionFilterProps{
		LogGroupName:   jsii.String(cfg.CloudTrailLogs),
		DestinationArn: f.Fn.FunctionArn(),
		FilterPattern:  jsii.String(`{ ($.eventSource = "iam.amazonaws.com") || ($.eventName = "*AccountPublicAccessBlock") }`),
	})
	filter.Node().AddDependency(perm)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func tags(cfg *deployconfig.File) *map[string]*string {
	t := map[string]*string{"gcguard": jsii.String("true")}
	for k, v := range cfg.Tags {
		t[k] = jsii.String(v)
	}
	return &t
}

func retentionDays(days int) awslogs.RetentionDays {
	m := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	if r, ok := m[days]; ok {
		return r
	}
	return awslogs.RetentionDays_ONE_YEAR
}

// RuntimeVariables are the variables functions read: every name
// config.FromEnv asks for.
func RuntimeVariables() []string {
	seen := map[string]bool{}
	_, _ = config.FromEnv(func(k string) string { seen[k] = true; return "" }, nil)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// revertWrites are the writes a revert makes, as IAM actions: the rules'
// Revert functions restore a role's trust, an access key's status, a
// bucket's policy, encryption, Block Public Access, ownership and ACL, and
// the account's Block Public Access (the Delete* APIs of the last four map
// to these Put* actions).
var revertWrites = []string{
	"iam:UpdateAssumeRolePolicy", "iam:UpdateAccessKey",
	"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
	"s3:PutBucketOwnershipControls", "s3:PutBucketAcl", "s3:PutAccountPublicAccessBlock",
}

// RevertGrants are the revert role's permissions: the rules' reads (to
// show the live → restored diff and refuse a later change) and only the
// writes a revert makes, on the rules' declared resources; the audit
// table, MAC key, topic and exemptions parameter.
func (h *HubStack) RevertGrants(p HubProps) []Grant {
	cfg := p.Config
	var out []Grant
	for _, def := range p.Registry.All() {
		for _, g := range SpecGrants(def.Spec, cfg.Partition, cfg.Account, cfg.WorkloadRegions) {
			var keep []string
			for _, a := range g.Actions {
				if ReadOnly(a) || slices.Contains(revertWrites, a) {
					keep = append(keep, a)
				}
			}
			if len(keep) > 0 {
				g.Actions = keep
				out = append(out, g)
			}
		}
	}
	s := h.State
	out = mergeGrants(out)
	out = append(out,
		Grant{Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
			Resources: []*string{s.Table.TableArn(), jsii.String(*s.Table.TableArn() + "/index/*")},
			Why:       "the audit table's by-id index (index names are part of the table's schema)"},
		Grant{Actions: MacActions, Resources: []*string{s.MacKey.KeyArn()}},
		Grant{Actions: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resources: []*string{h.DataKey.KeyArn()}},
		Grant{Actions: []string{"sns:Publish"}, Resources: []*string{s.Topic.TopicArn()}},
		Grant{Actions: []string{"ssm:GetParameter", "ssm:PutParameter"}, Resources: []*string{s.Exemptions.ParameterArn()}},
	)
	return out
}

// revertRole is assumable by the configured allowed principals (the SSO
// administrators' roles; by default every SSO role of the account) and the
// break-glass role. It is not on the loop guard's list: a revert places a
// hold instead, so an operator's revert stays visible to gcguard.
func (h *HubStack) revertRole(p HubProps) awsiam.Role {
	cfg := p.Config
	who := append([]string{}, cfg.AllowedPrincipals...)
	if len(who) == 0 {
		who = []string{fmt.Sprintf("arn:%s:iam::%s:role/aws-reserved/sso.amazonaws.com/*", cfg.Partition, cfg.Account)}
	}
	if cfg.BreakGlassRoleARN != "" {
		who = append(who, cfg.BreakGlassRoleARN)
	}
	doc := awsiam.NewPolicyDocument(nil)
	var applies []any
	var reasons []string
	for _, g := range h.RevertGrants(p) {
		doc.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(g.Actions...), Resources: &g.Resources}))
		if a, why := wildcardSuppressions(g); len(a) > 0 {
			applies = append(applies, a...)
			if !slices.Contains(reasons, why) {
				reasons = append(reasons, why)
			}
		}
	}
	role := awsiam.NewRole(h.Stack, jsii.String("RevertRole"), &awsiam.RoleProps{
		RoleName:           jsii.String(RevertRoleName),
		Description:        jsii.String("gcguard revert and exempt: restores what gcguard changed, signs exemptions"),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		AssumedBy: awsiam.NewAccountPrincipal(jsii.String(cfg.Account)).WithConditions(&map[string]any{
			"ArnLike": map[string]any{"aws:PrincipalArn": who},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"revert": doc},
	})
	if len(applies) > 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Wildcards only where IAM has nothing narrower: " + strings.Join(reasons, "; ") + "."),
			AppliesTo: &applies,
		}}, jsii.Bool(true))
	}
	return role
}

// Output keys of the hub stack (gcguard's CLI reads them).
const (
	OutAuditTable = "AuditTableName"
	OutTopic      = "TopicArn"
	OutMacKey     = "MacKeyArn"
	OutExemptions = "ExemptionsParameterName"
	OutRevertRole = "RevertRoleArn"
	OutS3Key      = "S3KeyArn"
	OutVersion    = "Version"
)

func (h *HubStack) outputs() {
	out := func(key string, v *string) {
		awscdk.NewCfnOutput(h.Stack, jsii.String(key), &awscdk.CfnOutputProps{Key: jsii.String(key), Value: v})
	}
	out(OutAuditTable, h.State.Table.TableName())
	out(OutTopic, h.State.Topic.TopicArn())
	out(OutMacKey, h.State.MacKey.KeyArn())
	out(OutExemptions, jsii.String(ExemptionsParamName))
	out(OutRevertRole, h.RevertRole.RoleArn())
	out(OutS3Key, h.S3Key.KeyArn())
	out(OutVersion, jsii.String(Version))
}

func (h *HubStack) expect(name string, targets ...*string) {
	h.expected = append(h.expected, ExpectedRule{Region: *h.Stack.Region(), Name: name, Targets: targets})
}

// SelfCheckInput is what the self-check's schedule hands it: every rule
// and function the deployment expects (schedule input, not environment:
// Lambda environments are limited to 4 KB).
type SelfCheckInput struct {
	Rules     []ExpectedRule `json:"rules"`
	Functions []string       `json:"functions"`
}

// selfCheck is the second path behind self-protection: EventBridge
// Scheduler (not an EventBridge rule, so disabling gcguard's rules does not
// stop it) runs functions/selfcheck every canary period, which checks that
// every gcguard rule is enabled with its targets and every function exists
// and is not throttled to zero. An alarm notices when the check itself
// stops running.
func (h *HubStack) selfCheck(p HubProps, newFn func(string, []Grant, map[string]string, awscdk.Duration) *Function) {
	cfg := p.Config
	regions := []string{cfg.HomeRegion}
	regions = append(regions, cfg.ForwarderRegions()...)
	var ruleARNs []*string
	for _, r := range regions {
		ruleARNs = append(ruleARNs, jsii.String(fmt.Sprintf("arn:%s:events:%s:%s:rule/%s*", cfg.Partition, r, cfg.Account, NamePrefix)))
	}
	grants := []Grant{
		{Actions: []string{"events:DescribeRule", "events:ListTargetsByRule"}, Resources: ruleARNs, Why: "gcguard's rules, by name prefix, in every region it deploys to"},
		{Actions: []string{"lambda:GetFunctionConfiguration", "lambda:GetFunctionConcurrency"},
			Resources: []*string{jsii.String(fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s*", cfg.Partition, cfg.HomeRegion, cfg.Account, NamePrefix))},
			Why:       "gcguard's functions, by name prefix"},
		{Actions: []string{"sns:Publish"}, Resources: []*string{h.State.Topic.TopicArn()}},
		{Actions: MacActions, Resources: []*string{h.State.MacKey.KeyArn()}},
	}
	f := newFn(FnSelfCheck, grants, nil, nil)
	in := SelfCheckInput{Rules: append([]ExpectedRule{}, h.expected...), Functions: []string{}}
	for _, region := range cfg.ForwarderRegions() {
		in.Rules = append(in.Rules, p.RemoteRules[region]...)
	}
	for _, fn := range p.Functions {
		in.Functions = append(in.Functions, FunctionName(fn))
	}
	input, _ := json.Marshal(in)
	fnARN := FunctionARN(cfg.Partition, cfg.HomeRegion, cfg.Account, FnSelfCheck)
	role := awsiam.NewRole(h.Stack, jsii.String("SelfCheckSchedulerRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(NamePrefix + "selfcheck-schedule"),
		Description: jsii.String("gcguard self-check: EventBridge Scheduler invokes the self-check function"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": cfg.Account}},
		}),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"invoke": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("lambda:InvokeFunction"), Resources: jsii.Strings(fnARN),
			})},
		})},
	})
	period := cfg.Canary.PeriodHours
	awsscheduler.NewCfnSchedule(h.Stack, jsii.String("SelfCheckSchedule"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(FunctionName(FnSelfCheck)),
		Description:        jsii.String("gcguard self-check: are gcguard's rules and functions intact?"),
		ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d hour%s)", period, plural(period))),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn: jsii.String(fnARN), RoleArn: role.RoleArn(), Input: jsii.String(string(input)),
		},
	}).Node().AddDependency(f.Fn)
	alarm := awscloudwatch.NewAlarm(h.Stack, jsii.String("SelfCheckMissed"), &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(NamePrefix + "selfcheck-missed"),
		AlarmDescription: jsii.String("gcguard's self-check did not run: its schedule gcguard-selfcheck was disabled or deleted, or the function cannot be invoked. Redeploy gcguard (make deploy)."),
		Metric: f.Fn.MetricInvocations(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Hours(jsii.Number(float64(period))), Statistic: jsii.String("Sum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(h.State.Topic))
}
