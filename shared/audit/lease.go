package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrLeaseHeld says another invocation is writing the resource right now.
var ErrLeaseHeld = errors.New("another gcguard invocation holds the resource's lease")

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Acquire takes the resource's lease for d, unless another owner holds an
// unexpired one. Re-acquiring one's own lease extends it.
func (s *Store) Acquire(ctx context.Context, resource, owner string, now time.Time, d time.Duration) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			AttrPK:        &types.AttributeValueMemberS{Value: resourcePK(resource)},
			AttrSK:        &types.AttributeValueMemberS{Value: "LEASE"},
			"owner":       &types.AttributeValueMemberS{Value: owner},
			AttrExpiresAt: &types.AttributeValueMemberN{Value: epoch(now.Add(d))},
		},
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #exp < :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#exp": AttrExpiresAt, "#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: epoch(now)},
			":owner": &types.AttributeValueMemberS{Value: owner},
		},
	})
	if conditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrLeaseHeld, resource)
	}
	if err != nil {
		return fmt.Errorf("take lease on %s: %w", resource, err)
	}
	return nil
}

// Release gives the lease back, if it is still ours.
func (s *Store) Release(ctx context.Context, resource, owner string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.Table),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: resourcePK(resource)},
			AttrSK: &types.AttributeValueMemberS{Value: "LEASE"},
		},
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release lease on %s: %w", resource, err)
	}
	return nil
}

// PlaceHold keeps gcguard off the resource until h.Until.
func (s *Store) PlaceHold(ctx context.Context, h Hold) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			AttrPK:        &types.AttributeValueMemberS{Value: resourcePK(h.Resource)},
			AttrSK:        &types.AttributeValueMemberS{Value: "HOLD"},
			"until":       &types.AttributeValueMemberS{Value: h.Until.UTC().Format(time.RFC3339)},
			"audit_id":    &types.AttributeValueMemberS{Value: h.AuditID},
			"by":          &types.AttributeValueMemberS{Value: h.By},
			AttrExpiresAt: &types.AttributeValueMemberN{Value: epoch(h.Until)},
		},
	})
	if err != nil {
		return fmt.Errorf("place hold on %s: %w", h.Resource, err)
	}
	return nil
}

// ActiveHold returns the resource's hold if it has not run out, else nil.
// TTL deletion is lazy, so expiry is checked here, not left to DynamoDB.
func (s *Store) ActiveHold(ctx context.Context, resource string, now time.Time) (*Hold, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: resourcePK(resource)},
			AttrSK: &types.AttributeValueMemberS{Value: "HOLD"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read hold on %s: %w", resource, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	h := &Hold{Resource: resource}
	if v, ok := out.Item["until"].(*types.AttributeValueMemberS); ok {
		h.Until, _ = time.Parse(time.RFC3339, v.Value)
	}
	if v, ok := out.Item["audit_id"].(*types.AttributeValueMemberS); ok {
		h.AuditID = v.Value
	}
	if v, ok := out.Item["by"].(*types.AttributeValueMemberS); ok {
		h.By = v.Value
	}
	if !now.Before(h.Until) {
		return nil, nil
	}
	return h, nil
}

// CreateTable creates the audit table with the schema the CDK app deploys;
// used by tests, the demo and `gcguard` against a local endpoint.
func (s *Store) CreateTable(ctx context.Context, db interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(s.Table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrID), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(IndexByID),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(AttrID), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			return nil
		}
		return fmt.Errorf("create audit table %s: %w", s.Table, err)
	}
	return nil
}
