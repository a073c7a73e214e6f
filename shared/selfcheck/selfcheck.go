// Package selfcheck is the second path behind self-protection: on a
// schedule, it checks that every EventBridge rule and function of the
// deployment is still there and working (a rule disabled, deleted or
// retargeted, a function deleted or throttled to zero concurrency), and
// publishes one critical notice naming every problem. Self-protection's own
// rules can be disabled; this check runs from EventBridge Scheduler, which
// they do not control, and an alarm watches that it runs.
package selfcheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// Rule is one EventBridge rule the deployment expects, enabled, with
// exactly these target ARNs.
type Rule struct {
	Region  string   `json:"region"`
	Name    string   `json:"name"`
	Targets []string `json:"targets"`
}

// Input is what the schedule passes (gcinfra.SelfCheckInput).
type Input struct {
	Rules     []Rule   `json:"rules"`
	Functions []string `json:"functions"`
}

// EventsAPI is the part of EventBridge the check reads.
type EventsAPI interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// LambdaAPI is the part of Lambda the check reads.
type LambdaAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	GetFunctionConcurrency(ctx context.Context, in *lambda.GetFunctionConcurrencyInput, optFns ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
}

// Publisher sends the notice (notify.Publisher).
type Publisher interface {
	Publish(ctx context.Context, n *notify.Notice) error
}

// Checker runs one check.
type Checker struct {
	Events  func(region string) EventsAPI // a client per region
	Lambda  LambdaAPI
	Publish Publisher
	Account string
	Region  string // home region
	Now     func() time.Time
}

// Problem is one thing found wrong.
type Problem struct {
	Region, Resource, What string
}

func (p Problem) String() string { return p.Region + " " + p.Resource + ": " + p.What }

// Check inspects everything in the input and returns what is wrong. An
// error means the check itself could not look (it is then a problem too:
// a role stripped of its reads must not look like a clean bill of health).
func (c *Checker) Check(ctx context.Context, in Input) []Problem {
	var out []Problem
	for _, r := range in.Rules {
		out = append(out, c.rule(ctx, r)...)
	}
	for _, fn := range in.Functions {
		out = append(out, c.function(ctx, fn)...)
	}
	return out
}

func (c *Checker) rule(ctx context.Context, r Rule) []Problem {
	bad := func(what string) []Problem { return []Problem{{r.Region, "rule " + r.Name, what}} }
	api := c.Events(r.Region)
	d, err := api.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(r.Name)})
	var nf *ebtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return bad("deleted")
	case err != nil:
		return bad("cannot be read: " + err.Error())
	case d.State != ebtypes.RuleStateEnabled:
		return bad("state " + string(d.State) + ", want ENABLED")
	}
	var got []string
	var next *string
	for {
		t, err := api.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(r.Name), NextToken: next})
		if err != nil {
			return bad("targets cannot be read: " + err.Error())
		}
		for _, tg := range t.Targets {
			got = append(got, aws.ToString(tg.Arn))
		}
		if next = t.NextToken; next == nil {
			break
		}
	}
	want := slices.Clone(r.Targets)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return bad(fmt.Sprintf("targets %v, want %v", got, want))
	}
	return nil
}

func (c *Checker) function(ctx context.Context, name string) []Problem {
	bad := func(what string) []Problem { return []Problem{{c.Region, "function " + name, what}} }
	f, err := c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	var nf *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return bad("deleted")
	case err != nil:
		return bad("cannot be read: " + err.Error())
	case f.State == lambdatypes.StateFailed || f.State == lambdatypes.StateInactive:
		return bad("state " + string(f.State))
	}
	cc, err := c.Lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	switch {
	case err != nil:
		return bad("concurrency cannot be read: " + err.Error())
	case cc.ReservedConcurrentExecutions != nil && *cc.ReservedConcurrentExecutions == 0:
		return bad("reserved concurrency 0: every invocation is throttled")
	}
	return nil
}

// Run checks and, when anything is wrong, publishes one critical notice.
func (c *Checker) Run(ctx context.Context, in Input) ([]Problem, error) {
	if len(in.Rules) == 0 && len(in.Functions) == 0 {
		return nil, errors.New("self-check input names no rules and no functions: the schedule's input was changed")
	}
	problems := c.Check(ctx, in)
	if len(problems) == 0 {
		return nil, nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	n := &notify.Notice{
		Rule: "selfcheck", Mode: "notify", Severity: notify.Critical, Outcome: finding.Failed,
		Account: c.Account, Region: c.Region, EventName: "SelfCheck", EventTime: now().UTC(),
		Resource: "gcguard", Kind: "gcguard", Name: "gcguard",
		Reason: "gcguard is not intact; if this was not a gcguard deployment, investigate and redeploy gcguard (make deploy):\n" +
			strings.Join(lines, "\n"),
	}
	if err := c.Publish.Publish(ctx, n); err != nil {
		return problems, fmt.Errorf("publish the self-check notice (%d problems): %w", len(problems), err)
	}
	return problems, nil
}
