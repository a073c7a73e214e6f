package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// stdin and stdinIsTerminal are the prompt's input; tests replace them.
var (
	stdin           io.Reader = os.Stdin
	stdinIsTerminal           = func() bool {
		fi, err := os.Stdin.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
)

func runRevert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("revert", stderr)
	af := addAWSFlags(fs)
	macKey := fs.String("mac-key", os.Getenv(config.EnvMacKeyARN), "ARN of gcguard's HMAC key (default: $"+config.EnvMacKeyARN+", else the hub stack's MacKeyArn output)")
	hold := fs.Duration("hold", config.DefaultHold, "how long gcguard leaves the resource alone afterwards")
	by := fs.String("by", defaultOperator(), "who reverts (recorded in the audit trail)")
	force := fs.Bool("force", false, "revert even though the resource changed since gcguard wrote it")
	yes := fs.Bool("yes", false, "do not ask before writing (for scripts)")
	dryRun := fs.Bool("dry-run", false, "show the live → restored difference and write nothing")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard revert [flags] AUDIT-ID\n"+
			"Shows the resource's live state next to the state the record would restore, asks, then writes.\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one audit id")
	}
	dep, err := resolveDeployment(ctx, af)
	if err != nil {
		return err
	}
	holdMax, err := holdMaxFromEnv()
	if err != nil {
		return usagef("%v", err)
	}
	if dep.File != nil && dep.File.HoldMaxHours > 0 {
		holdMax = time.Duration(dep.File.HoldMaxHours) * time.Hour
	}
	if *hold > holdMax {
		return usagef("--hold %s is beyond the hold maximum %s (%s): gcguard would treat such a hold as forged", *hold, holdMax, config.EnvHoldMaxHours)
	}
	awsCfg, account := dep.AWS, dep.Account
	key, err := macKeyOf(dep, *macKey)
	if err != nil {
		return err
	}
	cfg := &config.Config{
		Account: account, Partition: "aws", HomeRegion: dep.Region, AuditTable: dep.AuditTable, MacKeyARN: key, HoldMax: holdMax,
		Language: "ja", AccessKeyAction: config.AccessKeyDelete, HoldDuration: *hold, LeaseDuration: config.DefaultLease,
	}
	eng, err := guardrail.NewEngine(cfg, awsCfg, guardrail.Default, guardrail.Default.Names()...)
	if err != nil {
		return err
	}
	eng.Logger = discardLogger()
	store := eng.Audit.(*audit.Store)
	store.OnInvalid = func(_ context.Context, bad audit.InvalidItem) { fmt.Fprintf(stderr, "CRITICAL: %s\n", bad) }
	p, err := eng.PlanRevert(ctx, store, pos[0])
	if err != nil {
		return err
	}
	showRevert(stdout, p)
	if p.Changed != nil && !*force {
		return fmt.Errorf("%w; nothing was changed", guardrail.ErrChanged)
	}
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was changed")
		return nil
	}
	if !*yes {
		if !stdinIsTerminal() {
			return usagef("not asking without a terminal: pass --yes to revert from a script, or --dry-run to only look")
		}
		fmt.Fprintf(stdout, "restore this state on %s? [y/N] ", p.Record.Resource)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "not reverted: nothing was changed")
			return nil
		}
	}
	rec, what, err := eng.ApplyRevert(ctx, store, p, *by, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reverted %s: %s\nrevert recorded as %s at %s\n", pos[0], what, rec.ID, time.Now().UTC().Format(time.RFC3339))
	return nil
}

// showRevert prints what the record says and the live → restored diff.
func showRevert(w io.Writer, p *guardrail.RevertPlan) {
	r := p.Record
	fmt.Fprintf(w, "audit record %s (verified): rule %s, %s\n", r.ID, r.Rule, r.Resource)
	fmt.Fprintf(w, "  changed by gcguard %s after %s by %s; status %s\n", r.Created.UTC().Format(time.RFC3339), orNone(r.EventName), orNone(r.Actor.Name), r.Status)
	restore := prettyState(p.Restore)
	if p.Live == nil {
		fmt.Fprintf(w, "state to restore:\n%s\n", indentLines(restore, "  "))
		return
	}
	live := prettyState(p.Live)
	if p.Changed != nil {
		fmt.Fprintln(w, "WARNING: the resource changed since gcguard wrote it (someone else's change would be undone)")
	}
	fmt.Fprintln(w, "live → restored (- live now, + after the revert):")
	for _, l := range lineDiff(strings.Split(live, "\n"), strings.Split(restore, "\n")) {
		fmt.Fprintln(w, "  "+l)
	}
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// prettyState indents a stored state; a JSON string holding a document
// (a trust policy as IAM had it) is shown as that document.
func prettyState(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(nothing recorded)"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		var b bytes.Buffer
		if json.Indent(&b, []byte(s), "", "  ") == nil {
			return b.String()
		}
		return s
	}
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

func indentLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// lineDiff is a longest-common-subsequence line diff: "  " unchanged,
// "- " only in a, "+ " only in b. States are small, so quadratic is fine.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}

// holdMaxFromEnv is GCGUARD_HOLD_MAX_HOURS, as the functions read it.
func holdMaxFromEnv() (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(config.EnvHoldMaxHours))
	if v == "" {
		return config.DefaultHoldMax, nil
	}
	d, err := config.ParseHoldMax(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", config.EnvHoldMaxHours, v, err)
	}
	return d, nil
}

// macKeyOf is the --mac-key flag's value, else the hub stack's MacKeyArn
// output: without the key gcguard's state cannot be authenticated.
func macKeyOf(dep *Deployment, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if dep.MacKeyARN != "" {
		return dep.MacKeyARN, nil
	}
	return "", fmt.Errorf("gcguard's MAC key is needed to authenticate its state: pass --mac-key or set %s (stack %s in %s %s names none)", config.EnvMacKeyARN, dep.Stack, dep.Account, dep.Region)
}

func defaultOperator() string {
	if u, err := user.Current(); err == nil {
		h, _ := os.Hostname()
		return u.Username + "@" + h
	}
	return "operator"
}
