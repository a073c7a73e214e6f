// Package rules holds gcguard's rules, one file each. Every rule registers
// itself with guardrail.Default from init; importing this package for its
// side effect makes them all available to functions, the CLI and the CDK app.
package rules
