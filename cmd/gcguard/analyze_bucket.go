package main

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/gcguard/gcguard/shared/policy"
)

// bucketPlanOut is the "plan" member of `analyze bucket --plan`.
type bucketPlanOut struct {
	Action  string               `json:"action"` // none | rewrite | report
	Reason  string               `json:"reason"`
	After   json.RawMessage      `json:"after"` // the document written, or null
	Preview policy.BucketPreview `json:"preview"`
}

// bucketAnalysisOut is the report with the plan beside it.
type bucketAnalysisOut struct {
	policy.BucketReport
	Plan bucketPlanOut `json:"plan"`
}

// analyzeBucket prints the BucketReport of one bucket policy.
func analyzeBucket(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("analyze bucket", stderr)
	account := fs.String("account", "", "the account that owns the bucket (required)")
	bucket := fs.String("bucket", "", "the bucket's name (required)")
	var trusted listFlag
	fs.Var(&trusted, "trusted-account", "a trusted account id (repeatable)")
	trustedOrg := fs.String("trusted-org", "", "the trusted organization id")
	region := fs.String("region", "", "the bucket's region")
	kmsKey := fs.String("kms-key", "", "the region's allowed customer-managed KMS key ARN")
	partition := fs.String("partition", "", "the AWS partition (default aws)")
	cfgFile := fs.String("config", "", "the account's config file: account, partition, trusted accounts and organization, the region's S3 key from it")
	bucketKey := fs.String("bucket-key", "", "the bucket's own enabled customer-managed key ARN, kept and named by the other-key Deny")
	withPlan := fs.Bool("plan", false, "also print the plan: action, reason, the document after, and the access preview")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard analyze bucket --account ID --bucket NAME [flags] FILE  (JSON or URL-encoded; - for stdin)\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *cfgFile != "" {
		f, err := loadConfigFile(*cfgFile)
		if err != nil {
			return err
		}
		*account, *partition, trusted, *trustedOrg = orStr(*account, f.Account), orStr(*partition, f.Partition), orList(trusted, f.TrustedAccounts), orStr(*trustedOrg, f.TrustedOrg)
		*kmsKey = orStr(*kmsKey, f.KMSKeys[*region].KeyARN)
	}
	if len(pos) != 1 || *account == "" || *bucket == "" {
		return usagef("want --account ID (or --config FILE), --bucket NAME and exactly one policy file")
	}
	if err := checkAccounts(*account, trusted); err != nil {
		return err
	}
	opt := policy.BucketOptions{
		Account: *account, Bucket: *bucket, Region: *region, Partition: *partition,
		KMSKeyARN: *kmsKey, BucketKeyARN: *bucketKey, TrustedAccounts: trusted, TrustedOrg: *trustedOrg,
	}
	if err := opt.Validate(); err != nil {
		return usageError{err}
	}
	raw, err := readInput(pos[0])
	if err != nil {
		return err
	}
	doc, err := policy.Parse(raw)
	if err != nil {
		return usageError{err}
	}
	rep := policy.AnalyzeBucket(doc, opt)
	if !*withPlan {
		return writeJSON(stdout, rep)
	}
	p, err := policy.PlanBucketPolicy(doc, opt)
	if err != nil {
		return err
	}
	out := bucketAnalysisOut{BucketReport: rep, Plan: bucketPlanOut{Action: "none", After: json.RawMessage("null"), Preview: p.Preview}}
	switch {
	case p.ReportOnly:
		out.Plan.Action, out.Plan.Reason = "report", p.Reason
	case p.Changed:
		out.Plan.Action, out.Plan.Reason, out.Plan.After = "rewrite", strings.Join(p.Changes, "; "), p.Document
	default:
		out.Plan.Reason = "nothing to change"
	}
	if len(p.Held) > 0 {
		out.Plan.Reason += "; not changed (reported): " + strings.Join(p.Held, "; ")
	}
	return writeJSON(stdout, out)
}
