package s3rules

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/rules/internal/ruleutil"
)

// BucketLister is the part of S3 that lists the account's buckets.
type BucketLister interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
}

// List yields every bucket of the account for the sweep; the engine reads
// each one (its region decided by GetBucketLocation, as for events).
func (r *Bucket) List(ctx context.Context, after string, fn func(guardrail.Item) error) error {
	home := ""
	if r.Config != nil {
		home = r.Config.HomeRegion
	}
	lister, ok := r.S3(home).(BucketLister)
	if !ok {
		return fmt.Errorf("bucket: the S3 client cannot list buckets")
	}
	var buckets []types.Bucket
	p := s3.NewListBucketsPaginator(lister, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list buckets: %w", err)
		}
		buckets = append(buckets, out.Buckets...)
	}
	sort.Slice(buckets, func(i, j int) bool { return aws.ToString(buckets[i].Name) < aws.ToString(buckets[j].Name) })
	partition := "aws"
	if r.Config != nil && r.Config.Partition != "" {
		partition = r.Config.Partition
	}
	for _, b := range buckets {
		name := aws.ToString(b.Name)
		if name <= after {
			continue
		}
		it := guardrail.Item{
			Target:  guardrail.Target{Kind: KindBucket, Bucket: name, ARN: BucketARN(partition, name), Region: ruleutil.FirstNonEmpty(aws.ToString(b.BucketRegion), home)},
			Created: aws.ToTime(b.CreationDate),
			Key:     name,
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
