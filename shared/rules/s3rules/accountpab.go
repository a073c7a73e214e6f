package s3rules

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// AccountPABAPI is the part of the S3 Control client the accountpab rule uses.
type AccountPABAPI interface {
	GetPublicAccessBlock(ctx context.Context, in *s3control.GetPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3control.PutPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(ctx context.Context, in *s3control.DeletePublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.DeletePublicAccessBlockOutput, error)
}

var _ AccountPABAPI = (*s3control.Client)(nil)

// AccountPABSpec: the account-level Block Public Access flags stay on.
var AccountPABSpec = guardrail.Spec{
	Name:        "accountpab",
	Summary:     "turn all four account-level S3 Block Public Access settings back on; report where an organization policy governs them",
	DefaultMode: config.Enforce,
	// Logged in the region the caller used, usually us-east-1; calls made
	// elsewhere are caught by the sweep.
	Scope:    guardrail.ScopeGlobal,
	Triggers: []guardrail.Trigger{{Source: "aws.s3", EventNames: []string{"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"}}},
	Permissions: []guardrail.Permission{
		// Account-level actions take no resource; DeletePublicAccessBlock
		// (used by revert) is authorized by s3:PutAccountPublicAccessBlock.
		{Actions: []string{"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"}, Resources: []string{"*"}},
	},
}

func init() {
	guardrail.Register(guardrail.Definition{Spec: AccountPABSpec, New: func(d guardrail.Deps) (guardrail.Rule, error) {
		return &AccountPAB{S3Control: s3client.Control(d.AWS), Account: d.Config.Account, Partition: d.Config.Partition}, nil
	}})
}

// KindAccountPAB is the target kind of this rule.
const KindAccountPAB = "account_public_access_block"

// AccountPABARN names the account's Block Public Access configuration, the
// identity the lease, audit and exemptions use (S3 gives it no ARN).
func AccountPABARN(partition, account string) string {
	return "arn:" + partition + ":s3::" + account + ":account-public-access-block"
}

// AccountPAB is the accountpab rule.
type AccountPAB struct {
	S3Control AccountPABAPI
	Account   string
	Partition string // "" = aws

	// governed remembers, for this process, that S3 refused the write with
	// AccessDenied: an organization S3 policy (or an SCP) owns the flags,
	// and gcguard reports instead of trying again on every event.
	mu       sync.Mutex
	governed string
}

// Spec implements guardrail.Rule.
func (*AccountPAB) Spec() guardrail.Spec { return AccountPABSpec }

// Match names the account the call changed.
func (*AccountPAB) Match(ev *cloudtrail.Event) (guardrail.Target, error) {
	acct := ruleutil.FirstNonEmpty(ev.Detail.RecipientAccountID, ev.Account)
	if acct == "" {
		return guardrail.Target{}, fmt.Errorf("the %s event names no account", ev.Detail.EventName)
	}
	return guardrail.Target{Kind: KindAccountPAB, ARN: AccountPABARN(ruleutil.PartitionOf(ev), acct), Region: ev.Detail.AWSRegion}, nil
}

// AccountPABState is the account's effective configuration (S3 returns the
// organization-level one where an S3 policy governs it).
type AccountPABState struct {
	Account string            `json:"account"`
	Flags   PublicAccessBlock `json:"flags"`
	// Governed says why gcguard may not write the flags, "" when it may.
	Governed string `json:"governed,omitempty"`
}

// Observe reads the account's configuration. None at all is a state.
func (r *AccountPAB) Observe(ctx context.Context, t guardrail.Target) (guardrail.State, error) {
	st := &AccountPABState{Account: r.Account}
	out, err := r.S3Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(r.Account)})
	switch {
	case awsapi.Code(err) == codeNoPAB:
	case err != nil:
		return nil, fmt.Errorf("read account %s Block Public Access: %w", r.Account, err)
	case out.PublicAccessBlockConfiguration != nil:
		c := out.PublicAccessBlockConfiguration
		st.Flags = PublicAccessBlock{Present: true,
			BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
			BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
	}
	r.mu.Lock()
	st.Governed = r.governed
	r.mu.Unlock()
	return st, nil
}

// Plan turns every flag on, or reports when the organization governs them.
func (r *AccountPAB) Plan(in guardrail.PlanInput) (guardrail.Plan, error) {
	st, ok := in.State.(*AccountPABState)
	if !ok {
		return guardrail.Plan{}, fmt.Errorf("accountpab: unexpected state %T", in.State)
	}
	if st.Flags.AllOn() {
		return guardrail.Plan{}, nil
	}
	want := PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	p := guardrail.Plan{
		Violations: []finding.Code{finding.AccountPABOff},
		Findings: []finding.Finding{{Statement: -1, Code: string(finding.AccountPABOff),
			Reason: "account-level Block Public Access is not fully on: " + describePAB(st.Flags)}},
		Before: "account " + st.Account + " Block Public Access: " + describePAB(st.Flags),
		After:  "account " + st.Account + " Block Public Access: " + describePAB(want),
	}
	if st.Governed != "" {
		p.ReportOnly = st.Governed
		p.After = "unchanged"
		return p, nil
	}
	p.Actions = []string{"turn on all four account-level Block Public Access settings"}
	p.Prior, p.Desired = guardrail.JSON(st.Flags), guardrail.JSON(want)
	p.Change = want
	return p, nil
}

// Apply writes the four flags. AccessDenied means an organization S3 policy
// or an SCP owns them (S3's PutPublicAccessBlock reference says so): the
// failure is reported once, and later events only report.
func (r *AccountPAB) Apply(ctx context.Context, t guardrail.Target, p *guardrail.Plan) error {
	want, ok := p.Change.(PublicAccessBlock)
	if !ok {
		return fmt.Errorf("accountpab: unexpected change %T", p.Change)
	}
	_, err := r.S3Control.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(r.Account),
		PublicAccessBlockConfiguration: accountFlags(want)})
	if awsapi.Code(err) == "AccessDenied" {
		r.mu.Lock()
		r.governed = "S3 refused the write (AccessDenied): an organization-level S3 policy or an SCP governs this account's Block Public Access; gcguard reports and does not fight it"
		r.mu.Unlock()
		return fmt.Errorf("turn on account %s Block Public Access: %w (an organization policy governs these settings; ask the organization's administrators)", r.Account, err)
	}
	if err != nil {
		return fmt.Errorf("turn on account %s Block Public Access: %w", r.Account, err)
	}
	return nil
}

// Revert restores the four flags as they were, or removes the
// configuration when there was none.
func (r *AccountPAB) Revert(ctx context.Context, rec *audit.Record) (string, error) {
	var prior PublicAccessBlock
	if err := ruleutil.DecodeStored(rec.Before, &prior); err != nil {
		return "", err
	}
	if !prior.Present {
		if _, err := r.S3Control.DeletePublicAccessBlock(ctx, &s3control.DeletePublicAccessBlockInput{AccountId: aws.String(r.Account)}); err != nil {
			return "", fmt.Errorf("remove account %s Block Public Access: %w", r.Account, err)
		}
		return "account " + r.Account + " Block Public Access configuration removed (as before)", nil
	}
	if _, err := r.S3Control.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(r.Account),
		PublicAccessBlockConfiguration: accountFlags(prior)}); err != nil {
		return "", fmt.Errorf("restore account %s Block Public Access: %w", r.Account, err)
	}
	return "account " + r.Account + " Block Public Access set back to " + describePAB(prior), nil
}

func accountFlags(p PublicAccessBlock) *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(p.BlockPublicAcls), IgnorePublicAcls: aws.Bool(p.IgnorePublicAcls),
		BlockPublicPolicy: aws.Bool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.Bool(p.RestrictPublicBuckets)}
}

// Explain judges the event alone.
func (*AccountPAB) Explain(ev *cloudtrail.Event, _ guardrail.Target, _ *config.Config) guardrail.Explanation {
	if ev.Detail.EventName == "DeleteAccountPublicAccessBlock" {
		return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.AccountPABOff},
			Reason: "account-level Block Public Access was removed: gcguard turns all four settings back on (reports where an organization policy governs them)"}
	}
	var off []string
	for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
		if ev.Param("PublicAccessBlockConfiguration."+k) != "true" {
			off = append(off, k)
		}
	}
	if len(off) == 0 {
		return guardrail.Explanation{Reason: "all four account-level Block Public Access settings were turned on: nothing to do"}
	}
	return guardrail.Explanation{Act: true, Violations: []finding.Code{finding.AccountPABOff},
		Reason: fmt.Sprintf("account-level Block Public Access left off: %v; gcguard turns them on unless an organization policy governs them", off)}
}

// Snapshot puts live state in the shape of Plan.Desired, so a revert can
// tell whether someone changed the flags since gcguard wrote them.
func (*AccountPAB) Snapshot(s guardrail.State) json.RawMessage {
	st, ok := s.(*AccountPABState)
	if !ok {
		return nil
	}
	return guardrail.JSON(st.Flags)
}

func (r *AccountPAB) partition() string {
	if r.Partition != "" {
		return r.Partition
	}
	return "aws"
}
