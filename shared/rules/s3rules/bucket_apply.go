package s3rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// Apply writes the parts in an order that never opens anything up in
// between: Block Public Access first (public ACLs and policies stop taking
// effect at once), then the ACL (S3 refuses BucketOwnerEnforced while the
// ACL grants outside the account), Object Ownership, encryption, and the
// policy last.
func (r *Bucket) Apply(ctx context.Context, t guardrail.Target, p *guardrail.Plan) error {
	c, ok := p.Change.(bucketParts)
	if !ok {
		return fmt.Errorf("bucket: unexpected change %T", p.Change)
	}
	w := bucketWriter{api: r.S3(c.Region), bucket: c.Bucket, owner: r.Config.Account}
	steps := []func(context.Context, bucketParts) error{w.pab, w.acl, w.ownership, w.encryption, w.policy}
	for _, step := range steps {
		if err := step(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Revert restores every part the record changed, exactly as it was: a part
// that did not exist is deleted. Block Public Access goes first and Object
// Ownership before the ACL, or S3 would refuse the public settings being
// restored.
func (r *Bucket) Revert(ctx context.Context, rec *audit.Record) (string, error) {
	var prior bucketParts
	if err := ruleutil.DecodeStored(rec.Before, &prior); err != nil {
		return "", err
	}
	if prior.Bucket == "" {
		return "", fmt.Errorf("audit record %s names no bucket", rec.ID)
	}
	w := bucketWriter{api: r.S3(prior.Region), bucket: prior.Bucket, owner: r.Config.Account}
	steps := []func(context.Context, bucketParts) error{w.pab, w.ownership, w.acl, w.encryption, w.policy}
	for _, step := range steps {
		if err := step(ctx, prior); err != nil {
			return strings.Join(w.done, "; "), err
		}
	}
	return fmt.Sprintf("bucket %s: %s", prior.Bucket, strings.Join(w.done, "; ")), nil
}

// bucketWriter writes the non-nil parts of a bucketParts, each with
// ExpectedBucketOwner, and notes what it did.
type bucketWriter struct {
	api    BucketAPI
	bucket string
	owner  string
	done   []string
}

func (w *bucketWriter) pab(ctx context.Context, c bucketParts) error {
	p := c.PublicAccessBlock
	if p == nil {
		return nil
	}
	if !p.Present {
		if _, err := w.api.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner}); err != nil {
			return fmt.Errorf("delete Block Public Access of bucket %s: %w", w.bucket, err)
		}
		w.done = append(w.done, "Block Public Access configuration removed")
		return nil
	}
	if _, err := w.api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner,
		PublicAccessBlockConfiguration: p.toSDK()}); err != nil {
		return fmt.Errorf("set Block Public Access of bucket %s: %w", w.bucket, err)
	}
	w.done = append(w.done, "Block Public Access "+describePAB(*p))
	return nil
}

func (w *bucketWriter) acl(ctx context.Context, c bucketParts) error {
	if c.ACL == nil {
		return nil
	}
	if _, err := w.api.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner,
		AccessControlPolicy: c.ACL.toSDK()}); err != nil {
		return fmt.Errorf("set ACL of bucket %s: %w", w.bucket, err)
	}
	w.done = append(w.done, "ACL "+describeACL(*c.ACL))
	return nil
}

func (w *bucketWriter) ownership(ctx context.Context, c bucketParts) error {
	o := c.Ownership
	if o == nil {
		return nil
	}
	if !o.Present || o.Rule == "" {
		if _, err := w.api.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner}); err != nil {
			return fmt.Errorf("delete Object Ownership of bucket %s: %w", w.bucket, err)
		}
		w.done = append(w.done, "Object Ownership configuration removed")
		return nil
	}
	if _, err := w.api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner,
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnership(o.Rule)}}}}); err != nil {
		return fmt.Errorf("set Object Ownership of bucket %s: %w", w.bucket, err)
	}
	w.done = append(w.done, "Object Ownership "+o.Rule)
	return nil
}

func (w *bucketWriter) encryption(ctx context.Context, c bucketParts) error {
	e := c.Encryption
	if e == nil {
		return nil
	}
	if !e.Present || len(e.Rules) == 0 {
		if _, err := w.api.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner}); err != nil {
			return fmt.Errorf("delete default encryption of bucket %s: %w", w.bucket, err)
		}
		w.done = append(w.done, "default encryption configuration removed")
		return nil
	}
	if _, err := w.api.PutBucketEncryption(ctx, PutEncryptionInput(w.bucket, w.owner, *e)); err != nil {
		return fmt.Errorf("set default encryption of bucket %s: %w", w.bucket, err)
	}
	w.done = append(w.done, "default encryption "+describeEncryption(*e))
	return nil
}

func (w *bucketWriter) policy(ctx context.Context, c bucketParts) error {
	p := c.Policy
	if p == nil {
		return nil
	}
	if !p.Present {
		if _, err := w.api.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner}); err != nil {
			return fmt.Errorf("delete policy of bucket %s: %w", w.bucket, err)
		}
		w.done = append(w.done, "bucket policy removed")
		return nil
	}
	if _, err := w.api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &w.bucket, ExpectedBucketOwner: &w.owner, Policy: aws.String(p.Text)}); err != nil {
		return fmt.Errorf("write policy of bucket %s: %w", w.bucket, err)
	}
	w.done = append(w.done, "bucket policy "+describePolicy(*p))
	return nil
}

// PutEncryptionInput is the whole PutBucketEncryption request for a
// configuration: the call replaces the configuration, so the blocked
// encryption types travel with every write.
func PutEncryptionInput(bucket, owner string, e BucketEncryption) *s3.PutBucketEncryptionInput {
	return &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(owner),
		ServerSideEncryptionConfiguration: e.toSDK()}
}
