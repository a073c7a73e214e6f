package iamrules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// AccessKeyAPI is the part of the IAM client the accesskey rule uses.
type AccessKeyAPI interface {
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	UserLister
}

var _ AccessKeyAPI = (*iam.Client)(nil)

// AccessKeySpec: new or reactivated access keys are removed (GCAS: no keys
// without the Digital Agency's case-by-case approval).
var AccessKeySpec = guardrail.Spec{
	Name:        "accesskey",
	Summary:     "delete new IAM access keys (or deactivate), deactivate reactivated ones; report root keys",
	DefaultMode: config.Enforce,
	Scope:       guardrail.ScopeGlobal,
	Triggers:    []guardrail.Trigger{{Source: "aws.iam", EventNames: []string{"CreateAccessKey", "UpdateAccessKey"}}},
	Permissions: []guardrail.Permission{
		{Actions: []string{"iam:GetUser", "iam:ListAccessKeys", "iam:DeleteAccessKey", "iam:UpdateAccessKey"},
			Resources: []string{"arn:${Partition}:iam::${Account}:user/*"}},
		// GetAccountSummary and ListUsers (the sweep) have no resource-level permission.
		{Actions: []string{"iam:GetAccountSummary", "iam:ListUsers"}, Resources: []string{"*"}},
	},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: AccessKeySpec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return &AccessKey{IAM: iam.NewFromConfig(d.AWS)}, nil
	}})
}

// AccessKey is the accesskey rule.
type AccessKey struct{ IAM AccessKeyAPI }

// Target kinds of this rule.
const (
	KindAccessKey     = "access_key"
	KindRootAccessKey = "root_access_key"
)

// Spec implements guardrail.Rule.
func (*AccessKey) Spec() guardrail.Spec { return AccessKeySpec }

// Match reads the key and its user. A user creating their own key sends no
// requestParameters.userName; the response names the user then.
func (*AccessKey) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	t := guardrail.Target{Kind: KindAccessKey}
	switch ev.Detail.EventName {
	case "CreateAccessKey":
		t.AccessKeyID = ev.Response("accessKey.accessKeyId")
		t.User = ruleutil.FirstNonEmpty(ev.Param("userName"), ev.Response("accessKey.userName"))
	case "UpdateAccessKey":
		if ev.Param("status") != string(types.StatusTypeActive) {
			return t, fmt.Errorf("%w: access key set to %q, not Active", guardrail.ErrIgnore, ev.Param("status"))
		}
		t.AccessKeyID = ev.Param("accessKeyId")
		t.User = ev.Param("userName")
	}
	if t.User == "" && ev.Detail.UserIdentity.Type == "Root" {
		t.Kind = KindRootAccessKey
		t.ARN = fmt.Sprintf("arn:%s:iam::%s:root", ruleutil.PartitionOf(ev), ev.Account)
		return t, nil
	}
	if t.User == "" && ev.Detail.UserIdentity.Type == "IAMUser" {
		t.User = ev.Detail.UserIdentity.UserName // a user acting on their own key
	}
	if t.User == "" {
		return t, errors.New("the event names no IAM user for the access key")
	}
	if t.AccessKeyID == "" && !ev.ParamsOmitted() {
		return t, errors.New("the event names no access key id")
	}
	t.ARN = fmt.Sprintf("arn:%s:iam::%s:user/%s", ruleutil.PartitionOf(ev), ev.Account, t.User)
	return t, nil
}

// AccessKeyState is what IAM says now.
type AccessKeyState struct {
	UserARN   string `json:"user_arn,omitempty"`
	Status    string `json:"status,omitempty"`     // the event's key: Active or Inactive
	RootKeys  int32  `json:"root_keys,omitempty"`  // root user's keys, for the root case
	OtherKeys int    `json:"other_keys,omitempty"` // the user's other keys, never touched

	user, keyID string // what was observed, for Snapshot
}

// Resolve gives the target the user's exact ARN (with its path), which is
// what exemptions name.
func (s *AccessKeyState) Resolve(t guardrail.Target) guardrail.Target {
	if s.UserARN != "" {
		t.ARN = s.UserARN
	}
	return t
}

// Observe lists the user's keys. A key the list does not show is gone
// (ErrGone), which the engine retries briefly: IAM may lag a fresh key.
func (r *AccessKey) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	if t.Kind == KindRootAccessKey {
		out, err := r.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			return nil, fmt.Errorf("read account summary: %w", err)
		}
		return &AccessKeyState{RootKeys: out.SummaryMap[string(types.SummaryKeyTypeAccountAccessKeysPresent)]}, nil
	}
	user, err := r.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(t.User)})
	if err != nil {
		return nil, fmt.Errorf("read user %s: %w", t.User, err)
	}
	st := &AccessKeyState{UserARN: aws.ToString(user.User.Arn), user: t.User, keyID: t.AccessKeyID}
	p := iam.NewListAccessKeysPaginator(r.IAM, &iam.ListAccessKeysInput{UserName: aws.String(t.User)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list access keys of %s: %w", t.User, err)
		}
		for _, k := range out.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) == t.AccessKeyID {
				st.Status = string(k.Status)
			} else {
				st.OtherKeys++
			}
		}
	}
	if t.AccessKeyID != "" && st.Status == "" {
		return nil, fmt.Errorf("access key %s of %s: %w", t.AccessKeyID, t.User, awsapi.ErrGone)
	}
	return st, nil
}

// accessKeyChange is what Apply does.
type accessKeyChange struct {
	Delete bool
}

// Plan decides from the key's live status alone, so a duplicate or
// out-of-order event plans nothing once the key is gone or inactive.
func (r *AccessKey) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	st, ok := in.State.(*AccessKeyState)
	if !ok {
		return guardrail.Plan{}, fmt.Errorf("accesskey: unexpected state %T", in.State)
	}
	t := in.Target
	if t.Kind == KindRootAccessKey {
		if st.RootKeys == 0 {
			return guardrail.Plan{}, nil
		}
		return guardrail.Plan{
			Violations: []finding.Code{finding.RootAccessKeyCreated},
			Findings:   []finding.Finding{{Statement: -1, Code: string(finding.RootAccessKeyCreated), Reason: "the root user has an access key"}},
			Before:     fmt.Sprintf("root user has %d access key(s)", st.RootKeys),
			ReportOnly: "only the root user can delete the root user's access keys: sign in as root, open Security credentials and delete the key",
			Critical:   true,
		}, nil
	}
	if t.AccessKeyID == "" {
		return guardrail.Plan{
			Violations: []finding.Code{finding.RequestParametersOmitted},
			Findings:   []finding.Finding{{Statement: -1, Code: string(finding.RequestParametersOmitted), Reason: "CloudTrail omitted the parameters: the key cannot be identified, so no key is touched"}},
			ReportOnly: "the event does not say which key; gcguard never touches another key of the user",
		}, nil
	}
	reactivated := in.Event != nil && in.Event.Detail.EventName == "UpdateAccessKey"
	code := finding.AccessKeyCreated
	if reactivated {
		code = finding.AccessKeyReactivated
	}
	deactivateOnly := reactivated || in.Config.AccessKeyAction == config.AccessKeyDeactivate
	if st.Status != string(types.StatusTypeActive) && (deactivateOnly || in.Event == nil) {
		return guardrail.Plan{}, nil // already inactive: nothing to do
	}
	key := fmt.Sprintf("access key %s of IAM user %s", t.AccessKeyID, t.User)
	p := guardrail.Plan{
		Violations: []finding.Code{code},
		Findings:   []finding.Finding{{Statement: -1, Code: string(code), Reason: key + " is " + st.Status}},
		Before:     fmt.Sprintf("%s: %s", key, st.Status),
		Prior:      guardrail.JSON(map[string]string{"user": t.User, "access_key_id": t.AccessKeyID, "status": st.Status}),
	}
	if deactivateOnly {
		p.Actions = []string{"deactivate " + key}
		p.After = key + ": Inactive"
		p.Desired = guardrail.JSON(map[string]string{"user": t.User, "access_key_id": t.AccessKeyID, "status": "Inactive"})
		p.Change = accessKeyChange{}
		return p, nil
	}
	p.Actions = []string{"delete " + key}
	p.After = key + ": deleted"
	p.Desired = guardrail.JSON(map[string]string{"user": t.User, "access_key_id": t.AccessKeyID, "status": "deleted"})
	p.Irreversible = "a deleted access key cannot be restored; if the key was approved, add an exemption and create a new key"
	p.Change = accessKeyChange{Delete: true}
	return p, nil
}

// Apply deletes or deactivates exactly the key in the target.
func (r *AccessKey) Apply(ctx context.Context, t guardrail.Target, p *guardrail.Plan) error {
	c, ok := p.Change.(accessKeyChange)
	if !ok {
		return fmt.Errorf("accesskey: unexpected change %T", p.Change)
	}
	if c.Delete {
		_, err := r.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(t.User), AccessKeyId: aws.String(t.AccessKeyID)})
		if awsapi.IsNotFound(err) {
			// Gone is what was wanted: a retried delete whose first response
			// was lost lands here, and so does a key someone else deleted.
			return nil
		}
		if err != nil {
			return fmt.Errorf("delete access key %s of %s: %w", t.AccessKeyID, t.User, err)
		}
		return nil
	}
	_, err := r.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(t.User), AccessKeyId: aws.String(t.AccessKeyID), Status: types.StatusTypeInactive})
	if err != nil {
		return fmt.Errorf("deactivate access key %s of %s: %w", t.AccessKeyID, t.User, err)
	}
	return nil
}

// Revert reactivates a deactivated key. A deleted key cannot come back.
func (r *AccessKey) Revert(ctx context.Context, rec *audit.Record) (string, error) {
	var t guardrail.Target
	if err := ruleutil.DecodeStored(rec.Target, &t); err != nil {
		return "", err
	}
	var after map[string]string
	if err := ruleutil.DecodeStored(rec.After, &after); err != nil {
		return "", err
	}
	if after["status"] == "deleted" {
		return "", fmt.Errorf("access key %s was deleted: IAM cannot restore a deleted key", t.AccessKeyID)
	}
	var before map[string]string
	if err := ruleutil.DecodeStored(rec.Before, &before); err != nil {
		return "", err
	}
	if !slices.Contains([]string{"Active", "Inactive"}, before["status"]) {
		return "", fmt.Errorf("audit record %s has no prior key status", rec.ID)
	}
	_, err := r.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(t.User), AccessKeyId: aws.String(t.AccessKeyID), Status: types.StatusType(before["status"])})
	if err != nil {
		return "", fmt.Errorf("set access key %s of %s back to %s: %w", t.AccessKeyID, t.User, before["status"], err)
	}
	return fmt.Sprintf("access key %s of %s set back to %s", t.AccessKeyID, t.User, before["status"]), nil
}

// Explain judges the event alone.
func (*AccessKey) Explain(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) guardrail.Explanation {
	switch {
	case t.Kind == KindRootAccessKey:
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.RootAccessKeyCreated},
			Reason: "the root user created an access key: only the root user can remove it; gcguard sends a critical notice"}
	case t.AccessKeyID == "":
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.RequestParametersOmitted},
			Reason: "CloudTrail omitted the parameters: gcguard reports and touches no key"}
	case ev.Detail.EventName == "UpdateAccessKey":
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.AccessKeyReactivated},
			Reason: fmt.Sprintf("access key %s of %s was set Active: gcguard deactivates it if it is still active", t.AccessKeyID, t.User)}
	}
	verb := "deletes"
	if cfg.AccessKeyAction == config.AccessKeyDeactivate {
		verb = "deactivates"
	}
	return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.AccessKeyCreated},
		Reason: fmt.Sprintf("access key %s was created for IAM user %s: gcguard %s exactly this key unless the user has an active exemption", t.AccessKeyID, t.User, verb)}
}

// List yields every access key of every IAM user, with its status, for the
// sweep. Root keys cannot be listed; the account summary shows them.
func (r *AccessKey) List(ctx context.Context, after string, fn func(guardrail.Item) error) error {
	users, err := listUsers(ctx, r.IAM)
	if err != nil {
		return err
	}
	for _, u := range users {
		name := aws.ToString(u.UserName)
		out, err := r.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u.UserName})
		if awsapi.IsNotFound(err) {
			continue // deleted while listing
		}
		if err != nil {
			return fmt.Errorf("list access keys of %s: %w", name, err)
		}
		for _, k := range out.AccessKeyMetadata {
			id := aws.ToString(k.AccessKeyId)
			key := name + "/" + id
			if key <= after {
				continue
			}
			st := &AccessKeyState{UserARN: aws.ToString(u.Arn), Status: string(k.Status), OtherKeys: len(out.AccessKeyMetadata) - 1}
			it := guardrail.Item{
				Target:  guardrail.Target{Kind: KindAccessKey, ARN: aws.ToString(u.Arn), User: name, AccessKeyID: id},
				State:   st,
				Created: aws.ToTime(k.CreateDate),
				Key:     key,
			}
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// Snapshot puts live state in the shape of Plan.Desired, so a revert can
// tell whether the key changed since gcguard wrote it.
func (r *AccessKey) Snapshot(s guardrail.State) json.RawMessage {
	st, _ := s.(*AccessKeyState)
	if st == nil {
		return nil
	}
	return guardrail.JSON(map[string]string{"status": st.Status, "user": st.user, "access_key_id": st.keyID})
}
