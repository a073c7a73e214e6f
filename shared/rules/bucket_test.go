package rules_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
	"github.com/gcguard/gcguard/shared/sandbox"
)

const bucketFn = "github.com/gcguard/gcguard/functions/bucket"

var bucketARN = s3rules.BucketARN("aws", fixtureBucket)

func TestBucketScenarios(t *testing.T) {
	scenarios := []struct {
		name    string
		setup   func(t *testing.T, w *bucketWorld)
		events  []string
		wantErr bool
		check   func(t *testing.T, w *bucketWorld)
	}{{
		name:   "a new bucket gets the Tokyo key, gcguard's statements, ACLs disabled and Block Public Access",
		setup:  func(t *testing.T, w *bucketWorld) { w.createBucket(t, fixtureBucket, tokyo) },
		events: []string{"s3/create-bucket.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Algorithm != "aws:kms" || v.Key != w.keys[tokyo] || !v.BucketKey {
				t.Fatalf("encryption: %+v", v)
			}
			if !v.allOn() || v.Ownership != "BucketOwnerEnforced" {
				t.Fatalf("BPA/ownership: %+v", v)
			}
			if got, want := sids(t, v.Policy), gcguardSids(w, fixtureBucket, tokyo); !slices.Equal(got, want) {
				t.Fatalf("policy sids %v, want %v", got, want)
			}
			assertSSECBlocked(t, w, 1)
			order := calls(w.proxy.Mutating(""))
			want := []string{"dynamodb:PutItem", "s3:PutPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketEncryption", "s3:PutBucketPolicy"}
			assertInOrder(t, order, want)
			recs := w.records(t, bucketARN)
			if len(recs) != 1 || recs[0].Status != audit.Applied || recs[0].Outcome != finding.Fixed {
				t.Fatalf("records: %+v", recs)
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.Fixed || !strings.HasPrefix(n.RevertCommand, "gcguard revert ") || n.Region != tokyo {
				t.Fatalf("notice: %+v", n)
			}
			for _, c := range []finding.Code{finding.BucketEncryptionNotKMS, finding.BucketPABOff, finding.BucketPolicyMissingTLSDeny} {
				if !slices.Contains(n.Violations, c) {
					t.Fatalf("notice lacks %s: %v", c, n.Violations)
				}
			}
		},
	}, {
		name: "AES256 goes back to SSE-KMS with SSE-C still blocked, and nothing else is written",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo, roleRead(fixtureBucket))
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAes256, "", false)
		},
		events: []string{"s3/put-bucket-encryption-aes256.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Algorithm != "aws:kms" || v.Key != w.keys[tokyo] || !v.BucketKey {
				t.Fatalf("encryption: %+v", v)
			}
			if m := calls(w.proxy.Mutating("s3")); m != "s3:PutBucketEncryption" {
				t.Fatalf("want only PutBucketEncryption, got %s", m)
			}
			assertSSECBlocked(t, w, 1)
		},
	}, {
		name: "an aws:kms rule naming aws/s3 (rule list) gets the region's key",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms, "alias/aws/s3", true)
		},
		events: []string{"s3/put-bucket-encryption-rule-list.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if v := w.view(t, fixtureBucket, tokyo); v.Key != w.keys[tokyo] {
				t.Fatalf("key: %+v", v)
			}
			if n := w.notices(t, 1)[0]; !slices.Contains(n.Violations, finding.BucketKeyWrong) {
				t.Fatalf("violations: %v", n.Violations)
			}
		},
	}, {
		name: "aws:kms:dsse with the region's key stays dual-layer (no bucket key), with SSE-C blocked",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKmsDsse, "arn:aws:kms:ap-northeast-1:123456789012:key/00000000-0000-0000-0000-000000000000", false)
		},
		events: []string{"s3/put-bucket-encryption-dsse.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Algorithm != "aws:kms:dsse" || v.Key != w.keys[tokyo] || v.BucketKey {
				t.Fatalf("encryption: %+v", v)
			}
			assertSSECBlocked(t, w, 1)
		},
	}, {
		name: "DeleteBucketPolicy: gcguard's statements come back, and nothing else",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo, roleRead(fixtureBucket))
			must(t, func() error {
				_, err := w.s3(tokyo).DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(fixtureBucket)})
				return err
			})
		},
		events: []string{"s3/delete-bucket-policy.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := calls(w.proxy.Mutating("s3")); m != "s3:PutBucketPolicy" {
				t.Fatalf("want only PutBucketPolicy, got %s", m)
			}
			got := sids(t, w.view(t, fixtureBucket, tokyo).Policy)
			if want := gcguardSids(w, fixtureBucket, tokyo); !slices.Equal(got, want) {
				t.Fatalf("policy sids %v, want exactly gcguard's %v", got, want)
			}
		},
	}, {
		name: "a public statement is removed; the owner's other statements stay, in order",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putPAB(t, fixtureBucket, tokyo, allOff())
			w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(roleRead(fixtureBucket), publicRead(fixtureBucket)))
		},
		events: []string{"s3/put-bucket-policy-public.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			want := append([]string{"AppRoleRead"}, gcguardSids(w, fixtureBucket, tokyo)...)
			if got := sids(t, v.Policy); !slices.Equal(got, want) {
				t.Fatalf("policy sids %v, want %v", got, want)
			}
			if !v.allOn() {
				t.Fatalf("BPA: %+v", v.PAB)
			}
			assertInOrder(t, calls(w.proxy.Mutating("s3")), []string{"s3:PutPublicAccessBlock", "s3:PutBucketPolicy"})
			if n := w.notices(t, 1)[0]; !slices.Contains(n.Violations, finding.BucketPublic) {
				t.Fatalf("violations: %v", n.Violations)
			}
		},
	}, {
		name: "Block Public Access off goes back on, and only that is written",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.putPAB(t, fixtureBucket, tokyo, allOff())
		},
		events: []string{"s3/put-bucket-public-access-block-off.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if !w.view(t, fixtureBucket, tokyo).allOn() {
				t.Fatal("BPA still off")
			}
			if m := calls(w.proxy.Mutating("s3")); m != "s3:PutPublicAccessBlock" {
				t.Fatalf("want only PutPublicAccessBlock, got %s", m)
			}
		},
	}, {
		name: "a public ACL: public grants removed before ACLs are disabled",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo)
			w.ownership(t, fixtureBucket, tokyo, types.ObjectOwnershipObjectWriter)
			must(t, func() error {
				_, err := w.s3(tokyo).PutBucketAcl(context.Background(), &s3.PutBucketAclInput{Bucket: aws.String(fixtureBucket), ACL: types.BucketCannedACLPublicRead})
				return err
			})
		},
		events: []string{"s3/put-bucket-acl-public.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			if v.Ownership != "BucketOwnerEnforced" || slices.Contains(v.Grants, "AllUsers:READ") {
				t.Fatalf("ACL/ownership: %+v", v)
			}
			if m := calls(w.proxy.Mutating("s3")); m != "s3:PutBucketAcl s3:PutBucketOwnershipControls" {
				t.Fatalf("writes: %s", m)
			}
		},
	}, {
		name: "a compliant bucket: no mutating call at all",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.compliant(t, fixtureBucket, tokyo, roleRead(fixtureBucket))
		},
		events: []string{"s3/create-bucket.json", "s3/put-bucket-ownership-controls.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("compliant bucket written: %s", calls(m))
			}
		},
	}, {
		name:   "a bucket in Osaka gets the Osaka key",
		setup:  func(t *testing.T, w *bucketWorld) { w.createBucket(t, fixtureBucket, osaka) },
		events: []string{"s3/create-bucket-osaka.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, osaka)
			if v.Algorithm != "aws:kms" || v.Key != w.keys[osaka] || !v.allOn() {
				t.Fatalf("Osaka bucket: %+v", v)
			}
			for _, c := range w.proxy.Mutating("s3") {
				if c.Region != osaka {
					t.Fatalf("write to %s sent to %s", c.Action, c.Region)
				}
			}
		},
	}, {
		name: "the event's region is a hint: GetBucketLocation decides the key",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, osaka)
		},
		events: []string{"s3/delete-bucket-encryption.json"}, // says ap-northeast-1
		check: func(t *testing.T, w *bucketWorld) {
			if v := w.view(t, fixtureBucket, osaka); v.Key != w.keys[osaka] {
				t.Fatalf("key: %+v", v)
			}
		},
	}, {
		name: "no key configured for the region: encryption reported, the rest fixed",
		setup: func(t *testing.T, w *bucketWorld) {
			delete(w.sb.Config.KMSKeys, tokyo)
			w.createBucket(t, fixtureBucket, tokyo)
		},
		events: []string{"s3/create-bucket.json"},
		check: func(t *testing.T, w *bucketWorld) {
			v := w.view(t, fixtureBucket, tokyo)
			if !v.NoEncryption || !v.allOn() || v.Ownership != "BucketOwnerEnforced" {
				t.Fatalf("view: %+v", v)
			}
			if n := w.notices(t, 1)[0]; !strings.Contains(n.After, "GCGUARD_KMS_KEYS") {
				t.Fatalf("notice does not say the key is missing: %q", n.After)
			}
		},
	}, {
		name: "a log-delivery bucket keeps its encryption and gets no upload Denies; BPA and the TLS Deny still apply",
		setup: func(t *testing.T, w *bucketWorld) {
			w.createBucket(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAes256, "", false)
			w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(map[string]any{"Sid": "ALBLogs", "Effect": "Allow",
				"Principal": map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
				"Action":    "s3:PutObject", "Resource": "arn:aws:s3:::" + fixtureBucket + "/AWSLogs/123456789012/*"}))
		},
		events: []string{"s3/delete-bucket-encryption.json"},
		check: func(t *testing.T, w *bucketWorld) {
			m := calls(w.proxy.Mutating("s3"))
			if strings.Contains(m, "PutBucketEncryption") {
				t.Fatalf("log-delivery bucket's encryption written: %s", m)
			}
			v := w.view(t, fixtureBucket, tokyo)
			if v.Algorithm != "AES256" || !v.allOn() {
				t.Fatalf("view: %+v", v)
			}
			if got := sids(t, v.Policy); !slices.Equal(got, []string{"ALBLogs", policy.SidDenyInsecureTransport}) {
				t.Fatalf("policy sids %v, want the owner's and the TLS Deny only", got)
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.Fixed || !strings.Contains(n.After, "log-delivery") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "the CDK bootstrap staging bucket (per CloudFormation) is reported, never written",
		setup: func(t *testing.T, w *bucketWorld) {
			w.cdkToolkit(t, fixtureBucket, tokyo)
			w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAwsKms, "", false)
		},
		events: []string{"s3/put-bucket-encryption-aes256.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := w.proxy.Mutating("s3"); len(m) != 0 {
				t.Fatalf("CDK staging bucket written: %s", calls(m))
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.WouldFix || !strings.Contains(n.Reason, "CDKToolkit/StagingBucket") || !strings.Contains(n.Reason, "--bootstrap-kms-key-id") {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name: "a bucket named like CDK's staging bucket but in no stack is fixed",
		setup: func(t *testing.T, w *bucketWorld) {
			w.subs[fixtureBucket] = "cdk-hnb659fds-assets-123456789012-ap-northeast-1"
			w.createBucket(t, w.subs[fixtureBucket], tokyo)
		},
		events: []string{"s3/create-bucket.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if v := w.view(t, w.subs[fixtureBucket], tokyo); v.Key != w.keys[tokyo] {
				t.Fatalf("look-alike bucket not fixed: %+v", v)
			}
		},
	}, {
		name:   "parameters omitted and no bucket named: reported, nothing written",
		events: []string{"s3/put-bucket-policy-omitted.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := w.proxy.Mutating("s3"); len(m) != 0 {
				t.Fatalf("writes: %s", calls(m))
			}
			n := w.notices(t, 1)[0]
			if n.Outcome != finding.WouldFix || n.Violations[0] != finding.RequestParametersOmitted {
				t.Fatalf("notice: %+v", n)
			}
		},
	}, {
		name:   "an old record with a list-valued Host",
		setup:  func(t *testing.T, w *bucketWorld) { w.createBucket(t, fixtureBucket, tokyo) },
		events: []string{"s3/put-bucket-policy-list-host.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if !w.view(t, fixtureBucket, tokyo).allOn() {
				t.Fatal("not fixed")
			}
		},
	}, {
		name:   "the bucket is gone: quiet",
		events: []string{"s3/create-bucket.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := w.proxy.Mutating(""); len(m) != 0 {
				t.Fatalf("writes: %s", calls(m))
			}
		},
	}, {
		name:   "read-only call: quiet",
		events: []string{"s3/get-bucket-policy-readonly.json"},
		check: func(t *testing.T, w *bucketWorld) {
			if m := w.proxy.Calls(); len(m) != 0 {
				t.Fatalf("calls: %s", calls(m))
			}
		},
	}}
	for _, way := range sandbox.Ways(bucketFn, guardrail.Default, "bucket") {
		for _, sc := range scenarios {
			t.Run(way.Name+"/"+sc.name, func(t *testing.T) {
				w := newBucketWorld(t)
				if sc.setup != nil {
					sc.setup(t, w)
				}
				invoke := way.Start(t, w.sb)
				w.proxy.Reset()
				w.bodies.reset()
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				var err error
				for _, ev := range sc.events {
					if e := invoke(ctx, w.event(t, ev)); e != nil {
						err = e
					}
				}
				if (err != nil) != sc.wantErr {
					t.Fatalf("error = %v, want error: %v", err, sc.wantErr)
				}
				sc.check(t, w)
			})
		}
	}
}

// Two events for one bucket at the same moment: the lease serializes them,
// each plans from what the other wrote, and no statement is lost.
func TestBucketConcurrentEvents(t *testing.T) {
	w := newBucketWorld(t)
	w.createBucket(t, fixtureBucket, tokyo)
	w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(roleRead(fixtureBucket), publicRead(fixtureBucket)))
	eng, err := w.sb.Engine(guardrail.Default, "bucket")
	if err != nil {
		t.Fatal(err)
	}
	eng.LeaseWait = 20 * time.Second
	events := [][]byte{w.event(t, "s3/put-bucket-policy-public.json"), w.event(t, "s3/create-bucket.json")}
	w.proxy.Reset()
	var wg sync.WaitGroup
	errs := make([]error, len(events))
	for i, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = eng.Handle(context.Background(), ev)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := append([]string{"AppRoleRead"}, gcguardSids(w, fixtureBucket, tokyo)...)
	if got := sids(t, w.view(t, fixtureBucket, tokyo).Policy); !slices.Equal(got, want) {
		t.Fatalf("policy sids %v, want %v", got, want)
	}
	if n := len(w.proxy.Mutating("s3")); n != 4 {
		t.Fatalf("want the four writes once, got %s", calls(w.proxy.Mutating("s3")))
	}
}

// Revert restores every part exactly as it was, deleting what did not
// exist, and holds the bucket so the guardrail leaves it alone.
func TestBucketRevert(t *testing.T) {
	t.Run("configured bucket", func(t *testing.T) {
		w := newBucketWorld(t)
		w.createBucket(t, fixtureBucket, tokyo)
		w.putPAB(t, fixtureBucket, tokyo, &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
			IgnorePublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)})
		w.ownership(t, fixtureBucket, tokyo, types.ObjectOwnershipObjectWriter)
		must(t, func() error {
			_, err := w.s3(tokyo).PutBucketAcl(context.Background(), &s3.PutBucketAclInput{Bucket: aws.String(fixtureBucket), ACL: types.BucketCannedACLPublicRead})
			return err
		})
		w.putEncryption(t, fixtureBucket, tokyo, types.ServerSideEncryptionAes256, "", false)
		w.putPolicy(t, fixtureBucket, tokyo, ownerPolicy(roleRead(fixtureBucket), publicRead(fixtureBucket)))
		before := w.view(t, fixtureBucket, tokyo)
		revertAndCheck(t, w, "s3/put-bucket-policy-public.json", before)
	})
	t.Run("new bucket with nothing configured", func(t *testing.T) {
		w := newBucketWorld(t)
		w.createBucket(t, fixtureBucket, tokyo)
		before := w.view(t, fixtureBucket, tokyo)
		revertAndCheck(t, w, "s3/create-bucket.json", before)
		if v := w.view(t, fixtureBucket, tokyo); v.Policy != "" || v.PAB != nil || v.Ownership != "" || !v.NoEncryption {
			t.Fatalf("parts gcguard created are still there: %+v", v)
		}
	})
}

func revertAndCheck(t *testing.T, w *bucketWorld, event string, before bucketView) {
	t.Helper()
	eng, err := w.sb.Engine(guardrail.Default, "bucket")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := eng.Handle(ctx, w.event(t, event)); err != nil {
		t.Fatal(err)
	}
	if after := w.view(t, fixtureBucket, tokyo); after.Policy == before.Policy || !after.allOn() {
		t.Fatalf("not fixed first: %+v", after)
	}
	rec := w.records(t, bucketARN)[0]
	back, what, err := eng.Revert(ctx, w.sb.Store, rec.ID, "tester", false)
	if err != nil {
		t.Fatal(err)
	}
	if back.RevertOf != rec.ID || !strings.Contains(what, "leaves") {
		t.Fatalf("revert record %+v: %s", back, what)
	}
	got := w.view(t, fixtureBucket, tokyo)
	if got.Policy != before.Policy || got.Algorithm != before.Algorithm || got.Ownership != before.Ownership ||
		!slices.Equal(got.Grants, before.Grants) || !samePAB(got.PAB, before.PAB) || got.NoEncryption != before.NoEncryption {
		t.Fatalf("revert did not restore the bucket:\n have %+v\n want %+v", got, before)
	}
	// The hold keeps the guardrail off the bucket it just gave back.
	w.proxy.Reset()
	res, err := eng.HandleEvent(ctx, decode(t, w.event(t, event)))
	if err != nil || res[0].Outcome != finding.Skipped || !strings.Contains(res[0].Reason, "held") {
		t.Fatalf("hold ignored: %+v %v", res, err)
	}
	if m := w.proxy.Mutating("s3"); len(m) != 0 {
		t.Fatalf("held bucket written: %s", calls(m))
	}
}

func samePAB(a, b *types.PublicAccessBlockConfiguration) bool {
	if a == nil || b == nil {
		return a == b
	}
	return aws.ToBool(a.BlockPublicAcls) == aws.ToBool(b.BlockPublicAcls) && aws.ToBool(a.IgnorePublicAcls) == aws.ToBool(b.IgnorePublicAcls) &&
		aws.ToBool(a.BlockPublicPolicy) == aws.ToBool(b.BlockPublicPolicy) && aws.ToBool(a.RestrictPublicBuckets) == aws.ToBool(b.RestrictPublicBuckets)
}

// The request gcguard builds carries the blocked types whatever moto keeps,
// and a revert sends the recorded configuration back whole.
func TestBucketEncryptionInputKeepsBlockedTypes(t *testing.T) {
	e := s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "aws:kms", KMSKeyID: "arn:aws:kms:ap-northeast-1:123456789012:key/k",
		BucketKey: aws.Bool(true), Blocked: []string{"SSE-C"}}}}
	in := s3rules.PutEncryptionInput("b", sandbox.Account, e)
	r := in.ServerSideEncryptionConfiguration.Rules[0]
	if aws.ToString(in.ExpectedBucketOwner) != sandbox.Account || r.BlockedEncryptionTypes == nil ||
		!slices.Equal(r.BlockedEncryptionTypes.EncryptionType, []types.EncryptionType{types.EncryptionTypeSseC}) || !aws.ToBool(r.BucketKeyEnabled) {
		t.Fatalf("input: %+v", in)
	}
}

// The plan is pure: judge states directly, including what moto cannot show.
func TestBucketPlanStates(t *testing.T) {
	cfg := newBucketWorldConfig()
	key := cfg.KMSKeys[tokyo]
	base := func() *s3rules.BucketState {
		doc, _ := policy.PlanBucketPolicy(nil, policy.BucketOptions{Account: sandbox.Account, Bucket: "b", Region: tokyo, Partition: "aws", KMSKeyARN: key})
		return &s3rules.BucketState{Bucket: "b", Region: tokyo,
			Encryption:        s3rules.BucketEncryption{Present: true, Rules: []s3rules.EncryptionRule{{Algorithm: "aws:kms", KMSKeyID: key, BucketKey: aws.Bool(true), Blocked: []string{"SSE-C"}}}},
			Policy:            s3rules.BucketPolicyText{Present: true, Text: string(doc.Document)},
			PublicAccessBlock: s3rules.PublicAccessBlock{Present: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
			Ownership:         s3rules.BucketOwnership{Present: true, Rule: "BucketOwnerEnforced"},
		}
	}
	cases := []struct {
		name   string
		edit   func(s *s3rules.BucketState)
		want   []finding.Code
		report string // substring of ReportOnly, "" = applied
	}{
		{"compliant", func(*s3rules.BucketState) {}, nil, ""},
		{"SSE-C explicitly allowed (NONE)", func(s *s3rules.BucketState) { s.Encryption.Rules[0].Blocked = []string{"NONE"} }, []finding.Code{finding.BucketEncryptionNotKMS}, ""},
		{"bucket key off", func(s *s3rules.BucketState) { s.Encryption.Rules[0].BucketKey = aws.Bool(false) }, []finding.Code{finding.BucketKeyWrong}, ""},
		{"bare key id of the configured key counts", func(s *s3rules.BucketState) {
			s.Encryption.Rules[0].KMSKeyID = key[strings.Index(key, ":key/")+5:]
		}, nil, ""},
		{"ACL grants outside the account: ACLs stay enabled, reported as a finding only", func(s *s3rules.BucketState) {
			s.Ownership = s3rules.BucketOwnership{Present: true, Rule: "ObjectWriter"}
			s.ACL = s3rules.BucketACL{OwnerID: "o", Grants: []s3rules.Grant{{Type: "CanonicalUser", ID: "o", Permission: "FULL_CONTROL"},
				{Type: "Group", URI: "http://acs.amazonaws.com/groups/s3/LogDelivery", Permission: "WRITE"}}}
		}, nil, ""},
		{"CDK staging bucket: report only", func(s *s3rules.BucketState) {
			s.CDKStaging = "CDKToolkit/StagingBucket"
			s.PublicAccessBlock = s3rules.PublicAccessBlock{}
		}, []finding.Code{finding.BucketPABOff}, "CDK bootstrap staging bucket"},
	}
	r := &s3rules.Bucket{Config: cfg}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := base()
			c.edit(st)
			p, err := r.Plan(guardrail.PlanInput{Target: guardrail.Target{Bucket: "b", Region: tokyo}, State: st, Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Violations, c.want) || !strings.Contains(p.ReportOnly, c.report) || (c.report == "") != (p.ReportOnly == "") {
				t.Fatalf("plan: violations %v report %q findings %v", p.Violations, p.ReportOnly, p.Findings)
			}
		})
	}
}

func assertSSECBlocked(t *testing.T, w *bucketWorld, n int) {
	t.Helper()
	sent := w.bodies.sent("encryption")
	if len(sent) != n {
		t.Fatalf("want %d PutBucketEncryption request(s), saw %d", n, len(sent))
	}
	for _, b := range sent {
		if !blocksSSEC(b) {
			t.Fatalf("PutBucketEncryption sent without SSE-C blocked:\n%s", b)
		}
	}
}

// assertInOrder checks that want appears in order within the calls.
func assertInOrder(t *testing.T, order string, want []string) {
	t.Helper()
	have := strings.Fields(order)
	i := 0
	for _, c := range have {
		if i < len(want) && c == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("calls %v do not contain %v in order", have, want)
	}
}

func newBucketWorldConfig() *config.Config {
	return &config.Config{Account: sandbox.Account, Partition: "aws",
		KMSKeys: map[string]string{tokyo: "arn:aws:kms:ap-northeast-1:123456789012:key/11111111-2222-3333-4444-555555555555"}}
}
