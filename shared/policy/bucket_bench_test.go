package policy

import (
	"os"
	"testing"
)

// BenchmarkBucketPlanPreview measures a full bucket plan (analysis, merge,
// access preview) over the golden cases' policies: "typical" are those of
// at most ten statements, "all" adds the near-20 KB ones.
func BenchmarkBucketPlanPreview(b *testing.B) {
	var all, typical []*Document
	for _, c := range bucketCases {
		raw, err := os.ReadFile("testdata/bucket/" + c.name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		d, err := Parse(raw)
		if err != nil {
			continue
		}
		all = append(all, d)
		if len(d.Statements) <= 10 {
			typical = append(typical, d)
		}
	}
	for _, set := range []struct {
		name string
		docs []*Document
	}{{"typical", typical}, {"all", all}} {
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := PlanBucketPolicy(set.docs[i%len(set.docs)], bucketOpt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "plans/s")
		})
	}
}
