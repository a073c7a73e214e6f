package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"

	"github.com/gcguard/gcguard/shared/policy"
)

func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("want: analyze trust|bucket [flags] FILE")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		io.WriteString(stderr, analyzeUsage)
		return flag.ErrHelp
	case "trust":
		return analyzeTrust(args[1:], stdout, stderr)
	case "bucket":
		return analyzeBucket(args[1:], stdout, stderr)
	}
	return usagef("unknown analysis %q: want trust or bucket", args[0])
}

func analyzeTrust(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("analyze trust", stderr)
	account := fs.String("account", "", "the account that owns the role (required)")
	var trusted, allowed listFlag
	fs.Var(&trusted, "trusted-account", "a trusted account id (repeatable)")
	trustedOrg := fs.String("trusted-org", "", "the trusted organization id")
	fs.Var(&allowed, "allowed-principal", "an allowed principal ARN pattern (repeatable; default: the account's SSO roles)")
	cfgFile := fs.String("config", "", "the account's config file: account, trusted accounts and organization, allowed principals from it")
	withPlan := fs.Bool("plan", false, "also print the plan: action, reason, the rewritten document and the access preview")
	quota := fs.Int("size-quota", 2048, "the account's trust-policy size quota in bytes, for --plan")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard analyze trust --account ID|--config FILE [--plan] [flags] FILE  (JSON or URL-encoded; - for stdin)\n")
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
		*account, trusted, *trustedOrg, allowed = orStr(*account, f.Account), orList(trusted, f.TrustedAccounts), orStr(*trustedOrg, f.TrustedOrg), orList(allowed, f.AllowedPrincipals)
	}
	if len(pos) != 1 || *account == "" {
		return usagef("want --account ID (or --config FILE) and exactly one policy file")
	}
	if err := checkAccounts(*account, trusted); err != nil {
		return err
	}
	raw, err := readInput(pos[0])
	if err != nil {
		return err
	}
	doc, err := policy.Parse(raw)
	if err != nil {
		return usageError{err}
	}
	opt := policy.TrustOptions{Account: *account, TrustedAccounts: trusted, TrustedOrg: *trustedOrg, AllowedPrincipals: allowed}
	rep := policy.AnalyzeTrust(doc, opt)
	if !*withPlan {
		return writeJSON(stdout, rep)
	}
	tp, err := policy.PlanTrust(doc, opt, *quota)
	plan := tp.JSON()
	if err != nil {
		// A plan that cannot be made safely is reported, not written.
		plan = policy.NewPlanJSON(false, true, err.Error(), nil, tp.Preview)
	}
	return writeJSON(stdout, struct {
		policy.TrustReport
		Plan policy.PlanJSON `json:"plan"`
	}{rep, plan})
}

const analyzeUsage = `usage: gcguard analyze trust|bucket [flags] FILE
Analyze one policy document (JSON or URL-encoded; - for stdin) without AWS calls:
  trust   a role's trust policy: who may assume it, and the tightened policy
  bucket  a bucket policy: public, cross-account and missing TLS/encryption denies
Run gcguard analyze trust -h or gcguard analyze bucket -h for the flags.
`

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
