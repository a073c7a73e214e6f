package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", stderr)
	account := fs.String("account", "", "the guarded account (default: the event's)")
	var trusted, remediators listFlag
	fs.Var(&trusted, "trusted-account", "a trusted account id (repeatable)")
	trustedOrg := fs.String("trusted-org", "", "the trusted organization id")
	fs.Var(&remediators, "remediator-role-arn", "gcguard's own role ARN (repeatable): its calls are skipped")
	cfgFile := fs.String("config", "", "the account's config file: account, trusted accounts and organization from it")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard explain [flags] EVENT.json  (- for stdin)\n"+
			"EVENT.json: an EventBridge event, a CloudTrail record as the console shows it,\n"+
			"a log file's {\"Records\":[…]} with one record, or aws cloudtrail lookup-events output with one event.\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one event file")
	}
	if *cfgFile != "" {
		f, err := loadConfigFile(*cfgFile)
		if err != nil {
			return err
		}
		*account, trusted, *trustedOrg = orStr(*account, f.Account), orList(trusted, f.TrustedAccounts), orStr(*trustedOrg, f.TrustedOrg)
	}
	if err := checkAccounts(*account, trusted); err != nil {
		return err
	}
	raw, err := readInput(pos[0])
	if err != nil {
		return err
	}
	ev, err := cloudtrail.DecodeInput(raw)
	if err != nil {
		return usageError{err}
	}
	cfg := &config.Config{
		Account: *account, Partition: "aws", TrustedAccounts: trusted, TrustedOrg: *trustedOrg,
		OwnRoleARNs: remediators, AccessKeyAction: config.AccessKeyDelete, Language: "ja",
	}
	if cfg.Account == "" {
		cfg.Account = ev.Account
	}
	v := guardrail.Explain(guardrail.Default, ev, cfg)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
