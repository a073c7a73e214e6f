// Package s3rules holds the gcguard rules for S3: bucket and accountpab. Each rule is one file and registers itself with guardrail.Default from init.
package s3rules
