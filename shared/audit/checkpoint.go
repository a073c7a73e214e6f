package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Checkpoint is how far an unfinished sweep got, so the next run goes on
// from there instead of starting over.
type Checkpoint struct {
	RunID   string    `dynamodbav:"run_id"`
	Rule    string    `dynamodbav:"rule"`  // the rule being swept
	After   string    `dynamodbav:"after"` // every item up to this key is done
	Started time.Time `dynamodbav:"started"`
	Saved   time.Time `dynamodbav:"saved"`
	// Counts carries the run's tallies across invocations.
	Counts map[string]int `dynamodbav:"counts"`
}

var checkpointKey = map[string]types.AttributeValue{
	AttrPK: &types.AttributeValueMemberS{Value: "SWEEP"},
	AttrSK: &types.AttributeValueMemberS{Value: "CHECKPOINT"},
}

// SaveCheckpoint stores the sweep's position.
func (s *Store) SaveCheckpoint(ctx context.Context, c Checkpoint) error {
	item, err := attributevalue.MarshalMap(c)
	if err != nil {
		return fmt.Errorf("encode sweep checkpoint: %w", err)
	}
	for k, v := range checkpointKey {
		item[k] = v
	}
	if err := s.signItem(ctx, DomainCheckpoint, item); err != nil {
		return fmt.Errorf("save sweep checkpoint: %w", err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("save sweep checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint returns the stored position, or nil when the last sweep
// finished. A checkpoint that does not verify (one that would make the
// sweep skip resources) is reported and ignored: the sweep starts over.
func (s *Store) LoadCheckpoint(ctx context.Context) (*Checkpoint, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: checkpointKey, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read sweep checkpoint: %w", err)
	}
	if out.Item == nil {
		return nil, nil
	}
	if s.verifies() {
		ok, err := s.verifyItem(ctx, DomainCheckpoint, out.Item, "")
		if err != nil {
			return nil, fmt.Errorf("verify sweep checkpoint: %w", err)
		}
		if !ok {
			return nil, nil
		}
	}
	var c Checkpoint
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return nil, fmt.Errorf("decode sweep checkpoint: %w", err)
	}
	return &c, nil
}

// ClearCheckpoint marks the sweep finished.
func (s *Store) ClearCheckpoint(ctx context.Context) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: checkpointKey}); err != nil {
		return fmt.Errorf("clear sweep checkpoint: %w", err)
	}
	return nil
}
