package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }

func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// The canonical form does not depend on the order attributes, map keys or
// set members come in, and leaves out only the MAC.
func TestCanonicalOrderIndependent(t *testing.T) {
	a := map[string]types.AttributeValue{
		"pk": S("RES#x"), "sk": S("HOLD"),
		"actor": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"kind": S("sso_user"), "name": S("a@b"), "arn": S("arn:x")}},
		"tags":  &types.AttributeValueMemberSS{Value: []string{"b", "a", "c"}},
	}
	b := map[string]types.AttributeValue{}
	keys := []string{"tags", "actor", "sk", "pk"}
	for _, k := range keys {
		b[k] = a[k]
	}
	b["actor"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"arn": S("arn:x"), "name": S("a@b"), "kind": S("sso_user")}}
	b["tags"] = &types.AttributeValueMemberSS{Value: []string{"c", "a", "b"}}
	b[audit.AttrMAC] = S("whatever")
	if !bytes.Equal(audit.Canonical("hold", a), audit.Canonical("hold", b)) {
		t.Fatal("canonical form depends on order or on the MAC attribute")
	}
	if bytes.Equal(audit.Canonical("hold", a), audit.Canonical("lease", a)) {
		t.Fatal("the domain is not part of the canonical form")
	}
	// Values that would run together in a naive join stay apart.
	x := map[string]types.AttributeValue{"a": S("bc"), "d": S("")}
	y := map[string]types.AttributeValue{"a": S("b"), "d": S("c")}
	if bytes.Equal(audit.Canonical("r", x), audit.Canonical("r", y)) {
		t.Fatal("length prefixes missing: different items encode alike")
	}
	// A type change is a change.
	if bytes.Equal(audit.Canonical("r", map[string]types.AttributeValue{"n": S("1")}), audit.Canonical("r", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "1"}})) {
		t.Fatal("attribute type not covered")
	}
}

// store is an audit store on moto with a fresh HMAC key.
func store(t *testing.T) (*audit.Store, *dynamodb.Client) {
	t.Helper()
	moto.ResetT(t)
	ctx := context.Background()
	cfg, err := moto.Config(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	k := kms.NewFromConfig(cfg)
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac})
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	s := &audit.Store{DB: db, Table: "audit", MAC: &audit.MAC{KMS: k, KeyARN: aws.ToString(key.KeyMetadata.Arn)}}
	if err := s.CreateTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	return s, db
}

func rawItems(t *testing.T, db *dynamodb.Client) []map[string]types.AttributeValue {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// Altering any one attribute of a stored record (pk and sk included) breaks
// its MAC; every field that decides a fix or a revert is among them.
func TestEveryRecordFieldIsSigned(t *testing.T) {
	s, db := store(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rec := &audit.Record{
		ID: audit.NewID(now), Resource: "arn:aws:iam::123456789012:role/app", Kind: "role", Region: "us-east-1", Account: "123456789012",
		Rule: "roletrust", Mode: "enforce", Status: audit.Planned, Outcome: finding.Fixed, EventID: "ev-1", EventName: "CreateRole", EventTime: now,
		Actor:      cloudtrail.Actor{Kind: "sso_user", Name: "taro@example.jp", Email: "taro@example.jp", ARN: "arn:aws:sts::123456789012:assumed-role/x/taro", Account: "123456789012"},
		Violations: []finding.Code{finding.TrustPolicyOverbroad}, Actions: []string{"tighten"}, BeforeText: "b", AfterText: "a",
		Before: json.RawMessage(`"{\"Version\":\"2012-10-17\"}"`), After: json.RawMessage(`{"Version":"2012-10-17"}`),
		Target: json.RawMessage(`{"arn":"arn:aws:iam::123456789012:role/app","role":"app"}`), Irreversible: "x", Error: "e", RevertOf: "r", RevertedBy: "rb",
		Notified: false, Created: now,
	}
	if err := s.Begin(ctx, rec); err != nil {
		t.Fatal(err)
	}
	items := rawItems(t, db)
	if len(items) != 1 {
		t.Fatalf("want one item, got %d", len(items))
	}
	item := items[0]
	mac := item[audit.AttrMAC].(*types.AttributeValueMemberS).Value
	if ok, err := s.MAC.Verify(ctx, audit.DomainRecord, item, mac); err != nil || !ok {
		t.Fatalf("the stored record does not verify: %v %v", ok, err)
	}
	for _, must := range []string{"pk", "sk", "id", "resource", "rule", "account", "region", "status", "before", "after", "target", "actor", "event_id", "created", "updated", "irreversible", "revert_of", "reverted_by", "notified", "mode", "outcome"} {
		if _, ok := item[must]; !ok {
			t.Errorf("record item lacks signed attribute %q", must)
		}
	}
	var names []string
	for k := range item {
		if k != audit.AttrMAC {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			altered := map[string]types.AttributeValue{}
			for k, v := range item {
				altered[k] = v
			}
			switch v := item[name].(type) {
			case *types.AttributeValueMemberS:
				altered[name] = S(v.Value + "x")
			case *types.AttributeValueMemberBOOL:
				altered[name] = &types.AttributeValueMemberBOOL{Value: !v.Value}
			case *types.AttributeValueMemberM:
				m := map[string]types.AttributeValue{}
				for k, x := range v.Value {
					m[k] = x
				}
				m["name"] = S("mallory")
				altered[name] = &types.AttributeValueMemberM{Value: m}
			case *types.AttributeValueMemberL:
				altered[name] = &types.AttributeValueMemberL{Value: append(append([]types.AttributeValue{}, v.Value...), S("extra"))}
			default:
				altered[name] = S("replaced")
			}
			if ok, err := s.MAC.Verify(ctx, audit.DomainRecord, altered, mac); err != nil || ok {
				t.Fatalf("altered %s still verifies (ok=%v err=%v)", name, ok, err)
			}
			delete(altered, name)
			if ok, _ := s.MAC.Verify(ctx, audit.DomainRecord, altered, mac); ok {
				t.Fatalf("record without %s still verifies", name)
			}
		})
	}
	// An added attribute is an alteration too.
	added := map[string]types.AttributeValue{"hold_until": S("2099-01-01")}
	for k, v := range item {
		added[k] = v
	}
	if ok, _ := s.MAC.Verify(ctx, audit.DomainRecord, added, mac); ok {
		t.Fatal("a record with an added attribute still verifies")
	}
}

// Updates re-sign the whole record and only succeed on the item last
// signed; a record edited in between is neither overwritten nor trusted.
func TestRecordUpdatesStaySigned(t *testing.T) {
	s, db := store(t)
	ctx := context.Background()
	now := time.Now().UTC()
	rec := &audit.Record{ID: audit.NewID(now), Resource: "arn:aws:s3:::b", Rule: "bucket", Status: audit.Planned, Created: now}
	if err := s.Begin(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, rec, audit.Applied, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNotified(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, rec.ID)
	if err != nil || got.Status != audit.Applied || !got.Notified {
		t.Fatalf("Get after updates: %+v %v", got, err)
	}
	item := rawItems(t, db)[0]
	item["status"] = S(string(audit.Failed))
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("audit"), Item: item}); err != nil {
		t.Fatal(err)
	}
	var reported []audit.InvalidItem
	s.OnInvalid = func(_ context.Context, bad audit.InvalidItem) { reported = append(reported, bad) }
	if _, err := s.Get(ctx, rec.ID); err == nil {
		t.Fatal("an edited record was returned")
	}
	if recs, err := s.History(ctx, rec.Resource, 0); err != nil || len(recs) != 0 {
		t.Fatalf("History returned an edited record: %+v %v", recs, err)
	}
	if len(reported) != 2 || reported[0].Kind != audit.DomainRecord {
		t.Fatalf("reported %+v", reported)
	}
	// gcguard's next update signs gcguard's own state; the edited
	// attribute stays in the table, so the item still does not verify.
	if err := s.MarkReverted(ctx, got, "rv"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, rec.ID); err == nil {
		t.Fatal("an update laundered an edited record into a valid one")
	}
	// An update against a MAC that is no longer there fails.
	stale := *got
	stale.MAC = "c3RhbGU="
	if err := s.Finish(ctx, &stale, audit.Failed, "", now); err == nil {
		t.Fatal("an update overwrote a record that changed since it was read")
	}
}

// Without a MAC key nothing is written.
func TestNoKeyNoWrite(t *testing.T) {
	_, db := store(t)
	s := &audit.Store{DB: db, Table: "audit"}
	now := time.Now()
	if err := s.Begin(context.Background(), &audit.Record{ID: audit.NewID(now), Resource: "arn:aws:s3:::b", Created: now}); err == nil {
		t.Fatal("a record was written unsigned")
	}
	if err := s.PlaceHold(context.Background(), audit.Hold{Resource: "arn:aws:s3:::b", Until: now.Add(time.Hour)}); err == nil {
		t.Fatal("a hold was written unsigned")
	}
	if len(rawItems(t, db)) != 0 {
		t.Fatal("items were written")
	}
}
