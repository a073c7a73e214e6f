package guardrail

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// CloudFormationAPI is the part of the CloudFormation client stack look-ups use.
type CloudFormationAPI interface {
	DescribeStackResources(ctx context.Context, in *cloudformation.DescribeStackResourcesInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
}

var _ CloudFormationAPI = (*cloudformation.Client)(nil)

// CFNStacks names the stack managing a resource by asking CloudFormation
// with the physical id: IAM roles carry no aws:cloudformation:* tags.
type CFNStacks struct {
	CFN func(region string) CloudFormationAPI
}

// NewStackFinder builds a finder that asks CloudFormation in the resource's region.
func NewStackFinder(cfg aws.Config) *CFNStacks {
	return &CFNStacks{CFN: func(region string) CloudFormationAPI {
		return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
			if region != "" {
				o.Region = region
			}
		})
	}}
}

// Stack returns the stack name, or "" when none manages the resource or the
// look-up fails (a notice is never held back for want of it).
func (s *CFNStacks) Stack(ctx context.Context, t Target) string {
	id := t.Role
	switch {
	case t.Bucket != "":
		id = t.Bucket
	case t.User != "" && t.Role == "":
		id = t.User
	}
	if id == "" {
		return ""
	}
	out, err := s.CFN(t.Region).DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{PhysicalResourceId: aws.String(id)})
	if err != nil || len(out.StackResources) == 0 {
		return ""
	}
	return aws.ToString(out.StackResources[0].StackName)
}
