package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// iamUsers prepares the IAM users and keys the events point at, untimed.
type iamUsers struct{ iam *iam.Client }

func (u iamUsers) ensureUser(ctx context.Context, user string) error {
	_, err := u.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)})
	if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") {
		return fmt.Errorf("create user %s: %w", user, err)
	}
	return nil
}

// freshKey gives the user a new active key for one run to remove.
func (u iamUsers) freshKey(ctx context.Context, user string) (string, error) {
	k, err := u.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return "", fmt.Errorf("create access key for %s: %w", user, err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), nil
}

// inactiveKey gives the user one inactive key, for the compliant path.
func (u iamUsers) inactiveKey(ctx context.Context, user string) (string, error) {
	if err := u.ensureUser(ctx, user); err != nil {
		return "", err
	}
	key, err := u.freshKey(ctx, user)
	if err != nil {
		return "", err
	}
	_, err = u.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(key), Status: iamtypes.StatusTypeInactive})
	return key, err
}

func (u iamUsers) keyCount(ctx context.Context, user string) (int, error) {
	out, err := u.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return 0, err
	}
	return len(out.AccessKeyMetadata), nil
}
