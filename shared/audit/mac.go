package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// AttrMAC holds an item's HMAC (base64) over every other attribute.
const AttrMAC = "mac"

// Domains keep a MAC made for one kind of item from being valid for another.
const (
	DomainRecord     = "record"
	DomainHold       = "hold"
	DomainLease      = "lease"
	DomainCheckpoint = "checkpoint"
	DomainExemption  = "exemption"
)

// KMSAPI is the part of the KMS client the MAC uses.
type KMSAPI interface {
	GenerateMac(ctx context.Context, in *kms.GenerateMacInput, optFns ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
	VerifyMac(ctx context.Context, in *kms.VerifyMacInput, optFns ...func(*kms.Options)) (*kms.VerifyMacOutput, error)
}

var _ KMSAPI = (*kms.Client)(nil)

// MAC authenticates gcguard's state with a KMS HMAC key that only gcguard's
// functions and its revert role may use: anyone else can write the table or
// the parameter, but cannot produce an item gcguard will act on.
type MAC struct {
	KMS    KMSAPI
	KeyARN string
}

// ErrNoMACKey says no MAC key is configured: nothing may be written, since
// a record gcguard cannot authenticate later is no record at all.
var ErrNoMACKey = errors.New("no MAC key configured (GCGUARD_MAC_KEY_ARN): gcguard's state cannot be signed")

// KeyError says KMS could not sign or verify: the call failed (transient,
// to retry) or the key is unusable (disabled, deleted, not an HMAC key, no
// permission), in which case gcguard writes nothing and says so loudly.
type KeyError struct {
	Op, KeyARN string
	Err        error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("%s with MAC key %s: %v", e.Op, e.KeyARN, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Sign returns the base64 MAC of item (its "mac" attribute excluded) for
// domain: one GenerateMac call.
func (m *MAC) Sign(ctx context.Context, domain string, item map[string]types.AttributeValue) (string, error) {
	if m == nil || m.KeyARN == "" {
		return "", ErrNoMACKey
	}
	out, err := m.KMS.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId: aws.String(m.KeyARN), MacAlgorithm: kmstypes.MacAlgorithmSpecHmacSha256, Message: Digest(domain, item),
	})
	if err != nil {
		return "", &KeyError{Op: "sign " + domain, KeyARN: m.KeyARN, Err: err}
	}
	return base64.StdEncoding.EncodeToString(out.Mac), nil
}

// Verify reports whether mac authenticates item for domain: one VerifyMac
// call. A missing, malformed or wrong MAC is false with a nil error; an
// error means KMS could not answer (transient, or the key is unusable).
func (m *MAC) Verify(ctx context.Context, domain string, item map[string]types.AttributeValue, mac string) (bool, error) {
	if m == nil || m.KeyARN == "" {
		return false, ErrNoMACKey
	}
	raw, err := base64.StdEncoding.DecodeString(mac)
	if mac == "" || err != nil || len(raw) == 0 {
		return false, nil
	}
	out, err := m.KMS.VerifyMac(ctx, &kms.VerifyMacInput{
		KeyId: aws.String(m.KeyARN), MacAlgorithm: kmstypes.MacAlgorithmSpecHmacSha256, Message: Digest(domain, item), Mac: raw,
	})
	var bad *kmstypes.KMSInvalidMacException
	if errors.As(err, &bad) {
		return false, nil
	}
	if err != nil {
		return false, &KeyError{Op: "verify " + domain, KeyARN: m.KeyARN, Err: err}
	}
	return out.MacValid, nil
}

// Digest is what is sent to KMS: the SHA-256 of the canonical form, so an
// item of any size (a 20 KB bucket policy) fits KMS's 4,096-byte message.
func Digest(domain string, item map[string]types.AttributeValue) []byte {
	sum := sha256.Sum256(Canonical(domain, item))
	return sum[:]
}

// Canonical is the deterministic encoding of an item for domain: every
// attribute but "mac", keys sorted, each value tagged with its type and
// length-prefixed, so neither attribute order nor a value that looks like
// a separator can make two different items encode alike. The key
// attributes (pk, sk) are covered, so an item cannot be moved to another
// resource's partition.
func Canonical(domain string, item map[string]types.AttributeValue) []byte {
	b := []byte("gcguard-mac/v1")
	b = putString(b, domain)
	b = putMap(b, item, true)
	return b
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func putMap(b []byte, m map[string]types.AttributeValue, top bool) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		if top && k == AttrMAC {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = putString(b, k)
		b = putValue(b, m[k])
	}
	return b
}

func putSet(b []byte, tag byte, vs []string) []byte {
	vs = slices.Clone(vs)
	sort.Strings(vs)
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = putString(b, v)
	}
	return b
}

func putValue(b []byte, v types.AttributeValue) []byte {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return putString(append(b, 'S'), v.Value)
	case *types.AttributeValueMemberN:
		return putString(append(b, 'N'), v.Value)
	case *types.AttributeValueMemberB:
		return putString(append(b, 'B'), string(v.Value))
	case *types.AttributeValueMemberBOOL:
		if v.Value {
			return append(b, 'T')
		}
		return append(b, 'F')
	case *types.AttributeValueMemberNULL:
		return append(b, '0')
	case *types.AttributeValueMemberL:
		b = append(b, 'L')
		b = binary.AppendUvarint(b, uint64(len(v.Value)))
		for _, e := range v.Value {
			b = putValue(b, e)
		}
		return b
	case *types.AttributeValueMemberM:
		return putMap(append(b, 'M'), v.Value, false)
	case *types.AttributeValueMemberSS:
		return putSet(b, 's', v.Value)
	case *types.AttributeValueMemberNS:
		return putSet(b, 'n', v.Value)
	case *types.AttributeValueMemberBS:
		s := make([]string, len(v.Value))
		for i, x := range v.Value {
			s[i] = string(x)
		}
		return putSet(b, 'b', s)
	}
	// An attribute type this code does not know still changes the digest.
	return putString(append(b, '?'), fmt.Sprintf("%T", v))
}

// InvalidItem is a piece of gcguard's state that failed authentication and
// was ignored.
type InvalidItem struct {
	Where    string // "audit table gcguard-audit" or "parameter /gcguard/exemptions"
	Kind     string // record, hold, lease, checkpoint, exemption
	Key      string // the item's key (pk/sk) or the entry's index
	Resource string // the resource it names, if any
	Reason   string
}

func (b InvalidItem) String() string {
	return fmt.Sprintf("%s: %s %s ignored: %s", b.Where, b.Kind, b.Key, b.Reason)
}

// Reasons an item is not acted on.
const (
	ReasonNoMAC    = "it carries no MAC: it was not written by gcguard"
	ReasonBadMAC   = "its MAC does not verify: an attribute was altered or the item was forged"
	ReasonTooLong  = "it runs beyond the configured hold maximum"
	ReasonUnsigned = "the parameter is in the old unsigned format: no entry of it applies"
)

// signItem adds the item's MAC.
func (s *Store) signItem(ctx context.Context, domain string, item map[string]types.AttributeValue) error {
	mac, err := s.MAC.Sign(ctx, domain, item)
	if err != nil {
		return err
	}
	item[AttrMAC] = &types.AttributeValueMemberS{Value: mac}
	return nil
}

// verifyItem checks an item read from the table. ok false means the item is
// not to be acted on; the reason was already reported. err is KMS's failure.
func (s *Store) verifyItem(ctx context.Context, domain string, item map[string]types.AttributeValue, resource string) (bool, error) {
	mac := str(item[AttrMAC])
	if mac == "" {
		s.report(ctx, domain, item, resource, ReasonNoMAC)
		return false, nil
	}
	ok, err := s.MAC.Verify(ctx, domain, item, mac)
	if err != nil {
		return false, err
	}
	if !ok {
		s.report(ctx, domain, item, resource, ReasonBadMAC)
	}
	return ok, nil
}

func (s *Store) report(ctx context.Context, domain string, item map[string]types.AttributeValue, resource, reason string) {
	bad := InvalidItem{
		Where: "audit table " + s.Table, Kind: domain, Resource: resource, Reason: reason,
		Key: fmt.Sprintf("pk=%q sk=%q", str(item[AttrPK]), str(item[AttrSK])),
	}
	if s.OnInvalid != nil {
		s.OnInvalid(ctx, bad)
	}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
