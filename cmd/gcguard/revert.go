package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

func runRevert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("revert", stderr)
	af := addAWSFlags(fs)
	hold := fs.Duration("hold", config.DefaultHold, "how long gcguard leaves the resource alone afterwards")
	by := fs.String("by", defaultOperator(), "who reverts (recorded in the audit trail)")
	force := fs.Bool("force", false, "revert even though the resource changed since gcguard wrote it")
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard revert [flags] AUDIT-ID\n")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one audit id")
	}
	awsCfg, err := af.load(ctx)
	if err != nil {
		return err
	}
	account, err := af.accountID(ctx, awsCfg)
	if err != nil {
		return fmt.Errorf("find the account (or pass --account): %w", err)
	}
	cfg := &config.Config{
		Account: account, Partition: "aws", HomeRegion: *af.region, AuditTable: *af.table,
		Language: "ja", AccessKeyAction: config.AccessKeyDelete, HoldDuration: *hold, LeaseDuration: config.DefaultLease,
	}
	eng, err := guardrail.NewEngine(cfg, awsCfg, guardrail.Default, guardrail.Default.Names()...)
	if err != nil {
		return err
	}
	store := &audit.Store{DB: dynamodb.NewFromConfig(awsCfg), Table: *af.table}
	rec, what, err := eng.Revert(ctx, store, pos[0], *by, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reverted %s: %s\nrevert recorded as %s at %s\n", pos[0], what, rec.ID, time.Now().UTC().Format(time.RFC3339))
	return nil
}

func defaultOperator() string {
	if u, err := user.Current(); err == nil {
		h, _ := os.Hostname()
		return u.Username + "@" + h
	}
	return "operator"
}
