package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB is the part of the DynamoDB client the store uses.
type DynamoDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// Store reads and writes the audit table.
type Store struct {
	DB    DynamoDB
	Table string
}

// Table attribute and index names; the CDK app creates the same schema.
const (
	AttrPK        = "pk"
	AttrSK        = "sk"
	AttrID        = "id"
	AttrExpiresAt = "expires_at"
	IndexByID     = "by-id"
)

// ErrNotFound says no record has the id.
var ErrNotFound = errors.New("no audit record with that id")

func resourcePK(resource string) string { return "RES#" + resource }

func recordSK(r *Record) string {
	return "REC#" + r.Created.UTC().Format(time.RFC3339Nano) + "#" + r.ID
}

func (s *Store) item(r *Record) (map[string]types.AttributeValue, error) {
	r.FindingsJSON = string(orNull(mustJSON(r.Findings)))
	r.BeforeJSON = string(orNull(r.Before))
	r.AfterJSON = string(orNull(r.After))
	r.TargetJSON = string(orNull(r.Target))
	item, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, fmt.Errorf("encode audit record %s: %w", r.ID, err)
	}
	item[AttrPK] = &types.AttributeValueMemberS{Value: resourcePK(r.Resource)}
	item[AttrSK] = &types.AttributeValueMemberS{Value: recordSK(r)}
	return item, nil
}

func decode(item map[string]types.AttributeValue) (*Record, error) {
	var r Record
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return nil, fmt.Errorf("decode audit record: %w", err)
	}
	if r.FindingsJSON != "" && r.FindingsJSON != "null" {
		if err := json.Unmarshal([]byte(r.FindingsJSON), &r.Findings); err != nil {
			return nil, fmt.Errorf("decode audit record %s findings: %w", r.ID, err)
		}
	}
	r.Before = rawOrNil(r.BeforeJSON)
	r.After = rawOrNil(r.AfterJSON)
	r.Target = rawOrNil(r.TargetJSON)
	return &r, nil
}

// Begin stores a new record. It never overwrites: the condition makes a
// replayed id fail rather than erase history.
func (s *Store) Begin(ctx context.Context, r *Record) error {
	if r.ID == "" || r.Resource == "" || r.Created.IsZero() {
		return errors.New("audit record needs id, resource and created time")
	}
	r.Updated = r.Created
	item, err := s.item(r)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.Table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		return fmt.Errorf("store audit record %s for %s: %w", r.ID, r.Resource, err)
	}
	return nil
}

// Finish moves a record to its final status.
func (s *Store) Finish(ctx context.Context, r *Record, status Status, errText string, now time.Time) error {
	r.Status, r.Error, r.Updated = status, errText, now.UTC()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      s.key(r),
		UpdateExpression:         aws.String("SET #st = :st, outcome = :oc, #err = :err, updated = :up"),
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#st": "status", "#err": "error"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st":  &types.AttributeValueMemberS{Value: string(status)},
			":oc":  &types.AttributeValueMemberS{Value: string(r.Outcome)},
			":err": &types.AttributeValueMemberS{Value: errText},
			":up":  &types.AttributeValueMemberS{Value: r.Updated.Format(time.RFC3339Nano)},
		},
	})
	if err != nil {
		return fmt.Errorf("mark audit record %s %s: %w", r.ID, status, err)
	}
	return nil
}

// MarkNotified records that the notice went out.
func (s *Store) MarkNotified(ctx context.Context, r *Record) error {
	return s.set(ctx, r, "notified", &types.AttributeValueMemberBOOL{Value: true})
}

// MarkReverted links a record to the revert that undid it.
func (s *Store) MarkReverted(ctx context.Context, r *Record, revertID string) error {
	if err := s.set(ctx, r, "reverted_by", &types.AttributeValueMemberS{Value: revertID}); err != nil {
		return err
	}
	r.RevertedBy = revertID
	return nil
}

func (s *Store) set(ctx context.Context, r *Record, attr string, v types.AttributeValue) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       s.key(r),
		UpdateExpression:          aws.String("SET #a = :v"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#a": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": v},
	})
	if err != nil {
		return fmt.Errorf("update audit record %s %s: %w", r.ID, attr, err)
	}
	return nil
}

func (s *Store) key(r *Record) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: resourcePK(r.Resource)},
		AttrSK: &types.AttributeValueMemberS{Value: recordSK(r)},
	}
}

// Get finds a record by id.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(IndexByID),
		KeyConditionExpression:    aws.String("id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		return nil, fmt.Errorf("look up audit record %s: %w", id, err)
	}
	if len(out.Items) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return decode(out.Items[0])
}

// History lists a resource's records, newest first, at most limit (0 = all).
func (s *Store) History(ctx context.Context, resource string, limit int) ([]*Record, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :rec)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: resourcePK(resource)},
			":rec": &types.AttributeValueMemberS{Value: "REC#"},
		},
		ScanIndexForward: aws.Bool(false),
	}
	var recs []*Record
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", resource, err)
		}
		for _, it := range out.Items {
			r, err := decode(it)
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
			if limit > 0 && len(recs) == limit {
				return recs, nil
			}
		}
	}
	return recs, nil
}

// All lists every record, newest first, at most limit (0 = all). It scans
// the table: meant for the CLI, not for the functions.
func (s *Store) All(ctx context.Context, limit int) ([]*Record, error) {
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.Table),
		FilterExpression:          aws.String("begins_with(sk, :rec)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":rec": &types.AttributeValueMemberS{Value: "REC#"}},
	}
	var recs []*Record
	p := dynamodb.NewScanPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan audit table %s: %w", s.Table, err)
		}
		for _, it := range out.Items {
			r, err := decode(it)
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Created.After(recs[j].Created) })
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	return recs, nil
}

// Unnotified returns the resource's records for an event whose notice has
// not gone out yet, so a retried event sends it even though the fix is
// already in place. A record still planned counts too: its write happened
// or not, but the caller asks only once the resource is compliant (or
// gone) and under its lease, so no other invocation is mid-write, and the
// notice must not be lost because the final audit update failed.
func (s *Store) Unnotified(ctx context.Context, resource, eventID string) ([]*Record, error) {
	recs, err := s.History(ctx, resource, 20)
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, r := range recs {
		if r.EventID == eventID && !r.Notified {
			out = append(out, r)
		}
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

func rawOrNil(s string) json.RawMessage {
	if s == "" || s == "null" {
		return nil
	}
	return json.RawMessage(s)
}

func epoch(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
