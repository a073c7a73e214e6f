package notify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// SNSAPI is the part of the SNS client the publisher uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// Publisher sends notices to the topic as one MessageStructure=json message,
// so each subscriber protocol gets the body meant for it.
type Publisher struct {
	SNS      SNSAPI
	TopicARN string
	Language string // ja | en
	Mask     bool   // mask e-mail addresses
	// Deployment adds the system name, environment and contact lines.
	Deployment Deployment
}

// Publish renders and sends one notice.
func (p *Publisher) Publish(ctx context.Context, n *Notice) error {
	if p.Deployment != (Deployment{}) {
		m := *n
		p.Deployment.Apply(&m)
		n = &m
	}
	msg, err := Message(n, p.Language, p.Mask)
	if err != nil {
		return err
	}
	_, err = p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:         aws.String(p.TopicARN),
		Subject:          aws.String(Subject(n, p.Language)),
		Message:          aws.String(msg),
		MessageStructure: aws.String("json"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"severity": {DataType: aws.String("String"), StringValue: aws.String(string(n.Severity))},
			"rule":     {DataType: aws.String("String"), StringValue: aws.String(n.Rule)},
			"outcome":  {DataType: aws.String("String"), StringValue: aws.String(string(n.Outcome))},
		},
	})
	if err != nil {
		return fmt.Errorf("publish notice %s for %s: %w", n.AuditID, n.Resource, err)
	}
	return nil
}
