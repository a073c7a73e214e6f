package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/gcguard/gcguard/shared/policy"
)

func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("want: analyze trust|bucket [flags] FILE")
	}
	switch args[0] {
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
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard analyze trust --account ID [flags] FILE  (JSON or URL-encoded; - for stdin)\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *account == "" {
		return usagef("want --account ID and exactly one policy file")
	}
	raw, err := readInput(pos[0])
	if err != nil {
		return err
	}
	doc, err := policy.Parse(raw)
	if err != nil {
		return usageError{err}
	}
	rep := policy.AnalyzeTrust(doc, policy.TrustOptions{Account: *account, TrustedAccounts: trusted, TrustedOrg: *trustedOrg, AllowedPrincipals: allowed})
	return writeJSON(stdout, rep)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
