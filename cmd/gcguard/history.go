package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/gcguard/gcguard/shared/audit"
)

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("history", stderr)
	af := addAWSFlags(fs)
	resource := fs.String("resource", "", "only this resource's records (its ARN)")
	limit := fs.Int("limit", 50, "at most this many records, newest first (0 = all)")
	asJSON := fs.Bool("json", false, "print the records as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	cfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	store := &audit.Store{DB: dynamodb.NewFromConfig(cfg), Table: *af.table}
	var recs []*audit.Record
	if *resource != "" {
		recs, err = store.History(ctx, *resource, *limit)
	} else {
		recs, err = store.All(ctx, *limit)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []*audit.Record{}
		}
		return writeJSON(stdout, recs)
	}
	printRecords(stdout, recs)
	return nil
}

func printRecords(w io.Writer, recs []*audit.Record) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME (UTC)\tRULE\tSTATUS\tOUTCOME\tRESOURCE\tBY\tVIOLATIONS")
	for _, r := range recs {
		var v []string
		for _, c := range r.Violations {
			v = append(v, string(c))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Created.Format("2006-01-02 15:04:05"), r.Rule, r.Status, r.Outcome, r.Resource, r.Actor.Name, strings.Join(v, ","))
	}
	tw.Flush()
	if len(recs) == 0 {
		fmt.Fprintln(w, "(no records)")
	}
}
