package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/gcguard/gcguard/shared/testkit"
)

// A replay makes the calls the engine made for one event, in the same
// order, as plain SDK calls with prepared inputs: what a hand-written
// handler doing the same work would cost. Inputs have the engine's payloads
// (its audit item, its rendered notice), so moto does the same work for
// both and the difference is gcguard's.
type replay struct {
	steps []step
}

type step struct {
	name string // service:Action, as the proxy recorded it
	call func(ctx context.Context, it *iteration) error
}

// iteration is one run of a replay: the key it removes and what its audit
// write created, for the later update.
type iteration struct {
	seq       int
	accessKey string
	recordSK  string
}

// bareInputs are the prepared inputs of a replay.
type bareInputs struct {
	iam   *iam.Client
	db    *dynamodb.Client
	sns   *sns.Client
	cfn   *cloudformation.Client
	kms   *kms.Client
	table string
	topic string
	user  string // IAM user name
	pk    string // the user's audit partition
	lease time.Duration

	// The MAC key, and a digest with its valid MAC: the engine signs and
	// verifies a 32-byte digest of each item.
	macMsg, mac []byte
	macKeyARN   string

	record  map[string]dbtypes.AttributeValue // the engine's audit item, re-keyed per run
	subject string
	message string
	attrs   map[string]snstypes.MessageAttributeValue
}

// newReplay maps each recorded call to its bare equivalent. DynamoDB calls
// of one action are told apart by their order, which is the engine's: the
// first PutItem takes the lease and later ones write audit records; the
// first UpdateItem finishes the record and later ones mark it notified.
func newReplay(calls []testkit.Call, in *bareInputs) (*replay, error) {
	r := &replay{}
	seen := map[string]int{}
	for _, c := range calls {
		name := c.Service + ":" + c.Action
		k := seen[name]
		seen[name]++
		f, err := in.op(name, k)
		if err != nil {
			return nil, err
		}
		r.steps = append(r.steps, step{name: name, call: f})
	}
	return r, nil
}

func (r *replay) run(ctx context.Context, it *iteration) error {
	for _, s := range r.steps {
		if err := s.call(ctx, it); err != nil {
			return fmt.Errorf("bare %s: %w", s.name, err)
		}
	}
	return nil
}

func (in *bareInputs) op(name string, k int) (func(ctx context.Context, it *iteration) error, error) {
	user := aws.String(in.user)
	switch name {
	case "iam:GetUser":
		return func(ctx context.Context, _ *iteration) error {
			_, err := in.iam.GetUser(ctx, &iam.GetUserInput{UserName: user})
			return err
		}, nil
	case "iam:ListAccessKeys":
		return func(ctx context.Context, _ *iteration) error {
			_, err := in.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: user})
			return err
		}, nil
	case "iam:DeleteAccessKey":
		return func(ctx context.Context, it *iteration) error {
			_, err := in.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(it.accessKey)})
			return err
		}, nil
	case "iam:UpdateAccessKey":
		return func(ctx context.Context, it *iteration) error {
			_, err := in.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(it.accessKey), Status: iamtypes.StatusTypeInactive})
			return err
		}, nil
	case "dynamodb:GetItem":
		return in.readHold, nil
	case "dynamodb:PutItem":
		if k == 0 {
			return in.takeLease, nil
		}
		return in.putRecord, nil
	case "dynamodb:UpdateItem":
		if k == 0 {
			return in.finishRecord, nil
		}
		return in.markNotified, nil
	case "dynamodb:DeleteItem":
		return in.releaseLease, nil
	case "dynamodb:Query":
		return in.history, nil
	case "cloudformation:DescribeStackResources":
		return func(ctx context.Context, _ *iteration) error {
			// The engine ignores a failed look-up (no stack manages the user); so does this.
			_, _ = in.cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{PhysicalResourceId: user})
			return nil
		}, nil
	case "sns:Publish":
		return in.publish, nil
	case "kms:GenerateMac":
		return func(ctx context.Context, _ *iteration) error {
			_, err := in.kms.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: aws.String(in.macKeyARN), Message: in.macMsg, MacAlgorithm: kmstypes.MacAlgorithmSpecHmacSha256})
			return err
		}, nil
	case "kms:VerifyMac":
		return func(ctx context.Context, _ *iteration) error {
			out, err := in.kms.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: aws.String(in.macKeyARN), Message: in.macMsg, Mac: in.mac, MacAlgorithm: kmstypes.MacAlgorithmSpecHmacSha256})
			if err == nil && !out.MacValid {
				err = errors.New("the prepared MAC does not verify")
			}
			return err
		}, nil
	}
	return nil, fmt.Errorf("the engine called %s, which the bare replay has no equivalent for: add one to replay.go", name)
}

func s(v string) *dbtypes.AttributeValueMemberS { return &dbtypes.AttributeValueMemberS{Value: v} }

func (in *bareInputs) key(sk string) map[string]dbtypes.AttributeValue {
	return map[string]dbtypes.AttributeValue{"pk": s(in.pk), "sk": s(sk)}
}

func (in *bareInputs) readHold(ctx context.Context, _ *iteration) error {
	_, err := in.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(in.table), Key: in.key("HOLD"), ConsistentRead: aws.Bool(true)})
	return err
}

func (in *bareInputs) takeLease(ctx context.Context, _ *iteration) error {
	now := time.Now()
	item := in.key("LEASE")
	item["owner"] = s("bare")
	item["expires_at"] = &dbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(in.lease).Unix(), 10)}
	_, err := in.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(in.table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #exp < :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#exp": "expires_at", "#owner": "owner"},
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
			":now": &dbtypes.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}, ":owner": s("bare"),
		},
	})
	return err
}

func (in *bareInputs) releaseLease(ctx context.Context, _ *iteration) error {
	_, err := in.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(in.table), Key: in.key("LEASE"),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":owner": s("bare")},
	})
	var gone *dbtypes.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return nil // as the engine: a retried delete finds the lease gone
	}
	return err
}

func (in *bareInputs) putRecord(ctx context.Context, it *iteration) error {
	it.recordSK = "REC#" + time.Now().UTC().Format(time.RFC3339Nano) + "#bare-" + strconv.Itoa(it.seq)
	item := make(map[string]dbtypes.AttributeValue, len(in.record))
	for k, v := range in.record {
		item[k] = v
	}
	item["pk"], item["sk"], item["id"] = s(in.pk), s(it.recordSK), s(strings.TrimPrefix(it.recordSK, "REC#"))
	_, err := in.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(in.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	return err
}

func (in *bareInputs) finishRecord(ctx context.Context, it *iteration) error {
	_, err := in.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(in.table), Key: in.key(it.recordSK),
		UpdateExpression:         aws.String("SET #st = :st, outcome = :oc, #err = :err, updated = :up"),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#st": "status", "#err": "error"},
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
			":st": s("applied"), ":oc": s("fixed"), ":err": s(""), ":up": s(time.Now().UTC().Format(time.RFC3339Nano)),
		},
	})
	return err
}

func (in *bareInputs) markNotified(ctx context.Context, it *iteration) error {
	_, err := in.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(in.table), Key: in.key(it.recordSK),
		UpdateExpression:          aws.String("SET #a = :v"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#a": "notified"},
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":v": &dbtypes.AttributeValueMemberBOOL{Value: true}},
	})
	return err
}

func (in *bareInputs) history(ctx context.Context, _ *iteration) error {
	_, err := in.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(in.table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :rec)"),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":pk": s(in.pk), ":rec": s("REC#")},
		ScanIndexForward:          aws.Bool(false),
	})
	return err
}

func (in *bareInputs) publish(ctx context.Context, _ *iteration) error {
	_, err := in.sns.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(in.topic), Subject: aws.String(in.subject), Message: aws.String(in.message),
		MessageStructure: aws.String("json"), MessageAttributes: in.attrs,
	})
	return err
}
