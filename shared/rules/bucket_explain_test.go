package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// For every fixture event of the bucket and roletrust rules, `explain`
// (which runs the rule's Plan over the state the event implies) agrees with
// the rule run for real on moto: the event's change is made on moto over a
// bucket gcguard left compliant (a new bucket for CreateBucket; a role
// created with the event's trust policy), then the rule observes and plans.
func TestExplainAgreesWithRuleOnMoto(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../../events", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") && !strings.Contains(p, "malformed") && !strings.Contains(p, "scheduled") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		rel, _ := filepath.Rel("../../events", file)
		t.Run(rel, func(t *testing.T) {
			w := newBucketWorld(t)
			raw := w.event(t, filepath.ToSlash(rel))
			ev, err := cloudtrail.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			v := guardrail.Explain(guardrail.Default, ev, w.sb.Config)
			if v.Rule != "bucket" && v.Rule != "roletrust" {
				return
			}
			var def guardrail.Definition
			for _, d := range guardrail.Default.All() {
				if d.Spec.Name == v.Rule {
					def = d
				}
			}
			rule, err := def.New(guardrail.Deps{AWS: w.sb.AWS, Config: w.sb.Config, Now: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			tgt, err := rule.Match(ev)
			if err != nil {
				if !errors.Is(err, guardrail.ErrIgnore) && !errors.Is(err, guardrail.ErrNeverTouch) {
					t.Fatalf("match: %v", err)
				}
				return
			}
			if !replay(t, w, ev, tgt) {
				t.Skipf("the event cannot be replayed on moto")
			}
			st, err := rule.Observe(context.Background(), tgt)
			if err != nil {
				t.Fatalf("observe: %v", err)
			}
			p, err := rule.Plan(guardrail.PlanInput{Event: ev, Target: tgt, State: st, Config: w.sb.Config, Now: time.Now()})
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			want := p.Violations
			if want == nil {
				want = []finding.Code{}
			}
			slices.Sort(want)
			got := slices.Clone(v.Violations)
			slices.Sort(got)
			if v.Act != !p.Empty() || !slices.Equal(got, want) {
				t.Errorf("explain act=%v violations=%v (%s); the rule on moto act=%v violations=%v (report-only %q, actions %v)",
					v.Act, got, v.Reason, !p.Empty(), want, p.ReportOnly, p.Actions)
			}
			checked++
		})
	}
	if checked < 15 {
		t.Errorf("only %d events compared", checked)
	}
}

// replay makes the event's change on moto. Buckets start as gcguard leaves
// them; roles are created with the event's trust policy.
func replay(t *testing.T, w *bucketWorld, ev *cloudtrail.Event, tgt guardrail.Target) bool {
	t.Helper()
	ctx := context.Background()
	if v := ev.Detail.EventName; v == "CreateRole" || v == "UpdateAssumeRolePolicy" {
		key := "assumeRolePolicyDocument"
		if v == "UpdateAssumeRolePolicy" {
			key = "policyDocument"
		}
		doc := ev.Param(key)
		if doc == "" {
			return false
		}
		w.role(t, tgt.Role, ev.Param("path"), doc)
		return true
	}
	if tgt.Bucket == "" {
		return true // nothing to read: the rule and explain both report
	}
	region := tgt.Region
	w.createBucket(t, tgt.Bucket, region)
	api := w.s3(region)
	b := aws.String(tgt.Bucket)
	if ev.Detail.EventName == "CreateBucket" {
		// What S3 gives a new bucket and moto does not: SSE-S3, BPA on,
		// ACLs disabled.
		w.putEncryption(t, tgt.Bucket, region, types.ServerSideEncryptionAes256, "", false)
		w.putPAB(t, tgt.Bucket, region, allOn())
		w.ownership(t, tgt.Bucket, region, types.ObjectOwnershipBucketOwnerEnforced)
		return true
	}
	w.compliant(t, tgt.Bucket, region)
	var err error
	switch ev.Detail.EventName {
	case "DeleteBucketEncryption":
		// S3 falls back to SSE-S3.
		w.putEncryption(t, tgt.Bucket, region, types.ServerSideEncryptionAes256, "", false)
	case "PutBucketEncryption":
		var rules []struct {
			Default struct {
				Algorithm string `json:"SSEAlgorithm"`
				Key       string `json:"KMSMasterKeyID"`
			} `json:"ApplyServerSideEncryptionByDefault"`
			BucketKey bool `json:"BucketKeyEnabled"`
		}
		rawRule := ev.ParamRaw("ServerSideEncryptionConfiguration.Rule")
		if json.Unmarshal(rawRule, &rules) != nil {
			rules = rules[:0]
			var one struct {
				Default struct {
					Algorithm string `json:"SSEAlgorithm"`
					Key       string `json:"KMSMasterKeyID"`
				} `json:"ApplyServerSideEncryptionByDefault"`
				BucketKey bool `json:"BucketKeyEnabled"`
			}
			if json.Unmarshal(rawRule, &one) != nil {
				return false
			}
			rules = append(rules, one)
		}
		r := rules[0]
		w.putEncryption(t, tgt.Bucket, region, types.ServerSideEncryption(r.Default.Algorithm), r.Default.Key, r.BucketKey)
	case "DeleteBucketPolicy":
		_, err = api.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
	case "PutBucketPolicy":
		text := string(ev.ParamRaw("bucketPolicy"))
		var s string
		if json.Unmarshal([]byte(text), &s) == nil {
			text = s
		}
		w.putPAB(t, tgt.Bucket, region, allOff()) // moto would refuse nothing, S3 would refuse a public policy under BPA
		w.putPAB(t, tgt.Bucket, region, allOn())
		w.putPolicy(t, tgt.Bucket, region, text)
	case "PutBucketPublicAccessBlock":
		on := func(k string) *bool { return aws.Bool(ev.Param("PublicAccessBlockConfiguration."+k) == "true") }
		w.putPAB(t, tgt.Bucket, region, &types.PublicAccessBlockConfiguration{BlockPublicAcls: on("BlockPublicAcls"),
			IgnorePublicAcls: on("IgnorePublicAcls"), BlockPublicPolicy: on("BlockPublicPolicy"), RestrictPublicBuckets: on("RestrictPublicBuckets")})
	case "DeleteBucketPublicAccessBlock":
		_, err = api.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: b})
	case "PutBucketOwnershipControls":
		w.ownership(t, tgt.Bucket, region, types.ObjectOwnership(ev.Param("OwnershipControls.Rule.ObjectOwnership")))
	case "DeleteBucketOwnershipControls":
		_, err = api.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: b})
	case "PutBucketAcl":
		if !strings.Contains(string(ev.ParamRaw("x-amz-acl")), "public-read") {
			return false
		}
		w.ownership(t, tgt.Bucket, region, types.ObjectOwnershipObjectWriter)
		_, err = api.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, ACL: types.BucketCannedACLPublicRead})
	default:
		return false
	}
	if err != nil {
		t.Fatalf("replay %s: %v", ev.Detail.EventName, err)
	}
	return true
}
