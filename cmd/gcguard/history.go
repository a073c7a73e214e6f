package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/report"
)

// jst is Japan Standard Time, fixed (Japan has no daylight saving time), so
// the CLI needs no time zone database.
var jst = time.FixedZone("JST", 9*60*60)

// actionRevert is how history shows a record that undid another: its
// stored outcome is the restore's own ("fixed"), which is not what happened.
const actionRevert = "revert"

// historyEntry is one record as history shows it: the record, plus what it
// was (a revert shows as a revert) and its time in JST and UTC.
type historyEntry struct {
	*audit.Record
	Action  string `json:"action"`
	TimeJST string `json:"time_jst"`
	TimeUTC string `json:"time_utc"`
}

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("history", stderr)
	af := addAWSFlags(fs)
	resource := fs.String("resource", "", "only records of this resource: its exact ARN, or any part of it")
	rule := fs.String("rule", "", "only this rule's records (accesskey, iamuser, roletrust, bucket, accountpab, …)")
	outcome := fs.String("outcome", "", "only this outcome: fixed, would_fix, compliant, exempted, skipped, failed, or revert")
	limit := fs.Int("limit", 50, "at most this many records, newest first (0 = all)")
	format := fs.String("format", "text", "text, json, csv or html (the scan report's renderer)")
	out := fs.String("out", "", "write a csv or html report to this file instead of standard output")
	asJSON := fs.Bool("json", false, "same as --format json")
	macKey := fs.String("mac-key", os.Getenv(config.EnvMacKeyARN), "ARN of gcguard's HMAC key (default: $"+config.EnvMacKeyARN+", else the hub stack's MacKeyArn output)")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard history [flags]\nList audit records, newest first; times in JST and UTC. The audit table is found from\nthe hub stack's outputs (--config FILE or --region, --stack), or given with --table.\n")
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
	if o := *outcome; o != "" && o != actionRevert && !slices.Contains(finding.Outcomes, finding.Outcome(o)) {
		return usagef("--outcome %q: want one of %s, %s", o, joinOutcomes(), actionRevert)
	}
	if *limit < 0 {
		return usagef("--limit %d: want 0 (all) or more", *limit)
	}
	dep, err := resolveDeployment(ctx, af)
	if err != nil {
		return err
	}
	store := &audit.Store{DB: dynamodb.NewFromConfig(dep.AWS), Table: dep.AuditTable}
	// Records are shown only when they verify against gcguard's MAC key: an
	// edited record must not pass for what gcguard did.
	if key := orStr(*macKey, dep.MacKeyARN); key != "" {
		store.MAC = &audit.MAC{KMS: kms.NewFromConfig(dep.AWS), KeyARN: key}
		store.OnInvalid = func(_ context.Context, bad audit.InvalidItem) {
			fmt.Fprintf(stderr, "CRITICAL: not shown, does not verify: %s\n", bad)
		}
	} else {
		fmt.Fprintf(stderr, "warning: no MAC key (--mac-key, or the stack's %s output): records are shown unverified\n", OutMacKeyARN)
	}
	recs, err := readHistory(ctx, store, *resource)
	if err != nil {
		return err
	}
	entries := filterHistory(recs, *rule, *outcome, *limit)
	switch *format {
	case "json":
		return writeJSON(stdout, entries)
	case "csv", "html":
		shown := make([]*audit.Record, len(entries))
		for i, e := range entries {
			shown[i] = e.Record
		}
		return writeReport(stdout, *out, *format, report.FromRecords(dep.Account, shown, time.Now()))
	}
	printHistory(stdout, entries)
	return nil
}

// readHistory reads the records of one resource when given its exact ARN
// (one query), else every record (a scan) for filterHistory to match.
func readHistory(ctx context.Context, store *audit.Store, resource string) ([]*audit.Record, error) {
	if strings.HasPrefix(resource, "arn:") {
		recs, err := store.History(ctx, resource, 0)
		if err != nil || len(recs) > 0 {
			return recs, err
		}
	}
	all, err := store.All(ctx, 0)
	if err != nil {
		return nil, err
	}
	if resource == "" {
		return all, nil
	}
	var out []*audit.Record
	for _, r := range all {
		if strings.Contains(r.Resource, resource) {
			out = append(out, r)
		}
	}
	return out, nil
}

// filterHistory keeps the records of rule and outcome ("" = any), newest
// first, at most limit (0 = all).
func filterHistory(recs []*audit.Record, rule, outcome string, limit int) []historyEntry {
	slices.SortStableFunc(recs, func(a, b *audit.Record) int { return b.Created.Compare(a.Created) })
	entries := []historyEntry{}
	for _, r := range recs {
		e := newHistoryEntry(r)
		if (rule != "" && r.Rule != rule) || (outcome != "" && e.Action != outcome) {
			continue
		}
		entries = append(entries, e)
		if limit > 0 && len(entries) == limit {
			break
		}
	}
	return entries
}

func newHistoryEntry(r *audit.Record) historyEntry {
	action := string(r.Outcome)
	if r.RevertOf != "" {
		action = actionRevert
	}
	return historyEntry{
		Record:  r,
		Action:  action,
		TimeJST: r.Created.In(jst).Format("2006-01-02 15:04:05 JST"),
		TimeUTC: r.Created.UTC().Format("2006-01-02 15:04:05Z"),
	}
}

func printHistory(w io.Writer, entries []historyEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "(no records)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME (JST)\tTIME (UTC)\tRULE\tACTION\tSTATUS\tRESOURCE\tBY\tNOTE")
	for _, e := range entries {
		var note []string
		if e.RevertOf != "" {
			note = append(note, "restores the state before "+e.RevertOf)
		}
		if e.RevertedBy != "" {
			note = append(note, "reverted by "+e.RevertedBy)
		}
		if len(note) == 0 {
			for _, c := range e.Violations {
				note = append(note, string(c))
			}
		}
		status := string(e.Status)
		if e.RevertedBy != "" {
			status += ", reverted"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.TimeJST, e.TimeUTC, e.Rule, e.Action, status, e.Resource, e.Actor.Name, strings.Join(note, "; "))
	}
	tw.Flush()
}

func joinOutcomes() string {
	var s []string
	for _, o := range finding.Outcomes {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

// printRecords prints records as history does (the demo shows its records so).
func printRecords(w io.Writer, recs []*audit.Record) {
	printHistory(w, filterHistory(recs, "", "", 0))
}
