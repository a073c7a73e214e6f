package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// Store reads and writes the audit table. Every item it writes carries a
// MAC; every item it acts on is verified first. An item that does not
// verify is treated as absent (a lease is replaced) and handed to
// OnInvalid. Without a MAC the store can only read, unverified, for display.
type Store struct {
	DB    DynamoDB
	Table string
	MAC   *MAC
	// HoldMax bounds how far ahead a hold may run; a longer one is forged.
	HoldMax time.Duration
	// OnInvalid hears of every item ignored because it failed
	// authentication; gcguard raises a critical notice from it.
	OnInvalid func(ctx context.Context, bad InvalidItem)

	mu         sync.Mutex
	goodLeases map[string]bool // MACs of leases already verified
}

// DefaultHoldMax is the hold maximum when none is configured.
const DefaultHoldMax = 24 * time.Hour

func (s *Store) holdMax() time.Duration {
	if s.HoldMax > 0 {
		return s.HoldMax
	}
	return DefaultHoldMax
}

// verifies says whether reads are authenticated (a MAC key is configured).
func (s *Store) verifies() bool { return s.MAC != nil && s.MAC.KeyARN != "" }

// ErrUnverified says a record failed authentication and is not acted on.
var ErrUnverified = errors.New("does not verify against gcguard's MAC key: it was altered or forged, and gcguard will not act on it")

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

// signed is the record's item with its MAC: one GenerateMac.
func (s *Store) signed(ctx context.Context, r *Record) (map[string]types.AttributeValue, error) {
	item, err := s.item(r)
	if err != nil {
		return nil, err
	}
	if err := s.signItem(ctx, DomainRecord, item); err != nil {
		return nil, fmt.Errorf("audit record %s: %w", r.ID, err)
	}
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
	r.MAC = str(item[AttrMAC])
	return &r, nil
}

// verified decodes an item and authenticates it; ok false means it failed
// (and was reported).
func (s *Store) verified(ctx context.Context, item map[string]types.AttributeValue) (*Record, bool, error) {
	r, err := decode(item)
	if err != nil {
		if s.verifies() {
			// A record gcguard cannot even decode was not written by it.
			s.report(ctx, DomainRecord, item, str(item["resource"]), "it cannot be decoded: "+err.Error())
			return nil, false, nil
		}
		return nil, false, err
	}
	if !s.verifies() {
		return r, true, nil
	}
	ok, err := s.verifyItem(ctx, DomainRecord, item, r.Resource)
	return r, ok, err
}

// Begin stores a new record. It never overwrites: the condition makes a
// replayed id fail rather than erase history.
func (s *Store) Begin(ctx context.Context, r *Record) error {
	if r.ID == "" || r.Resource == "" || r.Created.IsZero() {
		return errors.New("audit record needs id, resource and created time")
	}
	r.Updated = r.Created
	item, err := s.signed(ctx, r)
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
	r.MAC = str(item[AttrMAC])
	return nil
}

// rewrite stores the changed attributes of a record with its new MAC. The
// update is conditional on the item's MAC being the one gcguard last
// wrote, so the stored item is always exactly what was signed.
func (s *Store) rewrite(ctx context.Context, r *Record, attrs ...string) error {
	prev := r.MAC
	item, err := s.signed(ctx, r)
	if err != nil {
		return err
	}
	names := map[string]string{"#mac": AttrMAC}
	values := map[string]types.AttributeValue{":prev": &types.AttributeValueMemberS{Value: prev}, ":mac": item[AttrMAC]}
	sets, removes := []string{"#mac = :mac"}, []string(nil)
	for i, a := range attrs {
		n := fmt.Sprintf("#a%d", i)
		names[n] = a
		if v, ok := item[a]; ok {
			values[fmt.Sprintf(":v%d", i)] = v
			sets = append(sets, fmt.Sprintf("%s = :v%d", n, i))
		} else {
			removes = append(removes, n)
		}
	}
	expr := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       s.key(r),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(pk) AND #mac = :prev"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("update audit record %s %s: %w", r.ID, strings.Join(attrs, ", "), err)
	}
	r.MAC = str(item[AttrMAC])
	return nil
}

// Finish moves a record to its final status.
func (s *Store) Finish(ctx context.Context, r *Record, status Status, errText string, now time.Time) error {
	r.Status, r.Error, r.Updated = status, errText, now.UTC()
	return s.rewrite(ctx, r, "status", "outcome", "error", "updated")
}

// MarkNotified records that the notice went out.
func (s *Store) MarkNotified(ctx context.Context, r *Record) error {
	was := r.Notified
	r.Notified = true
	if err := s.rewrite(ctx, r, "notified"); err != nil {
		r.Notified = was
		return err
	}
	return nil
}

// MarkReverted links a record to the revert that undid it.
func (s *Store) MarkReverted(ctx context.Context, r *Record, revertID string) error {
	was := r.RevertedBy
	r.RevertedBy = revertID
	if err := s.rewrite(ctx, r, "reverted_by"); err != nil {
		r.RevertedBy = was
		return err
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
	r, ok, err := s.verified(ctx, out.Items[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("audit record %s %w", id, ErrUnverified)
	}
	return r, nil
}

// History lists a resource's authenticated records, newest first, at most
// limit (0 = all). Records that fail authentication are left out and reported.
func (s *Store) History(ctx context.Context, resource string, limit int) ([]*Record, error) {
	return s.history(ctx, resource, limit, 0, func(*Record) bool { return true })
}

// history lists the records keep selects among the newest scan (0 = all),
// verifying only those: a record gcguard does not act on costs no VerifyMac.
func (s *Store) history(ctx context.Context, resource string, limit, scan int, keep func(*Record) bool) ([]*Record, error) {
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
	seen := 0
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read history of %s: %w", resource, err)
		}
		for _, it := range out.Items {
			if seen++; scan > 0 && seen > scan {
				return recs, nil
			}
			if r, err := decode(it); err == nil && !keep(r) {
				continue
			}
			r, ok, err := s.verified(ctx, it)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
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
			r, ok, err := s.verified(ctx, it)
			if err != nil {
				return nil, err
			}
			if ok {
				recs = append(recs, r)
			}
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
	// Only the event's unannounced records are acted on, so only they are
	// verified; the scan stays bounded by the 20 newest.
	return s.history(ctx, resource, 0, 20, func(r *Record) bool { return r.EventID == eventID && !r.Notified })
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
