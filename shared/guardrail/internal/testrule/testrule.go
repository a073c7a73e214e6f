// Package testrule is a small rule that exists only to exercise the engine
// end to end: it removes the tag "forbidden" from IAM users when a TagUser
// call adds it.
package testrule

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// Name of the test rule.
const Name = "testtag"

// ForbiddenTag is the tag key the rule removes.
const ForbiddenTag = "forbidden"

// Violation is the rule's own code (not part of the product vocabulary).
const Violation finding.Code = "test_tag_forbidden"

// Spec of the test rule.
var Spec = guardrail.Spec{
	Name:        Name,
	Summary:     "test rule: remove the tag 'forbidden' from IAM users",
	DefaultMode: config.Enforce,
	Scope:       guardrail.ScopeGlobal,
	Triggers:    []guardrail.Trigger{{Source: "aws.iam", EventNames: []string{"TagUser"}}},
	Permissions: []guardrail.Permission{{
		Actions:   []string{"iam:ListUserTags", "iam:UntagUser", "iam:TagUser"},
		Resources: []string{"arn:${Partition}:iam::${Account}:user/*"},
	}},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: Spec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return &Rule{IAM: iam.NewFromConfig(d.AWS)}, nil
	}})
}

// API is the part of IAM the rule uses.
type API interface {
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	UntagUser(ctx context.Context, in *iam.UntagUserInput, optFns ...func(*iam.Options)) (*iam.UntagUserOutput, error)
	TagUser(ctx context.Context, in *iam.TagUserInput, optFns ...func(*iam.Options)) (*iam.TagUserOutput, error)
}

// Rule is the test rule.
type Rule struct{ IAM API }

// Spec implements guardrail.Rule.
func (*Rule) Spec() guardrail.Spec { return Spec }

// Match names the user.
func (*Rule) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	user := ev.Param("userName")
	if user == "" {
		return guardrail.Target{}, fmt.Errorf("TagUser event names no user")
	}
	return guardrail.Target{Kind: "user", User: user, ARN: "arn:aws:iam::" + ev.Account + ":user/" + user}, nil
}

// Observe reads the user's tags.
func (r *Rule) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	out, err := r.IAM.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(t.User)})
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", t.User, err)
	}
	tags := map[string]string{}
	for _, tg := range out.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return tags, nil
}

// Plan removes the forbidden tag.
func (r *Rule) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	tags, _ := in.State.(map[string]string)
	v, ok := tags[ForbiddenTag]
	if !ok {
		return guardrail.Plan{}, nil
	}
	return guardrail.Plan{
		Violations: []finding.Code{Violation},
		Actions:    []string{"remove tag " + ForbiddenTag + " from " + in.Target.User},
		Before:     ForbiddenTag + "=" + v,
		After:      "no tag " + ForbiddenTag,
		Prior:      guardrail.JSON(map[string]string{ForbiddenTag: v}),
		Desired:    guardrail.JSON(map[string]string{}),
	}, nil
}

// Apply removes the tag.
func (r *Rule) Apply(ctx context.Context, t guardrail.Target, _ *guardrail.Plan) error {
	_, err := r.IAM.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(t.User), TagKeys: []string{ForbiddenTag}})
	return err
}

// Revert puts the tag back.
func (r *Rule) Revert(ctx context.Context, rec *audit.Record) (string, error) {
	var t guardrail.Target
	var prior map[string]string
	if err := jsonUnmarshal(rec.Target, &t); err != nil {
		return "", err
	}
	if err := jsonUnmarshal(rec.Before, &prior); err != nil {
		return "", err
	}
	_, err := r.IAM.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(t.User), Tags: []types.Tag{{Key: aws.String(ForbiddenTag), Value: aws.String(prior[ForbiddenTag])}}})
	if err != nil {
		return "", err
	}
	return "tag restored", nil
}

// Snapshot puts live state in the shape of Plan.Desired.
func (r *Rule) Snapshot(s guardrail.State) json.RawMessage {
	tags, _ := s.(map[string]string)
	out := map[string]string{}
	if v, ok := tags[ForbiddenTag]; ok {
		out[ForbiddenTag] = v
	}
	return guardrail.JSON(out)
}
