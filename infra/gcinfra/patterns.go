package gcinfra

import (
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// Protected is one kind of gcguard resource self-protection watches.
// Broad matches every change of that kind (a self-protection function
// filters in code); Narrow adds the resource-name filter and leaves out
// CloudFormation and failed calls, for delivery straight to the topic.
type Protected struct {
	Name   string
	Where  string // WhereHub, WhereUSEast1, WhereEveryRegion
	Broad  guardrail.Pattern
	Narrow guardrail.Pattern
}

// Where a protected kind's events first appear.
const (
	WhereHub         = "hub"          // home-region resources: functions, exemptions parameter
	WhereUSEast1     = "us-east-1"    // IAM roles
	WhereEveryRegion = "every-region" // EventBridge rules: hub and forwarders
	WhereWorkload    = "workload"     // KMS keys: hub and the other workload regions
)

// notCloudFormation matches events not made by CloudFormation, including
// those with no invokedBy at all (an anything-but alone never matches a field
// an event lacks).
func notCloudFormation() []any {
	return []any{
		map[string]any{"userIdentity": map[string]any{"invokedBy": []any{map[string]any{"exists": false}}}},
		map[string]any{"userIdentity": map[string]any{"invokedBy": []any{map[string]any{"anything-but": "cloudformation.amazonaws.com"}}}},
	}
}

func cloudTrailPattern(source, eventSource string, names []any, narrow map[string]any) (broad, nar guardrail.Pattern) {
	broad = guardrail.Pattern{
		"source":      []any{source},
		"detail-type": []any{cloudtrail.DetailType},
		"detail":      map[string]any{"eventSource": []any{eventSource}, "eventName": names},
	}
	detail := map[string]any{
		"eventSource": []any{eventSource},
		"eventName":   names,
		"errorCode":   []any{map[string]any{"exists": false}},
		"$or":         notCloudFormation(),
	}
	for k, v := range narrow {
		detail[k] = v
	}
	nar = guardrail.Pattern{"source": []any{source}, "detail-type": []any{cloudtrail.DetailType}, "detail": detail}
	return broad, nar
}

func prefixes(ps ...string) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"prefix": p}
	}
	return out
}

func strs(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ProtectedKinds are the gcguard resources self-protection watches; keyARNs
// are gcguard's KMS keys (the narrow key pattern names them).
// Lambda's CloudTrail event names carry API versions
// (UpdateFunctionConfiguration20150331v2), hence prefixes.
func ProtectedKinds(keyARNs ...string) []Protected {
	own := []any{map[string]any{"prefix": NamePrefix}}
	var out []Protected
	b, n := cloudTrailPattern("aws.lambda", "lambda.amazonaws.com",
		prefixes("UpdateFunction", "DeleteFunction", "PutFunction", "AddPermission", "RemovePermission", "PublishVersion", "CreateAlias", "UpdateAlias", "DeleteAlias"),
		map[string]any{"requestParameters": map[string]any{"functionName": []any{
			map[string]any{"prefix": NamePrefix}, map[string]any{"wildcard": "*:function:" + NamePrefix + "*"},
		}}})
	out = append(out, Protected{Name: "functions", Where: WhereHub, Broad: b, Narrow: n})
	b, n = cloudTrailPattern("aws.iam", "iam.amazonaws.com",
		strs("UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy",
			"PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "UpdateRole", "DeleteRole"),
		map[string]any{"requestParameters": map[string]any{"roleName": own}})
	out = append(out, Protected{Name: "roles", Where: WhereUSEast1, Broad: b, Narrow: n})
	b, n = cloudTrailPattern("aws.events", "events.amazonaws.com",
		strs("PutRule", "DeleteRule", "DisableRule", "EnableRule", "PutTargets", "RemoveTargets"),
		map[string]any{"requestParameters": map[string]any{"$or": []any{
			map[string]any{"name": own}, map[string]any{"rule": own},
		}}})
	out = append(out, Protected{Name: "rules", Where: WhereEveryRegion, Broad: b, Narrow: n})
	b, n = cloudTrailPattern("aws.ssm", "ssm.amazonaws.com",
		strs("PutParameter", "DeleteParameter", "DeleteParameters", "LabelParameterVersion"),
		map[string]any{"requestParameters": map[string]any{"$or": []any{
			map[string]any{"name": strs(ExemptionsParamName)}, map[string]any{"names": strs(ExemptionsParamName)},
		}}})
	out = append(out, Protected{Name: "exemptions", Where: WhereHub, Broad: b, Narrow: n})
	keys := []any{}
	for _, k := range keyARNs {
		keys = append(keys, k)
	}
	b, n = cloudTrailPattern("aws.kms", "kms.amazonaws.com",
		strs("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"),
		map[string]any{"resources": map[string]any{"ARN": keys}})
	out = append(out, Protected{Name: "keys", Where: WhereWorkload, Broad: b, Narrow: n})
	return append(out, PassedRoleKinds()...)
}

// OwnRoleWildcard matches the ARN of any gcguard role.
const OwnRoleWildcard = "arn:*:iam::*:role/" + NamePrefix + "*"

// PassedRoleKinds flag a gcguard role handed to anything but its own
// function: a new or reconfigured Lambda function, an instance profile (the
// way to an EC2 instance), an ECS task definition. CloudFormation deploying
// gcguard is left out like everywhere else. The role's mutating permissions
// work only from its own function (lambda:SourceFunctionArn), so this is
// the notice, not the defence. A reconfiguration of a gcguard function is
// already a "functions" change, so that kind leaves gcguard's names out
// (by name; by ARN both notices arrive).
func PassedRoleKinds() []Protected {
	role := []any{map[string]any{"wildcard": OwnRoleWildcard}}
	var out []Protected
	b, n := cloudTrailPattern("aws.lambda", "lambda.amazonaws.com", prefixes("CreateFunction"),
		map[string]any{"requestParameters": map[string]any{"role": role}})
	out = append(out, Protected{Name: "passrole-lambda", Where: WhereWorkload, Broad: b, Narrow: n})
	_, n = cloudTrailPattern("aws.lambda", "lambda.amazonaws.com", prefixes("UpdateFunctionConfiguration"),
		map[string]any{"requestParameters": map[string]any{
			"role":         role,
			"functionName": []any{map[string]any{"anything-but": map[string]any{"prefix": NamePrefix}}},
		}})
	// No broad pattern: the "functions" kind's broad pattern already sends
	// every UpdateFunction* call to the self-protection function.
	out = append(out, Protected{Name: "passrole-lambda-update", Where: WhereWorkload, Narrow: n})
	b, n = cloudTrailPattern("aws.iam", "iam.amazonaws.com", strs("AddRoleToInstanceProfile"),
		map[string]any{"requestParameters": map[string]any{"roleName": []any{map[string]any{"prefix": NamePrefix}}}})
	out = append(out, Protected{Name: "passrole-ec2", Where: WhereUSEast1, Broad: b, Narrow: n})
	b, n = cloudTrailPattern("aws.ecs", "ecs.amazonaws.com", strs("RegisterTaskDefinition"),
		map[string]any{"requestParameters": map[string]any{"$or": []any{
			map[string]any{"taskRoleArn": role}, map[string]any{"executionRoleArn": role},
		}}})
	out = append(out, Protected{Name: "passrole-ecs", Where: WhereWorkload, Broad: b, Narrow: n})
	return out
}

// Forwarded is what a forwarder sends of a protected kind.
func (k Protected) Forwarded() guardrail.Pattern {
	if k.Broad != nil {
		return k.Broad
	}
	return k.Narrow
}

// CanaryRoleName is the role the delivery canary tags.
const CanaryRoleName = NamePrefix + "canary"

// CanaryPattern matches the canary's TagRole call as it reaches the hub
// from the us-east-1 forwarder.
func CanaryPattern() guardrail.Pattern {
	return guardrail.Pattern{
		"source":      []any{"aws.iam"},
		"detail-type": []any{cloudtrail.DetailType},
		"detail": map[string]any{
			"eventSource":       []any{"iam.amazonaws.com"},
			"eventName":         []any{"TagRole"},
			"requestParameters": map[string]any{"roleName": []any{CanaryRoleName}},
		},
	}
}

// AlarmPattern matches gcguard's alarm state changes; a forwarder sends
// them to the hub, whose rule (excluding its own region, whose alarms
// publish directly) hands them to the topic.
func AlarmPattern(notRegion string) guardrail.Pattern {
	p := guardrail.Pattern{
		"source":      []any{"aws.cloudwatch"},
		"detail-type": []any{"CloudWatch Alarm State Change"},
		"detail": map[string]any{
			"alarmName": []any{map[string]any{"prefix": NamePrefix}},
		},
	}
	if notRegion != "" {
		p["region"] = []any{map[string]any{"anything-but": notRegion}}
		p["detail"].(map[string]any)["state"] = map[string]any{"value": []any{"ALARM"}}
	}
	return p
}
