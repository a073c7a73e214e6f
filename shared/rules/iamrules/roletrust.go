package iamrules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// RoleTrustAPI is the part of the IAM client the roletrust rule uses.
type RoleTrustAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

var _ RoleTrustAPI = (*iam.Client)(nil)

// RoleTrustSpec: trust policies name exactly who may assume a role (GCAS:
// the SwitchOnlyRole with aws:userid, or the account's SSO roles).
var RoleTrustSpec = guardrail.Spec{
	Name:        "roletrust",
	Summary:     "tighten role trust policies that let the public, foreign accounts, other organizations, unrestricted federated users or the whole account assume",
	DefaultMode: config.Enforce,
	Scope:       guardrail.ScopeGlobal,
	Triggers:    []guardrail.Trigger{{Source: "aws.iam", EventNames: []string{"CreateRole", "UpdateAssumeRolePolicy"}}},
	Permissions: []guardrail.Permission{
		{Actions: []string{"iam:GetRole", "iam:UpdateAssumeRolePolicy"},
			Resources: []string{"arn:${Partition}:iam::${Account}:role/*"}},
		// Neither takes a resource-level permission: GetAccountSummary has
		// no resource type, and DescribeStackResources by physical id is
		// asked before the stack is known (the CDK bootstrap check).
		{Actions: []string{"iam:GetAccountSummary", "cloudformation:DescribeStackResources"}, Resources: []string{"*"}},
		// ListRoles (the sweep) has no resource-level permission.
		{Actions: []string{"iam:ListRoles"}, Resources: []string{"*"}},
	},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: RoleTrustSpec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return &RoleTrust{
			IAM:    iam.NewFromConfig(d.AWS),
			CFN:    guardrail.NewStackFinder(d.AWS).CFN,
			Config: d.Config,
			Log:    guardrail.NewLogger(os.Stdout),
		}, nil
	}})
}

// DefaultTrustPolicyQuota is IAM's default AssumeRolePolicySizeQuota
// (bytes, whitespace not counted). It is used when the account summary does
// not say, or cannot be read: it is the smallest quota an account can have,
// so a rewrite that fits it fits every account.
const DefaultTrustPolicyQuota = 2048

// RoleTrust is the roletrust rule.
type RoleTrust struct {
	IAM RoleTrustAPI
	// CFN returns a CloudFormation client for a region (the CDK bootstrap
	// evidence); nil: no role counts as a CDK bootstrap role.
	CFN    func(region string) guardrail.CloudFormationAPI
	Config *config.Config
	Log    *slog.Logger
	// Quota, when set, replaces the account's AssumeRolePolicySizeQuota.
	Quota int

	mu    sync.Mutex
	quota int // cached per process: the quota rarely changes

	toolkit toolkitCache // the CDKToolkit stack's roles, per region
}

// KindRole is the target kind of this rule.
const KindRole = "role"

// Spec implements guardrail.Rule.
func (*RoleTrust) Spec() guardrail.Spec { return RoleTrustSpec }

// Match names the role. The policy in the event is not trusted: Observe
// reads the live one. CreateRole's response names the role even when
// CloudTrail omitted the (large) request parameters.
func (*RoleTrust) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	t := guardrail.Target{Kind: KindRole}
	t.Role = ruleutil.FirstNonEmpty(ev.Param("roleName"), ev.Response("role.roleName"))
	if t.Role == "" {
		if ev.ParamsOmitted() {
			return t, fmt.Errorf("%w: CloudTrail omitted the parameters of %s and nothing else names the role", guardrail.ErrIgnore, ev.Detail.EventName)
		}
		return t, errors.New("the event names no role")
	}
	// The exact ARN (with the role's path) comes from GetRole (Resolve).
	t.ARN = ruleutil.FirstNonEmpty(ev.Response("role.arn"), fmt.Sprintf("arn:%s:iam::%s:role/%s", ruleutil.PartitionOf(ev), ev.Account, t.Role))
	return t, nil
}

// RoleTrustState is what IAM says now.
type RoleTrustState struct {
	RoleARN string `json:"role_arn"`
	Path    string `json:"path"`
	// Document is the trust policy as IAM holds it: GetRole's URL-encoded
	// text decoded exactly once.
	Document string `json:"document"`
	// Quota is the account's AssumeRolePolicySizeQuota in bytes.
	Quota int `json:"quota"`
	// NeverTouch says why gcguard leaves the role alone ("" if it does not).
	NeverTouch string `json:"never_touch,omitempty"`
	// Doubt says what could not be established (a CDK bootstrap look-up
	// that failed): the role is then reported, never rewritten.
	Doubt string `json:"doubt,omitempty"`
}

// NeverTouchReason implements guardrail.Untouchable.
func (s *RoleTrustState) NeverTouchReason() string { return s.NeverTouch }

// Resolve gives the target the role's exact ARN, which is what exemptions,
// leases and holds name.
func (s *RoleTrustState) Resolve(t guardrail.Target) guardrail.Target {
	if s.RoleARN != "" {
		t.ARN = s.RoleARN
	}
	return t
}

// Observe reads the role, its trust policy, the account's size quota and
// the evidence that the role is one gcguard never touches.
func (r *RoleTrust) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	out, err := r.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(t.Role)})
	if err != nil {
		return nil, fmt.Errorf("read role %s: %w", t.Role, err)
	}
	doc, err := decodeTrust(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", t.Role, err)
	}
	st := &RoleTrustState{RoleARN: aws.ToString(out.Role.Arn), Path: aws.ToString(out.Role.Path), Document: doc}
	if err := r.neverTouch(ctx, t, st); err != nil {
		return nil, err
	}
	if st.NeverTouch != "" {
		return st, nil // the engine ends the run as skipped, with the reason
	}
	st.Quota = r.sizeQuota(ctx)
	return st, nil
}

// decodeTrust undoes GetRole's URL encoding (RFC 3986) exactly once, with
// path unescaping so a literal "+" stays "+". A document that is already
// JSON is returned as it is.
func decodeTrust(raw string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(raw), "{") {
		return raw, nil
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("trust policy is neither JSON nor URL-encoded JSON: %w", err)
	}
	return dec, nil
}

func (r *RoleTrust) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// sizeQuota returns the account's trust-policy size quota, read once per
// process. An unreadable summary falls back to IAM's default (the smallest
// possible), unread again next time.
func (r *RoleTrust) sizeQuota(ctx context.Context) int {
	if r.Quota > 0 {
		return r.Quota
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.quota > 0 {
		return r.quota
	}
	out, err := r.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		r.logger().WarnContext(ctx, "account summary unreadable: assuming IAM's default trust-policy size quota",
			"rule", RoleTrustSpec.Name, "quota", DefaultTrustPolicyQuota, "error", err.Error())
		return DefaultTrustPolicyQuota
	}
	q := int(out.SummaryMap[string(types.SummaryKeyTypeAssumeRolePolicySizeQuota)])
	if q <= 0 {
		q = DefaultTrustPolicyQuota
	}
	r.quota = q
	return q
}

func trustOptions(cfg *config.Config) policy.TrustOptions {
	return policy.TrustOptions{
		Account: cfg.Account, TrustedAccounts: cfg.TrustedAccounts, TrustedOrg: cfg.TrustedOrg,
		AllowedPrincipals: cfg.Allowed(), Partition: cfg.Partition,
	}
}

// roleTrustChange is what Apply writes.
type roleTrustChange struct {
	Document []byte // minified, validated
}

// Plan judges the live trust policy and plans the minimal rewrite.
func (r *RoleTrust) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	st, ok := in.State.(*RoleTrustState)
	if !ok {
		return guardrail.Plan{}, fmt.Errorf("roletrust: unexpected state %T", in.State)
	}
	if st.NeverTouch != "" {
		return guardrail.Plan{}, nil
	}
	role := ruleutil.FirstNonEmpty(in.Target.Role, st.RoleARN)
	doc, err := policy.Parse([]byte(st.Document))
	if err != nil {
		// IAM accepted it, so the parser is what falls short: say so, change nothing.
		return guardrail.Plan{
			Violations: []finding.Code{finding.TrustPolicyOverbroad},
			Findings:   []finding.Finding{{Statement: -1, Code: policy.KindUnsure, Reason: "gcguard cannot read the trust policy: " + err.Error()}},
			Before:     st.Document,
			Prior:      priorJSON(st.Document),
			ReportOnly: "gcguard cannot read this trust policy, so it cannot judge it: review it by hand",
		}, nil
	}
	opt := trustOptions(in.Config)
	rep := policy.AnalyzeTrust(doc, opt)
	if !rep.Overbroad() && !rep.Unsure {
		// Findings that are not violations (a service principal without
		// aws:SourceAccount, as every ordinary Lambda execution role has)
		// are kept for scan and explain but make no notice: a notice per
		// Lambda role would drown the ones that matter.
		return guardrail.Plan{Findings: rep.Findings}, nil
	}
	quota := st.Quota
	if quota <= 0 {
		quota = DefaultTrustPolicyQuota
	}
	tp, planErr := policy.PlanTrust(doc, opt, quota)
	p := guardrail.Plan{
		Violations: []finding.Code{finding.TrustPolicyOverbroad},
		Findings:   rep.Findings,
		Before:     fmt.Sprintf("trust policy of role %s:\n%s", role, policy.Indent(doc)),
		Prior:      priorJSON(st.Document),
		Critical:   rep.Public || len(rep.ExternalAccounts) > 0 || rep.OrgWide || rep.UnrestrictedFederated,
	}
	switch {
	case st.Doubt != "":
		p.ReportOnly = st.Doubt
	case planErr != nil:
		p.ReportOnly = "gcguard cannot tighten this trust policy safely, so it changes nothing: " + strings.TrimPrefix(planErr.Error(), "plan trust: ")
	case tp.ReportOnly:
		p.ReportOnly = tp.Reason
		if !rep.Overbroad() && !rep.Unsure {
			p.ReportOnly = "reported, never rewritten: " + tp.Reason
		}
	case !tp.Changed:
		p.ReportOnly = "the planner found nothing it may change"
	}
	if p.ReportOnly != "" {
		p.After = "unchanged: " + p.ReportOnly
		return p, nil
	}
	// PlanTrust validated it already; gcguard never sends a document IAM
	// would reject, so it checks again at the boundary.
	if err := policy.ValidateTrust(tp.Document); err != nil {
		p.ReportOnly = "the rewritten policy would be invalid, so nothing is changed: " + err.Error()
		p.After = "unchanged: " + p.ReportOnly
		return p, nil
	}
	after, err := policy.Parse(tp.Document)
	if err != nil {
		return guardrail.Plan{}, fmt.Errorf("roletrust: rewritten policy does not parse: %w", err)
	}
	p.After = fmt.Sprintf("trust policy of role %s:\n%s", role, policy.Indent(after))
	p.Desired = json.RawMessage(tp.Document)
	p.Actions = append([]string{"update the trust policy of role " + role + " (iam:UpdateAssumeRolePolicy):"}, tp.Changes...)
	// What an administrator reads first: who loses and who keeps access.
	p.Preview = &notify.Preview{Loses: tp.Preview.Loses, Keeps: tp.Preview.Keeps, Gains: tp.Preview.Gains}
	p.Change = roleTrustChange{Document: tp.Document}
	return p, nil
}

// priorJSON keeps the document exactly as IAM held it: as raw JSON when it
// is valid JSON (the audit store keeps the bytes), else as a JSON string.
func priorJSON(doc string) json.RawMessage {
	if json.Valid([]byte(doc)) {
		return json.RawMessage(doc)
	}
	b, _ := json.Marshal(doc)
	return b
}

// priorText is the inverse of priorJSON.
func priorText(raw json.RawMessage) (string, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return "", errors.New("audit record has no prior trust policy")
	}
	if t[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("read stored trust policy: %w", err)
		}
		return s, nil
	}
	return string(raw), nil
}

// Apply writes the planned trust policy.
func (r *RoleTrust) Apply(ctx context.Context, t guardrail.Target, p *guardrail.Plan) error {
	c, ok := p.Change.(roleTrustChange)
	if !ok {
		return fmt.Errorf("roletrust: unexpected change %T", p.Change)
	}
	if err := policy.ValidateTrust(c.Document); err != nil {
		return fmt.Errorf("refusing to write an invalid trust policy to role %s: %w", t.Role, err)
	}
	_, err := r.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(t.Role), PolicyDocument: aws.String(string(c.Document))})
	if err != nil {
		return fmt.Errorf("update trust policy of role %s: %w", t.Role, err)
	}
	return nil
}

// Revert puts back the trust policy the audit record holds, byte for byte.
// The engine first checks (Snapshot) that the role still has the policy
// gcguard wrote, so a later change by someone else is not overwritten.
func (r *RoleTrust) Revert(ctx context.Context, rec *audit.Record) (string, error) {
	var t guardrail.Target
	if err := ruleutil.DecodeStored(rec.Target, &t); err != nil {
		return "", err
	}
	if t.Role == "" {
		return "", fmt.Errorf("audit record %s names no role", rec.ID)
	}
	prior, err := priorText(rec.Before)
	if err != nil {
		return "", fmt.Errorf("audit record %s: %w", rec.ID, err)
	}
	if _, err := policy.Parse([]byte(prior)); err != nil {
		return "", fmt.Errorf("audit record %s: the stored trust policy of role %s does not parse, nothing is changed: %w", rec.ID, t.Role, err)
	}
	_, err = r.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(t.Role), PolicyDocument: aws.String(prior)})
	if err != nil {
		msg := fmt.Sprintf("IAM refused the previous trust policy of role %s (%s); the role keeps gcguard's policy", t.Role, awsapi.Code(err))
		if verr := policy.ValidateTrust([]byte(prior)); verr != nil {
			msg += "; the old document breaks today's trust-policy rules: " + verr.Error()
		}
		return "", fmt.Errorf("%s: %w", msg, err)
	}
	return fmt.Sprintf("trust policy of role %s restored to the document recorded in %s", t.Role, rec.ID), nil
}

// Explain judges the policy document the event carries. Live state decides:
// the rule re-reads the role before changing anything.
func (*RoleTrust) Explain(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) guardrail.Explanation {
	key := "assumeRolePolicyDocument"
	if ev.Detail.EventName == "UpdateAssumeRolePolicy" {
		key = "policyDocument"
	}
	raw := ev.Param(key)
	if raw == "" {
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.RequestParametersOmitted},
			Reason: fmt.Sprintf("the event carries no trust policy for role %s: gcguard reads the live one and decides from it", t.Role)}
	}
	doc, err := policy.Parse([]byte(raw))
	if err != nil {
		return guardrail.Explanation{Act: true, Reason: fmt.Sprintf("the event's trust policy cannot be read (%v): gcguard reads the live one of role %s and decides from it", err, t.Role)}
	}
	rep := policy.AnalyzeTrust(doc, trustOptions(cfg))
	switch {
	case rep.Overbroad():
		var why []string
		for _, f := range rep.Findings {
			if f.Code == string(finding.TrustPolicyOverbroad) {
				why = append(why, f.Principal+": "+f.Reason)
			}
		}
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.TrustPolicyOverbroad},
			Reason: fmt.Sprintf("the trust policy in the event is overbroad (%s); gcguard re-reads role %s and tightens the live policy if it still is, unless the role is one gcguard never touches or is exempted", strings.Join(why, "; "), t.Role)}
	case rep.Unsure:
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.TrustPolicyOverbroad},
			Reason: fmt.Sprintf("gcguard cannot judge the trust policy in the event with certainty: it re-reads role %s and reports, never rewrites, what it cannot judge", t.Role)}
	case len(rep.Findings) > 0:
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.TrustPolicyOverbroad},
			Reason: fmt.Sprintf("the trust policy in the event names a service without aws:SourceAccount or aws:SourceArn: gcguard re-reads role %s and reports it, never rewrites it", t.Role)}
	}
	return guardrail.Explanation{Reason: fmt.Sprintf("the trust policy in the event names exactly who may assume role %s; the live policy decides, and gcguard re-reads it", t.Role)}
}

// Snapshot puts live state in the shape of Plan.Desired (the minified
// document), so a revert can tell whether the role changed since.
func (*RoleTrust) Snapshot(s guardrail.State) json.RawMessage {
	st, ok := s.(*RoleTrustState)
	if !ok {
		return nil
	}
	b, err := policy.MinifyJSON([]byte(st.Document))
	if err != nil {
		return nil
	}
	return b
}
