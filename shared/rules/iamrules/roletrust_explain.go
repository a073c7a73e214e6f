package iamrules

import (
	"fmt"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

var _ guardrail.EventStater = (*RoleTrust)(nil)

// EventState is the role as the event leaves it, for `gcguard explain`:
// the trust policy the event carries, judged by the rule's own Plan (the
// same PlanTrust the rule runs on live state). A nil state (the event
// carries no policy) leaves the judgement to Explain.
func (*RoleTrust) EventState(ev *cloudtrail.Event, t guardrail.Target, cfg *config.Config) (guardrail.State, string, error) {
	key := "assumeRolePolicyDocument"
	if ev.Detail.EventName == "UpdateAssumeRolePolicy" {
		key = "policyDocument"
	}
	raw := ev.Param(key)
	if raw == "" {
		return nil, "", nil
	}
	doc, err := decodeTrust(raw)
	if err != nil {
		return nil, "", fmt.Errorf("role %s: %w", t.Role, err)
	}
	live := fmt.Sprintf("the live policy decides: gcguard re-reads role %s's live trust policy and the account's size quota (here IAM's default, %d bytes) before changing anything, and leaves alone roles it never touches (service-linked, CDK bootstrap)", t.Role, DefaultTrustPolicyQuota)
	return &RoleTrustState{RoleARN: t.ARN, Path: ev.Param("path"), Document: doc, Quota: DefaultTrustPolicyQuota}, live, nil
}
