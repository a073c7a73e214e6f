package iamrules

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// UserLister is the part of IAM that lists users.
type UserLister interface {
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
}

// listUsers returns every IAM user sorted by name, so sweeps can resume
// from a checkpoint whatever order IAM pages them in.
func listUsers(ctx context.Context, api UserLister) ([]types.User, error) {
	var users []types.User
	p := iam.NewListUsersPaginator(api, &iam.ListUsersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list IAM users: %w", err)
		}
		users = append(users, out.Users...)
	}
	sort.Slice(users, func(i, j int) bool { return aws.ToString(users[i].UserName) < aws.ToString(users[j].UserName) })
	return users, nil
}
