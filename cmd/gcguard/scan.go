package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// scanEntry is one resource in the scan's JSON output.
type scanEntry struct {
	Rule       string            `json:"rule"`
	Resource   string            `json:"resource"`
	Outcome    finding.Outcome   `json:"outcome"`
	Violations []finding.Code    `json:"violations"`
	Actions    []string          `json:"actions,omitempty"`
	Reason     string            `json:"reason,omitempty"`
	Findings   []finding.Finding `json:"findings"`
}

type scanOutput struct {
	Account string         `json:"account"`
	Counts  map[string]int `json:"counts"`
	Entries []scanEntry    `json:"resources"`
	Errors  []string       `json:"errors,omitempty"`
}

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	af := addAWSFlags(fs)
	asJSON := fs.Bool("json", false, "print the shared findings schema as JSON")
	quiet := fs.Bool("quiet", false, "no progress display")
	workers := fs.Int("workers", 4, "resources handled at once")
	var trusted, allowed, keys listFlag
	fs.Var(&trusted, "trusted-account", "a trusted account id (repeatable)")
	trustedOrg := fs.String("trusted-org", "", "the trusted organization id")
	fs.Var(&allowed, "allowed-principal", "an allowed principal ARN pattern (repeatable)")
	fs.Var(&keys, "kms-key", "REGION=KEY-ARN: the customer-managed S3 key of a region (repeatable)")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard scan [flags]\nReport, without changing anything, what gcguard would change in an account and why.\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	account, err := af.accountID(ctx, awsCfg)
	if err != nil {
		return fmt.Errorf("find the account (or pass --account): %w", err)
	}
	kms := map[string]string{}
	for _, kv := range keys {
		r, k, ok := strings.Cut(kv, "=")
		if !ok {
			return usagef("--kms-key %q: want REGION=KEY-ARN", kv)
		}
		kms[r] = k
	}
	cfg := &config.Config{
		Account: account, Partition: "aws", HomeRegion: *af.region, TrustedAccounts: trusted, TrustedOrg: *trustedOrg,
		AllowedPrincipals: allowed, KMSKeys: kms, Language: "ja", AccessKeyAction: config.AccessKeyDelete,
		AuditTable: "(scan)", LeaseDuration: config.DefaultLease, HoldDuration: config.DefaultHold,
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	eng, err := guardrail.NewEngine(cfg, awsCfg, guardrail.Default, guardrail.Default.Names()...)
	if err != nil {
		return err
	}
	// Report only: no audit table, no notices, every rule in notify mode.
	eng.DryRun, eng.Audit, eng.Notifier, eng.Stacks = true, guardrail.DiscardAudit{}, nil, nil
	eng.Logger = discardLogger()
	var n atomic.Int64
	sw := &guardrail.Sweeper{Engine: eng, Workers: *workers}
	if !*quiet {
		sw.OnItem = func(r guardrail.Result) {
			if c := n.Add(1); c%25 == 0 {
				fmt.Fprintf(stderr, "\rscanned %d resources ...", c)
			}
		}
	}
	rep, err := sw.Run(ctx)
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "\rscanned %d resources.     \n", n.Load())
	}
	out := scanOutput{Account: account, Counts: rep.Counts, Entries: []scanEntry{}, Errors: rep.Errors}
	for _, r := range rep.Results {
		e := scanEntry{Rule: r.Rule, Resource: r.Target.ARN, Outcome: r.Outcome, Reason: r.Reason, Violations: []finding.Code{}, Findings: []finding.Finding{}}
		if r.Plan != nil {
			e.Violations, e.Actions = r.Plan.Violations, r.Plan.Actions
			if r.Plan.Findings != nil {
				e.Findings = r.Plan.Findings
			}
		}
		out.Entries = append(out.Entries, e)
	}
	sort.Slice(out.Entries, func(i, j int) bool {
		a, b := out.Entries[i], out.Entries[j]
		return a.Rule+a.Resource < b.Rule+b.Resource
	})
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printScan(stdout, out)
	if len(rep.Errors) > 0 {
		return fmt.Errorf("%d resource(s) could not be assessed", len(rep.Errors))
	}
	return nil
}

func printScan(w io.Writer, out scanOutput) {
	fmt.Fprintf(w, "gcguard assessment of account %s (nothing was changed)\n\n", out.Account)
	if len(out.Entries) == 0 {
		fmt.Fprintln(w, "every resource is compliant.")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESOURCE\tVIOLATIONS\tWHAT GCGUARD WOULD DO")
	for _, e := range out.Entries {
		var v []string
		for _, c := range e.Violations {
			v = append(v, string(c))
		}
		what := strings.Join(e.Actions, "; ")
		if what == "" || e.Outcome != finding.WouldFix {
			what = string(e.Outcome) + ": " + e.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Rule, e.Resource, strings.Join(v, ","), what)
	}
	tw.Flush()
	for _, e := range out.Entries {
		for _, f := range e.Findings {
			fmt.Fprintf(w, "  %s %s: %s\n", e.Rule, e.Resource, f.String())
		}
	}
	keys := make([]string, 0, len(out.Counts))
	for k := range out.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "\ncounts:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-28s %d\n", k, out.Counts[k])
	}
	for _, e := range out.Errors {
		fmt.Fprintln(w, "error:", e)
	}
}
