package policy

import (
	"os"
	"testing"
)

// BenchmarkBucketPlanPreview measures a full bucket plan (analysis, merge,
// access preview) over the policy shapes of the golden cases.
func BenchmarkBucketPlanPreview(b *testing.B) {
	var docs []*Document
	for _, c := range bucketCases {
		raw, err := os.ReadFile("testdata/bucket/" + c.name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		d, err := Parse(raw)
		if err != nil {
			continue
		}
		docs = append(docs, d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := PlanBucketPolicy(docs[i%len(docs)], bucketOpt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "plans/s")
}
