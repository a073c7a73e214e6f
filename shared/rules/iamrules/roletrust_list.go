package iamrules

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// RoleLister is the part of IAM that lists roles with their trust policies.
type RoleLister interface {
	ListRoles(ctx context.Context, in *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// List yields every role with its trust policy, read from ListRoles (which
// returns the documents), so a compliant role costs the sweep no GetRole.
func (r *RoleTrust) List(ctx context.Context, after string, fn func(guardrail.Item) error) error {
	lister, ok := r.IAM.(RoleLister)
	if !ok {
		return fmt.Errorf("roletrust: the IAM client cannot list roles")
	}
	var roles []types.Role
	p := iam.NewListRolesPaginator(lister, &iam.ListRolesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		roles = append(roles, out.Roles...)
	}
	sort.Slice(roles, func(i, j int) bool { return aws.ToString(roles[i].RoleName) < aws.ToString(roles[j].RoleName) })
	quota := r.sizeQuota(ctx)
	for _, role := range roles {
		name := aws.ToString(role.RoleName)
		if name <= after {
			continue
		}
		t := guardrail.Target{Kind: KindRole, Role: name, ARN: aws.ToString(role.Arn)}
		it := guardrail.Item{Target: t, Created: aws.ToTime(role.CreateDate), Key: name}
		doc, err := decodeTrust(aws.ToString(role.AssumeRolePolicyDocument))
		if err == nil {
			st := &RoleTrustState{RoleARN: t.ARN, Path: aws.ToString(role.Path), Document: doc, Quota: quota}
			if err := r.neverTouch(ctx, t, st); err != nil {
				return fmt.Errorf("role %s: %w", name, err)
			}
			it.State = st
		} // else: no state, the engine reads the role itself and reports what it cannot parse
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
