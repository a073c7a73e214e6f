// Package rules makes every gcguard rule available: importing it for its
// side effect registers them all with guardrail.Default, for the sweep, the
// CLI and the CDK app. Rules live one file each in a package per AWS service
// (iamrules, s3rules), so a rule's own function links only the SDK clients
// its service needs.
package rules

import (
	_ "github.com/gcguard/gcguard/shared/rules/iamrules" // accesskey, iamuser, roletrust
	_ "github.com/gcguard/gcguard/shared/rules/s3rules"  // bucket, accountpab
)
