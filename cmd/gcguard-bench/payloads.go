package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/notify"
)

// bareInputs prepares the replay of path p from what the recorded engine
// run left behind: its newest audit item for the engine's user (re-keyed
// to the bare user's partition on each put) and the notice it rendered.
func (h *handlerRig) bareInputs(ctx context.Context, p accessKeyPath) (*bareInputs, error) {
	cfg := h.sb.Config
	in := &bareInputs{table: cfg.AuditTable, topic: cfg.TopicARN, user: p.bareUser, lease: cfg.LeaseDuration}
	bareARN, err := h.userARN(ctx, p.bareUser)
	if err != nil {
		return nil, err
	}
	in.pk = "RES#" + bareARN
	// One valid MAC over a digest-sized message, for the bare verifies.
	in.macKeyARN, in.macMsg = cfg.MacKeyARN, make([]byte, 32)
	if in.macKeyARN != "" {
		m, err := kms.NewFromConfig(h.sb.AWS).GenerateMac(ctx, &kms.GenerateMacInput{KeyId: aws.String(in.macKeyARN), Message: in.macMsg, MacAlgorithm: kmstypes.MacAlgorithmSpecHmacSha256})
		if err != nil {
			return nil, fmt.Errorf("prepare a MAC for the bare replay: %w", err)
		}
		in.mac = m.Mac
	}
	engineARN, err := h.userARN(ctx, p.engineUser)
	if err != nil {
		return nil, err
	}
	out, err := dynamodb.NewFromConfig(h.sb.AWS).Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(cfg.AuditTable),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :rec)"),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
			":pk": s("RES#" + engineARN), ":rec": s("REC#"),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(1),
	})
	if err != nil {
		return nil, fmt.Errorf("read the engine's audit item: %w", err)
	}
	if len(out.Items) == 0 {
		return in, nil // a path that writes no record needs none
	}
	in.record = out.Items[0]
	recs, err := h.sb.Store.History(ctx, engineARN, 1)
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("read the engine's audit record: %v", err)
	}
	n := guardrail.NoticeFromRecord(recs[0])
	if in.message, err = notify.Message(n, cfg.Language, cfg.MaskActor); err != nil {
		return nil, err
	}
	in.subject = notify.Subject(n, cfg.Language)
	in.attrs = map[string]snstypes.MessageAttributeValue{
		"severity": {DataType: aws.String("String"), StringValue: aws.String(string(n.Severity))},
		"rule":     {DataType: aws.String("String"), StringValue: aws.String(n.Rule)},
		"outcome":  {DataType: aws.String("String"), StringValue: aws.String(string(n.Outcome))},
	}
	return in, nil
}

func (h *handlerRig) userARN(ctx context.Context, user string) (string, error) {
	out, err := h.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
	if err != nil {
		return "", fmt.Errorf("read user %s: %w", user, err)
	}
	return aws.ToString(out.User.Arn), nil
}

// with returns the inputs with clients built from cfg.
func (in *bareInputs) with(cfg aws.Config) *bareInputs {
	c := *in
	c.iam, c.db, c.sns, c.cfn = iam.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg), sns.NewFromConfig(cfg), cloudformation.NewFromConfig(cfg)
	c.kms = kms.NewFromConfig(cfg)
	return &c
}
