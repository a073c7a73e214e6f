package iamrules

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// IAMUserAPI is the part of the IAM client the iamuser rule uses.
type IAMUserAPI interface {
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, optFns ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	UserLister
}

var _ IAMUserAPI = (*iam.Client)(nil)

// IAMUserSpec: IAM users are prohibited under GCAS (people sign in through
// IAM Identity Center). The rule tells; configured, it also removes console
// passwords.
var IAMUserSpec = guardrail.Spec{
	Name:        "iamuser",
	Summary:     "report new IAM users and console passwords; optionally delete the login profile",
	DefaultMode: config.Notify,
	Scope:       guardrail.ScopeGlobal,
	Triggers:    []guardrail.Trigger{{Source: "aws.iam", EventNames: []string{"CreateUser", "CreateLoginProfile"}}},
	Permissions: []guardrail.Permission{
		{Actions: []string{"iam:GetUser", "iam:GetLoginProfile", "iam:DeleteLoginProfile"},
			Resources: []string{"arn:${Partition}:iam::${Account}:user/*"}},
		// ListUsers (the sweep) has no resource-level permission.
		{Actions: []string{"iam:ListUsers"}, Resources: []string{"*"}},
	},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: IAMUserSpec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return &IAMUser{IAM: iam.NewFromConfig(d.AWS)}, nil
	}})
}

// IAMUser is the iamuser rule.
type IAMUser struct{ IAM IAMUserAPI }

// Target kinds of this rule.
const (
	KindUser         = "user"
	KindLoginProfile = "login_profile"
)

// Spec implements guardrail.Rule.
func (*IAMUser) Spec() guardrail.Spec { return IAMUserSpec }

// Match names the user.
func (*IAMUser) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	t := guardrail.Target{Kind: KindUser}
	if ev.Detail.EventName == "CreateLoginProfile" {
		t.Kind = KindLoginProfile
	}
	t.User = ruleutil.FirstNonEmpty(ev.Param("userName"), ev.Response("user.userName"), ev.Response("loginProfile.userName"))
	if t.User == "" && ev.Detail.UserIdentity.Type == "IAMUser" {
		t.User = ev.Detail.UserIdentity.UserName
	}
	if t.User == "" {
		return t, errors.New("the event names no IAM user")
	}
	t.ARN = ruleutil.FirstNonEmpty(ev.Response("user.arn"), fmt.Sprintf("arn:%s:iam::%s:user/%s", ruleutil.PartitionOf(ev), ev.Account, t.User))
	return t, nil
}

// IAMUserState is what IAM says now.
type IAMUserState struct {
	UserARN      string `json:"user_arn"`
	LoginProfile bool   `json:"login_profile"`
}

// Resolve gives the target the user's exact ARN.
func (s *IAMUserState) Resolve(t guardrail.Target) guardrail.Target {
	if s.UserARN != "" {
		t.ARN = s.UserARN
	}
	return t
}

// Observe reads the user and whether it has a console password.
func (r *IAMUser) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	u, err := r.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(t.User)})
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", t.User, err)
	}
	st := &IAMUserState{UserARN: aws.ToString(u.User.Arn)}
	_, err = r.IAM.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(t.User)})
	switch {
	case err == nil:
		st.LoginProfile = true
	case awsapi.IsNotFound(err):
		if t.Kind == KindLoginProfile {
			return nil, fmt.Errorf("login profile of %s: %w", t.User, awsapi.ErrGone)
		}
	default:
		return nil, fmt.Errorf("read login profile of %s: %w", t.User, err)
	}
	return st, nil
}

type deleteLoginProfile struct{}

// Plan: a user is reported; a login profile is deleted only when configured.
func (r *IAMUser) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	st, ok := in.State.(*IAMUserState)
	if !ok {
		return guardrail.Plan{}, fmt.Errorf("iamuser: unexpected state %T", in.State)
	}
	t := in.Target
	if t.Kind == KindUser {
		return guardrail.Plan{
			Violations: []finding.Code{finding.IAMUserCreated},
			Findings:   []finding.Finding{{Statement: -1, Code: string(finding.IAMUserCreated), Reason: "IAM user " + t.User + " exists; GCAS accounts use IAM Identity Center instead"}},
			Before:     fmt.Sprintf("IAM user %s (console password: %t)", t.User, st.LoginProfile),
			ReportOnly: "GCAS accounts sign in through IAM Identity Center and need no IAM users: delete the user, or record its approval as an exemption",
		}, nil
	}
	if !st.LoginProfile {
		return guardrail.Plan{}, nil
	}
	p := guardrail.Plan{
		Violations:   []finding.Code{finding.LoginProfileCreated},
		Findings:     []finding.Finding{{Statement: -1, Code: string(finding.LoginProfileCreated), Reason: "IAM user " + t.User + " has a console password"}},
		Before:       "IAM user " + t.User + ": console password set",
		After:        "IAM user " + t.User + ": no console password",
		Actions:      []string{"delete the console password (login profile) of IAM user " + t.User},
		Prior:        guardrail.JSON(map[string]any{"user": t.User, "login_profile": true}),
		Desired:      guardrail.JSON(map[string]any{"user": t.User, "login_profile": false}),
		Irreversible: "a deleted console password cannot be restored; an administrator can set a new one",
		Change:       deleteLoginProfile{},
	}
	if !in.Config.DeleteLoginProf {
		p.ReportOnly = "configured to report console passwords, not delete them (" + config.EnvDeleteLoginProf + ")"
	}
	return p, nil
}

// Apply deletes the login profile.
func (r *IAMUser) Apply(ctx context.Context, t guardrail.Target, p *guardrail.Plan) error {
	if _, ok := p.Change.(deleteLoginProfile); !ok {
		return fmt.Errorf("iamuser: unexpected change %T", p.Change)
	}
	_, err := r.IAM.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(t.User)})
	if err != nil {
		return fmt.Errorf("delete login profile of %s: %w", t.User, err)
	}
	return nil
}

// Explain judges the event alone.
func (*IAMUser) Explain(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) guardrail.Explanation {
	if t.Kind == KindUser {
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.IAMUserCreated},
			Reason: "IAM user " + t.User + " was created: GCAS accounts sign in through IAM Identity Center and need no IAM users; gcguard reports it"}
	}
	what := "reports it"
	if cfg.DeleteLoginProf {
		what = "deletes the console password"
	}
	return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.LoginProfileCreated},
		Reason: "IAM user " + t.User + " got a console password: gcguard " + what}
}

// List yields every IAM user for the sweep; the engine reads each one.
func (r *IAMUser) List(ctx context.Context, after string, fn func(guardrail.Item) error) error {
	users, err := listUsers(ctx, r.IAM)
	if err != nil {
		return err
	}
	for _, u := range users {
		name := aws.ToString(u.UserName)
		if name <= after {
			continue
		}
		it := guardrail.Item{
			Target:  guardrail.Target{Kind: KindUser, ARN: aws.ToString(u.Arn), User: name},
			Created: aws.ToTime(u.CreateDate),
			Key:     name,
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
