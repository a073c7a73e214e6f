// Package iamrules holds the gcguard rules for IAM: accesskey, iamuser and roletrust. Each rule is one file and registers itself with guardrail.Default from init.
package iamrules
