package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/deployfile"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/report"
)

// exitStatus ends a command with a specific exit status; msg, when set,
// is printed like an error.
type exitStatus struct {
	code int
	msg  string
}

func (e exitStatus) Error() string { return e.msg }

// signInHint is the one sentence a scan without credentials prints.
const signInHint = "no usable AWS credentials: sign in first (for IAM Identity Center: aws sso login --profile PROFILE, then AWS_PROFILE=PROFILE gcguard scan)"

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	af := addAWSFlags(fs)
	asJSON := fs.Bool("json", false, "the same as --format json")
	format := fs.String("format", "text", "text, json, csv or html")
	outPath := fs.String("out", "", "write the report to this file instead of standard output")
	deployedAt := fs.String("deployed-at", os.Getenv(config.EnvDeployedAt), "when gcguard was deployed (RFC 3339); absent or in the future: the scan is a pre-deployment assessment")
	quiet := fs.Bool("quiet", false, "no progress display")
	workers := fs.Int("workers", 4, "resources handled at once")
	var trusted, allowed, keys listFlag
	fs.Var(&trusted, "trusted-account", "a trusted account id (repeatable)")
	trustedOrg := fs.String("trusted-org", "", "the trusted organization id")
	fs.Var(&allowed, "allowed-principal", "an allowed principal ARN pattern (repeatable)")
	fs.Var(&keys, "kms-key", "REGION=KEY-ARN: the customer-managed S3 key of a region (repeatable)")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard scan [flags]\n"+
			"Report, without changing anything, what gcguard would change in an account and why.\n"+
			"Exit status: 0 clean, 3 violations found, 1 something could not be assessed (never clean), 2 usage.\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *asJSON {
		*format = "json"
	}
	switch *format {
	case "text", "json", "csv", "html":
	default:
		return usagef("--format %q: want text, json, csv or html", *format)
	}
	// --config: account, home region, trust settings, keys and deployedAt
	// from the account's file; flags given on the command line win.
	var file *deployfile.File
	if *af.config != "" {
		if file, err = loadConfigFile(*af.config); err != nil {
			return err
		}
		if !af.set("region") {
			*af.region = file.HomeRegion
		}
		if *af.account == "" {
			*af.account = file.Account
		} else if *af.account != file.Account {
			return usagef("--account %s is not --config %s's account %s", *af.account, *af.config, file.Account)
		}
		if !af.set("deployed-at") {
			*deployedAt = file.DeployedAt
		}
	}
	now := time.Now()
	var deployed time.Time
	if *deployedAt != "" {
		if deployed, err = time.Parse(time.RFC3339, *deployedAt); err != nil {
			return usagef("--deployed-at %q: want an RFC 3339 time such as 2026-11-24T09:00:00+09:00", *deployedAt)
		}
	}
	kms := map[string]string{}
	for _, kv := range keys {
		r, k, ok := strings.Cut(kv, "=")
		if !ok {
			return usagef("--kms-key %q: want REGION=KEY-ARN", kv)
		}
		kms[r] = k
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	if awsCfg.Credentials == nil {
		return exitStatus{exitFailed, signInHint}
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return exitStatus{exitFailed, signInHint + " (" + firstLine(err.Error()) + ")"}
	}
	account, err := af.accountID(ctx, awsCfg)
	if err != nil {
		return fmt.Errorf("find the account (or pass --account): %w", err)
	}
	cfg := &config.Config{
		Account: account, Partition: "aws", HomeRegion: *af.region, TrustedAccounts: trusted, TrustedOrg: *trustedOrg,
		AllowedPrincipals: allowed, KMSKeys: kms, Language: "ja", AccessKeyAction: config.AccessKeyDelete,
		AuditTable: "(scan)", LeaseDuration: config.DefaultLease, HoldDuration: config.DefaultHold,
	}
	if file != nil {
		if cfg, err = file.Runtime(guardrail.Default.Names(), deployfile.Resources{AuditTable: "(scan)", KMSKeys: kms}); err != nil {
			return usageError{err}
		}
		cfg.HomeRegion = *af.region
		if len(trusted) > 0 {
			cfg.TrustedAccounts = trusted
		}
		if *trustedOrg != "" {
			cfg.TrustedOrg = *trustedOrg
		}
		if len(allowed) > 0 {
			cfg.AllowedPrincipals = allowed
		}
	}
	// Before deployment every resource there is pre-existing: the sweep
	// reports it, and an access key is a person's decision, not a deletion.
	preDeploy := deployed.IsZero() || deployed.After(now)
	cfg.DeployedAt = deployed
	if preDeploy {
		cfg.DeployedAt = now
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
	sw := &guardrail.Sweeper{Engine: eng, Workers: *workers}
	var prog *progress
	if !*quiet && isTerminal(stderr) {
		prog = newProgress(stderr, terminalWidth(stderr))
		sw.OnListed, sw.OnItem = prog.listed, prog.item
	}
	rep, err := sw.Run(ctx)
	if prog != nil {
		prog.finish()
	}
	if err != nil {
		return err
	}
	var rules []string
	for _, b := range eng.Rules {
		if _, ok := b.Rule.(guardrail.Lister); ok && b.Mode != config.Off {
			rules = append(rules, b.Rule.Spec().Name)
		}
	}
	shown := deployed
	if preDeploy {
		shown = time.Time{}
	}
	m := report.FromSweep(account, rules, rep, shown, now)
	if preDeploy {
		notYetDeployed(&m)
	}
	if err := writeReport(stdout, *outPath, *format, m); err != nil {
		return err
	}
	if code := m.Summary.ExitStatus; code != exitOK {
		msg := ""
		if code == report.ExitNotAssessed {
			msg = notAssessedMessage(m)
		}
		return exitStatus{code, msg}
	}
	return nil
}

// notYetDeployed rewords what only deployment provides: gcguard's own S3
// key of a region is created by the deployment, not missing from the account.
func notYetDeployed(m *report.Model) {
	const missing = "no customer-managed key is configured for region "
	for i := range m.Rows {
		for _, p := range []*string{&m.Rows[i].Reason, &m.Rows[i].After} {
			if j := strings.Index(*p, missing); j >= 0 {
				rest := (*p)[j+len(missing):]
				region, tail, _ := strings.Cut(rest, " ")
				if k := strings.Index(tail, ")"); k >= 0 {
					tail = tail[k+1:]
				}
				*p = (*p)[:j] + "gcguard creates the S3 key of region " + region + " at deployment and then makes it the default encryption" + tail
			}
		}
	}
}

func notAssessedMessage(m report.Model) string {
	var parts []string
	for _, s := range m.Summary.Rules {
		if s.Unlisted != "" {
			parts = append(parts, s.Rule+" (listing: "+firstLine(s.Unlisted)+")")
		} else if s.NotAssessed > 0 {
			parts = append(parts, fmt.Sprintf("%s (%d resource(s))", s.Rule, s.NotAssessed))
		}
	}
	if len(parts) == 0 {
		return "could not assess everything: not a clean result"
	}
	return "could not assess everything, not a clean result: " + strings.Join(parts, ", ")
}

// writeReport renders the model in the format asked for, to stdout or a file.
func writeReport(stdout io.Writer, path, format string, m report.Model) error {
	w := stdout
	var f *os.File
	if path != "" {
		var err error
		if f, err = os.Create(path); err != nil {
			return fmt.Errorf("create the report file: %w", err)
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "json":
		err = writeJSON(bw, m)
	case "csv":
		err = report.RenderCSV(bw, m)
	case "html":
		err = report.RenderHTML(bw, m)
	default:
		width := 0
		if path == "" && isTerminal(stdout) {
			width = terminalWidth(stdout)
		}
		err = report.RenderText(bw, m, width)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write the %s report: %w", format, err)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// isTerminal reports whether w is a character device (a terminal): the
// progress display and line cutting are for people, never for pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminalWidth is the terminal's columns, or 100 when they cannot be read.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if n := termCols(f); n > 0 {
			return n
		}
	}
	return 100
}

// progress shows done/total per rule on one line, redrawn in place.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	order []string
	rules map[string]*ruleProgress
	last  time.Time
}

type ruleProgress struct {
	done, listed int
	complete     bool
}

func newProgress(w io.Writer, width int) *progress {
	return &progress{w: w, width: width, rules: map[string]*ruleProgress{}}
}

func (p *progress) rule(name string) *ruleProgress {
	r, ok := p.rules[name]
	if !ok {
		r = &ruleProgress{}
		p.rules[name] = r
		p.order = append(p.order, name)
	}
	return r
}

func (p *progress) listed(name string, n int, complete bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rule(name)
	r.listed, r.complete = n, complete
	p.draw(complete)
}

func (p *progress) item(res guardrail.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule(res.Rule).done++
	p.draw(false)
}

func (p *progress) draw(force bool) {
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	var parts []string
	for _, name := range p.order {
		r := p.rules[name]
		total := fmt.Sprint(r.listed)
		if !r.complete {
			total += "+"
		}
		parts = append(parts, fmt.Sprintf("%s %d/%s", name, r.done, total))
	}
	line := report.Truncate("scanning: "+strings.Join(parts, "  "), p.width-1)
	fmt.Fprintf(p.w, "\r%-*s", p.width-1, line)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(true)
	fmt.Fprintf(p.w, "\r%-*s\r", p.width-1, "")
}
