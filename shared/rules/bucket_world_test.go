package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/gcguard/gcguard/shared/awsapi/s3client"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/policy"
	"github.com/gcguard/gcguard/shared/rules/s3rules"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

// The fixtures' bucket, and the regions gcguard has keys in.
const (
	fixtureBucket = "city-records-prod"
	tokyo         = "ap-northeast-1"
	osaka         = "ap-northeast-3"
	virginia      = "us-east-1"
)

// bucketWorld is a world whose S3 writes can be read back byte for byte:
// moto drops BlockedEncryptionTypes, so what gcguard sends is checked on
// the wire, in front of the recording proxy, for both ways of running.
type bucketWorld struct {
	*world
	keys   map[string]string // region → key ARN
	bodies *bodyRecorder
}

func newBucketWorld(t *testing.T) *bucketWorld { return newBucketWorldTB(t) }

// newBucketWorldTB also serves benchmarks: it builds the world itself
// rather than through newWorld, which takes a *testing.T.
func newBucketWorldTB(t testing.TB) *bucketWorld {
	t.Helper()
	moto.ResetT(t)
	p := moto.StartProxyT(t)
	ctx := context.Background()
	rec := startBodyRecorder(t, p.Endpoint())
	cfg, err := testkit.ClientConfig(ctx, rec.endpoint, "")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(ctx, cfg, testkit.ClientEnv(rec.endpoint, testkit.Region))
	if err != nil {
		t.Fatal(err)
	}
	w := &bucketWorld{world: &world{sb: sb, proxy: p, iam: iam.NewFromConfig(cfg), subs: map[string]string{}}, keys: map[string]string{}, bodies: rec}
	for _, region := range []string{virginia, tokyo, osaka} {
		k, err := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = region }).CreateKey(ctx, &kms.CreateKeyInput{
			Description: aws.String("gcguard S3 key " + region)})
		if err != nil {
			t.Fatal(err)
		}
		w.keys[region] = aws.ToString(k.KeyMetadata.Arn)
	}
	w.sb.Config.KMSKeys = map[string]string{tokyo: w.keys[tokyo], osaka: w.keys[osaka]}
	return w
}

func (w *bucketWorld) s3(region string) *s3.Client { return s3client.New(w.sb.AWS, region) }

func (w *bucketWorld) createBucket(t testing.TB, name, region string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if region != virginia {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	if _, err := w.s3(region).CreateBucket(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func (w *bucketWorld) options(name, region string) policy.BucketOptions {
	return policy.BucketOptions{Account: sandbox.Account, Bucket: name, Region: region, Partition: "aws", KMSKeyARN: w.sb.Config.KMSKeys[region]}
}

// compliant configures a bucket the way gcguard wants it, with the owner's
// statements (if any) ahead of gcguard's.
func (w *bucketWorld) compliant(t *testing.T, name, region string, owner ...map[string]any) {
	t.Helper()
	ctx := context.Background()
	api := w.s3(region)
	must(t, func() error {
		_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &name, PublicAccessBlockConfiguration: allOn()})
		return err
	})
	w.ownership(t, name, region, types.ObjectOwnershipBucketOwnerEnforced)
	w.putEncryption(t, name, region, types.ServerSideEncryptionAwsKms, w.sb.Config.KMSKeys[region], true)
	var doc *policy.Document
	if len(owner) > 0 {
		doc = parseDoc(t, ownerPolicy(owner...))
	}
	plan, err := policy.PlanBucketPolicy(doc, w.options(name, region))
	if err != nil || plan.ReportOnly {
		t.Fatalf("plan compliant policy: %+v %v", plan, err)
	}
	w.putPolicy(t, name, region, string(plan.Document))
}

func allOn() *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
}

func allOff() *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(false), IgnorePublicAcls: aws.Bool(false),
		BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}
}

func (w *bucketWorld) putPAB(t *testing.T, name, region string, c *types.PublicAccessBlockConfiguration) {
	t.Helper()
	must(t, func() error {
		_, err := w.s3(region).PutPublicAccessBlock(context.Background(), &s3.PutPublicAccessBlockInput{Bucket: &name, PublicAccessBlockConfiguration: c})
		return err
	})
}

func (w *bucketWorld) ownership(t *testing.T, name, region string, o types.ObjectOwnership) {
	t.Helper()
	must(t, func() error {
		_, err := w.s3(region).PutBucketOwnershipControls(context.Background(), &s3.PutBucketOwnershipControlsInput{Bucket: &name,
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		return err
	})
}

func (w *bucketWorld) putEncryption(t *testing.T, name, region string, alg types.ServerSideEncryption, key string, bucketKey bool) {
	t.Helper()
	d := &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg}
	if key != "" {
		d.KMSMasterKeyID = aws.String(key)
	}
	must(t, func() error {
		_, err := w.s3(region).PutBucketEncryption(context.Background(), &s3.PutBucketEncryptionInput{Bucket: &name,
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: d, BucketKeyEnabled: aws.Bool(bucketKey),
				BlockedEncryptionTypes: &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{types.EncryptionTypeSseC}}}}}})
		return err
	})
}

func (w *bucketWorld) putPolicy(t *testing.T, name, region, text string) {
	t.Helper()
	must(t, func() error {
		_, err := w.s3(region).PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: &name, Policy: aws.String(text)})
		return err
	})
}

// bucketView is a bucket's live configuration as the tests compare it.
type bucketView struct {
	Algorithm, Key string
	BucketKey      bool
	NoEncryption   bool
	Policy         string // "" = none
	PAB            *types.PublicAccessBlockConfiguration
	Ownership      string // "" = none
	Grants         []string
}

func (w *bucketWorld) view(t *testing.T, name, region string) bucketView {
	t.Helper()
	ctx := context.Background()
	api := w.s3(region)
	var v bucketView
	enc, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name})
	switch {
	case awsapi.Code(err) == "ServerSideEncryptionConfigurationNotFoundError":
		v.NoEncryption = true
	case err != nil:
		t.Fatal(err)
	default:
		r := enc.ServerSideEncryptionConfiguration.Rules[0]
		v.Algorithm, v.Key = string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm), aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID)
		v.BucketKey = aws.ToBool(r.BucketKeyEnabled)
	}
	pol, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	if err == nil {
		v.Policy = aws.ToString(pol.Policy)
	} else if awsapi.Code(err) != "NoSuchBucketPolicy" {
		t.Fatal(err)
	}
	pab, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &name})
	if err == nil {
		v.PAB = pab.PublicAccessBlockConfiguration
	} else if awsapi.Code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Fatal(err)
	}
	own, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &name})
	if err == nil {
		v.Ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
	} else if awsapi.Code(err) != "OwnershipControlsNotFoundError" {
		t.Fatal(err)
	}
	acl, err := api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &name})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range acl.Grants {
		who := aws.ToString(g.Grantee.URI)
		if who == "" {
			who = "owner"
		}
		v.Grants = append(v.Grants, who[strings.LastIndex(who, "/")+1:]+":"+string(g.Permission))
	}
	return v
}

func (v bucketView) allOn() bool {
	return v.PAB != nil && aws.ToBool(v.PAB.BlockPublicAcls) && aws.ToBool(v.PAB.IgnorePublicAcls) &&
		aws.ToBool(v.PAB.BlockPublicPolicy) && aws.ToBool(v.PAB.RestrictPublicBuckets)
}

// sids lists the policy's statement ids in order.
func sids(t *testing.T, text string) []string {
	t.Helper()
	if text == "" {
		return nil
	}
	doc := parseDoc(t, text)
	var out []string
	for _, s := range doc.Statements {
		out = append(out, s.Sid)
	}
	return out
}

func gcguardSids(w *bucketWorld, name, region string) []string {
	var out []string
	for _, s := range policy.GcguardBucketStatements(w.options(name, region)) {
		out = append(out, s.Sid)
	}
	return out
}

func parseDoc(t *testing.T, text string) *policy.Document {
	t.Helper()
	doc, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse policy %s: %v", text, err)
	}
	return doc
}

func ownerPolicy(statements ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(b)
}

// Owner statements the scenarios use.
func roleRead(bucket string) map[string]any {
	return map[string]any{"Sid": "AppRoleRead", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:role/city-records-app"},
		"Action":    []string{"s3:GetObject"}, "Resource": "arn:aws:s3:::" + bucket + "/*"}
}

func publicRead(bucket string) map[string]any {
	return map[string]any{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
		"Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + bucket + "/*"}
}

func (w *bucketWorld) cdkToolkit(t *testing.T, name, region string) {
	t.Helper()
	tpl := `{"Resources":{"StagingBucket":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":"` + name + `"}}}}`
	cfn := cloudformation.NewFromConfig(w.sb.AWS, func(o *cloudformation.Options) { o.Region = region })
	if _, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(s3rules.CDKToolkitStack), TemplateBody: aws.String(tpl)}); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

// bodyRecorder is a reverse proxy that keeps the bodies of S3 bucket
// configuration writes before passing them on.
type bodyRecorder struct {
	endpoint string
	mu       sync.Mutex
	bodies   map[string][]string // sub-resource (encryption, policy, acl) → bodies
}

func startBodyRecorder(t testing.TB, upstream string) *bodyRecorder {
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
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
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
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return rec
}

func (b *bodyRecorder) sent(sub string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.bodies[sub])
}

func (b *bodyRecorder) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bodies = map[string][]string{}
}

// blocksSSEC reports whether an encryption body (XML, possibly aws-chunked)
// blocks SSE-C.
func blocksSSEC(body string) bool {
	return strings.Contains(body, "<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>")
}
