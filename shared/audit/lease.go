package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// unexpired one. Re-acquiring one's own lease extends it. A lease that
// blocks it is honoured only if it verifies: a forged one (no MAC, or an
// altered one) is reported and replaced, so no one can stop gcguard by
// writing a lease that never ends.
func (s *Store) Acquire(ctx context.Context, resource, owner string, now time.Time, d time.Duration) error {
	item := map[string]types.AttributeValue{
		AttrPK:        &types.AttributeValueMemberS{Value: resourcePK(resource)},
		AttrSK:        &types.AttributeValueMemberS{Value: "LEASE"},
		"owner":       &types.AttributeValueMemberS{Value: owner},
		AttrExpiresAt: &types.AttributeValueMemberN{Value: epoch(now.Add(d))},
	}
	if err := s.signItem(ctx, DomainLease, item); err != nil {
		return fmt.Errorf("take lease on %s: %w", resource, err)
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #exp < :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#exp": AttrExpiresAt, "#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: epoch(now)},
			":owner": &types.AttributeValueMemberS{Value: owner},
		},
	})
	if conditionFailed(err) {
		return s.contest(ctx, resource, item)
	}
	if err != nil {
		return fmt.Errorf("take lease on %s: %w", resource, err)
	}
	return nil
}

// contest decides about the lease that blocked ours: a verified one holds
// (each is verified once per store), anything else is replaced by ours on
// condition that it is still exactly the item that failed.
func (s *Store) contest(ctx context.Context, resource string, ours map[string]types.AttributeValue) error {
	key := map[string]types.AttributeValue{AttrPK: ours[AttrPK], AttrSK: ours[AttrSK]}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("read the lease on %s: %w", resource, err)
	}
	if out.Item == nil {
		// Released in between: the next try takes it.
		return fmt.Errorf("%w: %s", ErrLeaseHeld, resource)
	}
	mac := str(out.Item[AttrMAC])
	if mac != "" && s.leaseVerified(mac) {
		return fmt.Errorf("%w: %s", ErrLeaseHeld, resource)
	}
	ok, err := s.verifyItem(ctx, DomainLease, out.Item, resource)
	if err != nil {
		return fmt.Errorf("verify the lease on %s: %w", resource, err)
	}
	if ok {
		s.rememberLease(mac)
		return fmt.Errorf("%w: %s", ErrLeaseHeld, resource)
	}
	cond, names, values := sameItem(out.Item)
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: ours,
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrLeaseHeld, resource)
	}
	if err != nil {
		return fmt.Errorf("replace the forged lease on %s: %w", resource, err)
	}
	return nil
}

// sameItem is a condition that holds only while the item is unchanged in
// the attributes a lease has.
func sameItem(item map[string]types.AttributeValue) (string, map[string]string, map[string]types.AttributeValue) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var parts []string
	for i, a := range []string{"owner", AttrExpiresAt, AttrMAC} {
		n := fmt.Sprintf("#a%d", i)
		names[n] = a
		if v, ok := item[a]; ok {
			values[fmt.Sprintf(":v%d", i)] = v
			parts = append(parts, fmt.Sprintf("%s = :v%d", n, i))
		} else {
			parts = append(parts, fmt.Sprintf("attribute_not_exists(%s)", n))
		}
	}
	if len(values) == 0 {
		values = nil
	}
	return strings.Join(parts, " AND "), names, values
}

func (s *Store) leaseVerified(mac string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.goodLeases[mac]
}

func (s *Store) rememberLease(mac string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.goodLeases == nil || len(s.goodLeases) > 1000 {
		s.goodLeases = map[string]bool{}
	}
	s.goodLeases[mac] = true
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

// PlaceHold keeps gcguard off the resource until h.Until, which may lie no
// further ahead than the hold maximum.
func (s *Store) PlaceHold(ctx context.Context, h Hold) error {
	if max := s.holdMax(); time.Until(h.Until) > max {
		return fmt.Errorf("place hold on %s until %s: beyond the hold maximum of %s", h.Resource, h.Until.Format(time.RFC3339), max)
	}
	item := map[string]types.AttributeValue{
		AttrPK:        &types.AttributeValueMemberS{Value: resourcePK(h.Resource)},
		AttrSK:        &types.AttributeValueMemberS{Value: "HOLD"},
		"until":       &types.AttributeValueMemberS{Value: h.Until.UTC().Format(time.RFC3339)},
		"audit_id":    &types.AttributeValueMemberS{Value: h.AuditID},
		"by":          &types.AttributeValueMemberS{Value: h.By},
		AttrExpiresAt: &types.AttributeValueMemberN{Value: epoch(h.Until)},
	}
	if err := s.signItem(ctx, DomainHold, item); err != nil {
		return fmt.Errorf("place hold on %s: %w", h.Resource, err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("place hold on %s: %w", h.Resource, err)
	}
	return nil
}

// ActiveHold returns the resource's hold if it has not run out, else nil.
// TTL deletion is lazy, so expiry is checked here, not left to DynamoDB. A
// hold that runs beyond the hold maximum or does not verify is reported
// and ignored: it must never stop a fix.
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
	h := &Hold{Resource: resource, AuditID: str(out.Item["audit_id"]), By: str(out.Item["by"])}
	h.Until, _ = time.Parse(time.RFC3339, str(out.Item["until"]))
	if !now.Before(h.Until) {
		return nil, nil // run out: not acted on, so not verified
	}
	if max := s.holdMax(); h.Until.Sub(now) > max {
		s.report(ctx, DomainHold, out.Item, resource, fmt.Sprintf("%s (%s, until %s)", ReasonTooLong, max, h.Until.Format(time.RFC3339)))
		return nil, nil
	}
	ok, err := s.verifyItem(ctx, DomainHold, out.Item, resource)
	if err != nil {
		return nil, fmt.Errorf("verify hold on %s: %w", resource, err)
	}
	if !ok {
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
