// Package guardrail is gcguard's engine: the rule contract, the registry the
// functions and the CDK app read, and the runner that takes one event through
// match → lease → observe → plan → audit → apply or report → audit → notice.
package guardrail

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
)

// Scope says on which region's bus a rule's events first appear.
type Scope string

const (
	// ScopeGlobal: IAM and account-level events, seen on us-east-1's bus only
	// and forwarded from there to the hub.
	ScopeGlobal Scope = "global"
	// ScopeRegional: S3 bucket events, seen in the bucket's region and
	// forwarded from each workload region to the hub.
	ScopeRegional Scope = "regional"
)

// Trigger is one EventBridge source and the CloudTrail event names that make
// a rule look at a resource.
type Trigger struct {
	Source     string   // aws.iam, aws.s3
	EventNames []string // CreateAccessKey, ...
}

// Permission is what a rule's function may call, on which resources.
// Resource templates use ${Partition}, ${Account} and ${Region}.
type Permission struct {
	Actions   []string
	Resources []string
}

// Spec is a rule's metadata. The functions, the CLI and the CDK app all read
// it: the CDK app builds event patterns and least-privilege roles from it.
type Spec struct {
	Name        string
	Summary     string
	DefaultMode config.Mode
	Scope       Scope
	Triggers    []Trigger
	Permissions []Permission
}

// EventSources are the CloudTrail eventSource values per EventBridge source.
var EventSources = map[string]string{
	"aws.iam": "iam.amazonaws.com",
	"aws.s3":  "s3.amazonaws.com",
	"aws.sts": "sts.amazonaws.com",
}

// Patterns are the EventBridge event patterns, one per trigger. They match
// on fields every CloudTrail record has; finer filtering (errorCode, own
// roles, UpdateAccessKey status) happens in code, because a pattern on a
// field that some events lack silently drops those events.
func (s Spec) Patterns() []Pattern {
	out := make([]Pattern, 0, len(s.Triggers))
	for _, t := range s.Triggers {
		out = append(out, Pattern{
			"source":      []any{t.Source},
			"detail-type": []any{cloudtrail.DetailType},
			"detail": map[string]any{
				"eventSource": []any{EventSources[t.Source]},
				"eventName":   toAny(t.EventNames),
			},
		})
	}
	return out
}

// Handles reports whether the event is one of the rule's triggers.
func (s Spec) Handles(ev *cloudtrail.Event) bool {
	for _, t := range s.Triggers {
		if t.Source == ev.Source && slices.Contains(t.EventNames, ev.Detail.EventName) {
			return true
		}
	}
	return false
}

// EventNames lists every trigger event name.
func (s Spec) EventNames() []string {
	var out []string
	for _, t := range s.Triggers {
		out = append(out, t.EventNames...)
	}
	return out
}

// Resources renders the permission's resource templates for one account.
func (p Permission) Render(partition, account, region string) []string {
	r := strings.NewReplacer("${Partition}", partition, "${Account}", account, "${Region}", region)
	out := make([]string, len(p.Resources))
	for i, t := range p.Resources {
		out[i] = r.Replace(t)
	}
	return out
}

// Validate checks what every rule must declare.
func (s Spec) Validate() error {
	var problems []string
	if s.Name == "" || strings.ToLower(s.Name) != s.Name || strings.ContainsAny(s.Name, " _=,") {
		problems = append(problems, fmt.Sprintf("name %q must be lower-case letters and digits", s.Name))
	}
	if _, err := config.ParseMode(string(s.DefaultMode)); err != nil {
		problems = append(problems, "default mode: "+err.Error())
	}
	if s.Scope != ScopeGlobal && s.Scope != ScopeRegional {
		problems = append(problems, fmt.Sprintf("scope %q is not global or regional", s.Scope))
	}
	if len(s.Triggers) == 0 {
		problems = append(problems, "no triggers")
	}
	for _, t := range s.Triggers {
		if _, ok := EventSources[t.Source]; !ok || len(t.EventNames) == 0 {
			problems = append(problems, fmt.Sprintf("trigger %q needs a known source and event names", t.Source))
		}
	}
	if len(s.Permissions) == 0 {
		problems = append(problems, "declares no permissions")
	}
	for _, p := range s.Permissions {
		if len(p.Actions) == 0 || len(p.Resources) == 0 {
			problems = append(problems, "a permission needs actions and resources")
		}
		for _, a := range p.Actions {
			if strings.ContainsAny(a, "*?") {
				problems = append(problems, fmt.Sprintf("action %q is a wildcard", a))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("rule %s: %s", s.Name, strings.Join(problems, "; "))
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// EnginePermissions are what every rule function needs beyond its rule's
// own, apart from the resources the stack itself creates (audit table,
// topic, exemptions parameter, keys), which the CDK app grants by ARN.
// DescribeStackResources takes no resource-level permission.
var EnginePermissions = []Permission{
	{Actions: []string{"cloudformation:DescribeStackResources"}, Resources: []string{"*"}},
}
