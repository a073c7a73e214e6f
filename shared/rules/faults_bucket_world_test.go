package rules_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// otherBucket is a second non-compliant bucket in the same region: no
// fault row may touch it.
const otherBucket = "city-records-archive"

// bucketParts are the writes that fix the fault matrix's bucket, in the
// order the rule makes them. moto's bucket ACL grants only its owner, so
// there is no ACL write.
var bucketParts = []string{"PutPublicAccessBlock", "PutBucketOwnershipControls", "PutBucketEncryption", "PutBucketPolicy"}

// bucketFaultWorld is a bucketWorld for the fault matrix. Its body recorder
// passes a connection reset by the proxy on to the client (a plain reverse
// proxy would turn it into a 502), and it has clients that reach moto
// directly, past the proxy: hooks use them to change the world mid-flight
// and to look at the audit table at the moment of an S3 write.
type bucketFaultWorld struct {
	*bucketWorld
	directS3    *s3.Client
	directAudit *audit.Store
	// original is the owner's policy as S3 returned it before the fix;
	// merged are the statement ids of the fixed policy, in order.
	original string
	merged   []string

	mu sync.Mutex
	// known are the audit records that existed when the delivery began.
	known map[string]bool
	// writesWithoutRecord lists the S3 writes to the bucket that reached
	// the proxy while the delivery had stored no planned record.
	writesWithoutRecord []string
}

// newBucketFaultWorld: city-records-prod in Tokyo with SSE-S3, Block Public
// Access off and a policy of two owner statements, one public; the same
// for otherBucket.
func newBucketFaultWorld(t *testing.T) *bucketFaultWorld {
	t.Helper()
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	ctx := context.Background()
	rec := startResettingBodyRecorder(t, p.Endpoint())
	cfg, err := testkit.ClientConfig(ctx, rec.endpoint, "")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(ctx, cfg, testkit.ClientEnv(rec.endpoint, testkit.Region))
	if err != nil {
		t.Fatal(err)
	}
	bw := &bucketWorld{world: &world{sb: sb, proxy: p, iam: iam.NewFromConfig(cfg), subs: map[string]string{}}, keys: map[string]string{}, bodies: rec}
	for _, region := range []string{tokyo, osaka} {
		k, err := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region }).CreateKey(ctx, &kms.CreateKeyInput{
			Description: aws.String("gcguard S3 key " + region)})
		if err != nil {
			t.Fatal(err)
		}
		bw.keys[region] = aws.ToString(k.KeyMetadata.Arn)
	}
	sb.Config.KMSKeys = map[string]string{tokyo: bw.keys[tokyo], osaka: bw.keys[osaka]}
	direct, err := moto.Config(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	w := &bucketFaultWorld{bucketWorld: bw, directS3: s3client.New(direct, tokyo),
		directAudit: &audit.Store{DB: dynamodb.NewFromConfig(direct), Table: sandbox.AuditTable}}
	for _, b := range []string{fixtureBucket, otherBucket} {
		w.createBucket(t, b, tokyo)
		w.putEncryption(t, b, tokyo, types.ServerSideEncryptionAes256, "", false)
		w.putPAB(t, b, tokyo, allOff())
		w.putPolicy(t, b, tokyo, ownerPolicy(publicRead(b), roleRead(b)))
	}
	w.original = w.view(t, fixtureBucket, tokyo).Policy
	w.merged = append([]string{"AppRoleRead"}, gcguardSids(w.bucketWorld, fixtureBucket, tokyo)...)
	return w
}

// fastRetries gives the in-process engine the function's attempts per call
// with millisecond backoff and no client-side rate limiting, as
// functionRetries does for the IAM rows.
func fastRetries(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	n := maxAttempts(t)
	sb.AWS.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = n
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		})
	}
}

// deleteBucketDirectly removes the bucket in moto, as someone else would.
func (w *bucketFaultWorld) deleteBucketDirectly(t *testing.T) {
	if _, err := w.directS3.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(fixtureBucket)}); err != nil {
		t.Errorf("delete the bucket behind the guardrail's back: %v", err)
	}
}

// bucketWrite reports whether c changes a part of bucket.
func bucketWrite(c testkit.Call, bucket string) bool {
	return c.Service == "s3" && c.Method != http.MethodGet && c.Method != http.MethodHead &&
		strings.TrimSuffix(c.Path, "/") == "/"+bucket
}

// watchWrites wraps a fault hook: every S3 write to the bucket is checked
// against the audit table (directly in moto) at the moment it arrives.
func (w *bucketFaultWorld) watchWrites(t *testing.T, hook func(testkit.Call) *testkit.Fault) func(testkit.Call) *testkit.Fault {
	return func(c testkit.Call) *testkit.Fault {
		if bucketWrite(c, fixtureBucket) {
			recs, err := w.directAudit.History(context.Background(), bucketARN, 0)
			if err != nil {
				t.Errorf("read the audit table at %s: %v", c.Action, err)
			}
			w.mu.Lock()
			planned := false
			for _, r := range recs {
				planned = planned || r.Status == audit.Planned && !w.known[r.ID]
			}
			if !planned {
				w.writesWithoutRecord = append(w.writesWithoutRecord, c.Action)
			}
			w.mu.Unlock()
		}
		if hook == nil {
			return nil
		}
		return hook(c)
	}
}

// beginDelivery notes the bucket's records that exist before a delivery.
func (w *bucketFaultWorld) beginDelivery(t *testing.T) {
	t.Helper()
	recs, err := w.directAudit.History(context.Background(), bucketARN, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known = map[string]bool{}
	for _, r := range recs {
		w.known[r.ID] = true
	}
}

// landedWrites are the S3 writes to the bucket that moto answered with
// success, in order.
func landedWrites(cs []testkit.Call) []string {
	var out []string
	for _, c := range cs {
		if bucketWrite(c, fixtureBucket) && !c.Injected && c.Status/100 == 2 {
			out = append(out, c.Action)
		}
	}
	return out
}

// policySids reads the statement ids of a PutBucketPolicy body (the JSON
// document, possibly inside an aws-chunked frame).
func policySids(t *testing.T, body string) []string {
	t.Helper()
	i, j := strings.IndexByte(body, '{'), strings.LastIndexByte(body, '}')
	if i < 0 || j < i {
		t.Errorf("PutBucketPolicy body holds no document: %q", body)
		return nil
	}
	return sids(t, body[i:j+1])
}

// wholePolicy fails unless the bucket's policy is the owner's original
// or the full merged one: never a part, never a mix.
func (w *bucketFaultWorld) wholePolicy(t *testing.T) (merged bool) {
	t.Helper()
	text := w.view(t, fixtureBucket, tokyo).Policy
	if text == w.original {
		return false
	}
	if got := sids(t, text); !slices.Equal(got, w.merged) {
		t.Errorf("the policy is neither the owner's nor the merged one: sids %v, want %v (or the original)", got, w.merged)
	}
	return true
}

// startResettingBodyRecorder is startBodyRecorder whose upstream errors
// reach the client as what they were: a connection the proxy reset is
// reset here too, so the SDK sees "connection reset by peer".
func startResettingBodyRecorder(t testing.TB, upstream string) *bodyRecorder {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &bodyRecorder{endpoint: "http://" + l.Addr().String(), bodies: map[string][]string{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(rw http.ResponseWriter, r *http.Request, err error) {
			if conn, _, herr := http.NewResponseController(rw).Hijack(); herr == nil {
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
				_ = conn.Close()
				return
			}
			http.Error(rw, "body recorder: upstream: "+err.Error(), http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			for _, sub := range []string{"encryption", "policy", "acl", "publicAccessBlock", "ownershipControls"} {
				if r.URL.Query().Has(sub) {
					b, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(b))
					rec.mu.Lock()
					rec.bodies[sub] = append(rec.bodies[sub], string(b))
					rec.mu.Unlock()
				}
			}
		}
		rp.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return rec
}
