package rules_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/sandbox"
)

// createKey makes a customer-managed key in region (moto answers
// KeyManager CUSTOMER, KeyState Enabled); disabled turns it off.
func (w *bucketWorld) createKey(t *testing.T, region string, disabled bool) string {
	t.Helper()
	c := kms.NewFromConfig(w.sb.AWS, func(o *kms.Options) { o.Region = region })
	k, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("the owner's key")})
	if err != nil {
		t.Fatal(err)
	}
	if disabled {
		if _, err := c.DisableKey(context.Background(), &kms.DisableKeyInput{KeyId: k.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(k.KeyMetadata.Arn)
}

// otherKeyDeny returns the key ARN gcguard's "other key" Deny allows.
func otherKeyDeny(t *testing.T, text string) string {
	t.Helper()
	doc := parseDoc(t, text)
	for _, s := range doc.Statements {
		if s.Sid == policy.SidDenyOtherKMSKey && s.Condition != nil {
			for _, b := range s.Condition.Blocks {
				for _, e := range b.Entries {
					if b.Operator == "StringNotEquals" && len(e.Values) > 0 {
						return e.Values[0].Text
					}
				}
			}
		}
	}
	return ""
}

// Issue classes #8 and #10 on moto: customer-managed keys are kept or
// replaced by what kms:DescribeKey says, and log-delivery buckets (CloudTrail
// and Config included) keep their encryption while public grants go.
func TestBucketKeysAndDelivery(t *testing.T) {
	type state struct{ ownKey string }
	scenarios := []struct {
		name  string
		setup func(t *testing.T, w *bucketWorld, st *state)
		event string
		check func(t *testing.T, w *bucketWorld, st *state)
	}{{
		name: "an enabled customer-managed key of the same account and region is kept; the other-key Deny names it",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			st.ownKey = w.createKey(t, tokyo, false)
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms, st.ownKey, true)
		},
		event: "s3/put-bucket-encryption-rule-list.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Key != st.ownKey {
				t.Fatalf("the owner's key was swapped: %+v", v)
			}
			if m := calls(w.proxy.Mutating("s3")); strings.Contains(m, "PutBucketEncryption") {
				t.Fatalf("encryption written: %s", m)
			}
			if got := otherKeyDeny(t, v.Policy); got != st.ownKey {
				t.Fatalf("other-key Deny allows %q, want the bucket's key %s", got, st.ownKey)
			}
			if n := w.notices(t, 1)[0]; slices.Contains(n.Violations, finding.BucketKeyWrong) {
				t.Fatalf("a compliant key reported: %v", n.Violations)
			}
		},
	}, {
		name: "a disabled customer-managed key is replaced by the region's key",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			st.ownKey = w.createKey(t, tokyo, true)
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms, st.ownKey, true)
		},
		event: "s3/put-bucket-encryption-rule-list.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			if v := w.view(t, fixtureBucket, tokyo); v.Key != w.keys[tokyo] {
				t.Fatalf("key: %+v", v)
			}
			if n := w.notices(t, 1)[0]; !slices.Contains(n.Violations, finding.BucketKeyWrong) {
				t.Fatalf("violations: %v", n.Violations)
			}
		},
	}, {
		name: "a key of another account is replaced by the region's key",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms,
				"arn:aws:kms:ap-northeast-1:999999999999:key/0b0c0d0e-1111-2222-3333-444455556666", true)
		},
		event: "s3/put-bucket-encryption-rule-list.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			if v := w.view(t, fixtureBucket, tokyo); v.Key != w.keys[tokyo] {
				t.Fatalf("key: %+v", v)
			}
		},
	}, {
		name: "s3Keys gcguard-only: even an enabled customer-managed key is replaced",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			w.sb.Config.S3Keys = config.S3KeysGcguardOnly
			st.ownKey = w.createKey(t, tokyo, false)
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms, st.ownKey, true)
		},
		event: "s3/put-bucket-encryption-rule-list.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			if v := w.view(t, fixtureBucket, tokyo); v.Key != w.keys[tokyo] {
				t.Fatalf("key: %+v", v)
			}
		},
	}, {
		name: "a CloudTrail delivery bucket that is also public: the public grant goes, encryption stays, no upload Denies",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAes256, "", false)
			w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(map[string]any{"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
				"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
				"Resource":  "arn:aws:s3:::" + fixtureBucket + "/AWSLogs/" + sandbox.Account + "/*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": sandbox.Account, "s3:x-amz-acl": "bucket-owner-full-control"}},
			}, publicRead(fixtureBucket)))
		},
		event: "s3/put-bucket-policy-public.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			v := w.view(t, fixtureBucket, tokyo)
			if got := sids(t, v.Policy); !slices.Equal(got, []string{"AWSCloudTrailWrite", policy.SidDenyInsecureTransport}) {
				t.Fatalf("policy sids %v", got)
			}
			if v.Algorithm != "AES256" || !v.allOn() {
				t.Fatalf("view: %+v", v)
			}
			if n := w.notices(t, 1)[0]; !slices.Contains(n.Violations, finding.BucketPublic) || n.Outcome != finding.Fixed {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "an AWS Config delivery bucket keeps SSE-S3",
		setup: func(t *testing.T, w *bucketWorld, st *state) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAes256, "", false)
			w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(map[string]any{"Sid": "AWSConfigBucketDelivery", "Effect": "Allow",
				"Principal": map[string]any{"Service": "config.amazonaws.com"}, "Action": "s3:PutObject",
				"Resource":  "arn:aws:s3:::" + fixtureBucket + "/AWSLogs/" + sandbox.Account + "/Config/*",
				"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceAccount": sandbox.Account}},
			}))
		},
		event: "s3/delete-bucket-encryption.json",
		check: func(t *testing.T, w *bucketWorld, st *state) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Algorithm != "AES256" {
				t.Fatalf("encryption: %+v", v)
			}
			if got := sids(t, v.Policy); !slices.Equal(got, []string{"AWSConfigBucketDelivery", policy.SidDenyInsecureTransport}) {
				t.Fatalf("policy sids %v", got)
			}
		},
	}}
	for _, way := range sandbox.Ways(bucketFn, guardrail.Default, "bucket") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newBucketWorld(t)
				st := &state{}
				sc.setup(t, w, st)
				invoke := way.Start(t, w.sb)
				w.proxy.Reset()
				w.bodies.reset()
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				if err := invoke(ctx, w.event(t, sc.event)); err != nil {
					t.Fatalf("invoke: %v", err)
				}
				sc.check(t, w, st)
			})
		}
	}
}
