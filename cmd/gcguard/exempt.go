package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// DefaultExemptionsParam is the parameter the hub stack creates.
const DefaultExemptionsParam = "/gcguard/exemptions"

const exemptUsage = `usage: gcguard exempt COMMAND [flags]
  add     --rule R --resource ARN --approval REF --expires YYYY-MM-DD [--note N]   sign and add one entry
  list                                                                       show entries: verified, INVALID or expired
  remove  INDEX | RESOURCE-ARN [--rule R]                                    remove entries (INDEX as list shows it)
  sync    --config FILE                                                      sign the config file's exemptions and write them
Entries from the config file (source "config") are replaced by each sync;
entries written by "exempt add" (source "cli") are kept. Entries that do
not verify are never re-signed: a write drops them and says so.
Every command takes --dry-run (show what would be written), --param, --mac-key
and the AWS flags (--endpoint, --region).
`

// exempter is one exempt command's connection to the parameter and the key.
type exempter struct {
	ssm    *ssm.Client
	mac    *audit.MAC
	name   string
	by     string
	dryRun bool
	out    io.Writer
	now    time.Time
}

func runExempt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		io.WriteString(stderr, exemptUsage)
		if len(args) == 0 {
			return usagef("want a subcommand: add, list, remove or sync")
		}
		return flag.ErrHelp
	}
	sub := args[0]
	fs := newFlags("exempt "+sub, stderr)
	af := addAWSFlags(fs)
	param := fs.String("param", os.Getenv(config.EnvExemptionsParam), "the exemptions SSM parameter (default: the hub stack's ExemptionsParameterName output, else "+DefaultExemptionsParam+")")
	macKey := fs.String("mac-key", os.Getenv(config.EnvMacKeyARN), "ARN of gcguard's HMAC key (default: $"+config.EnvMacKeyARN+", else the hub stack's MacKeyArn output)")
	by := fs.String("by", defaultOperator(), "who writes (signed into each new entry)")
	dryRun := fs.Bool("dry-run", false, "show what would be written; write nothing")
	var e config.Exemption
	var rule string
	switch sub {
	case "add":
		fs.StringVar(&e.Rule, "rule", "", "the rule (accesskey, iamuser, roletrust, bucket, accountpab)")
		fs.StringVar(&e.Resource, "resource", "", "resource ARN or ARN pattern (* and ?); for access keys the IAM user's ARN")
		fs.StringVar(&e.Approval, "approval", "", "approval reference (for access keys: the Digital Agency's approval)")
		fs.StringVar(&e.Expires, "expires", "", "last day the exemption applies, YYYY-MM-DD (JST, inclusive)")
		fs.StringVar(&e.Note, "note", "", "free text")
	case "remove":
		fs.StringVar(&rule, "rule", "", "with a resource: remove only this rule's entries")
	case "sync": // --config FILE (a shared flag) names the file whose "exemptions" are written
	case "list":
	default:
		io.WriteString(stderr, exemptUsage)
		return usagef("unknown subcommand %q", sub)
	}
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if sub == "sync" && *af.config == "" {
		return usagef("want --config FILE")
	}
	// The audit table is not needed here: the stack is read only for what
	// the flags leave out.
	dep, err := resolveTarget(ctx, af)
	if err != nil {
		return err
	}
	if *macKey == "" || *param == "" {
		if err := dep.readStack(ctx); err != nil && *macKey == "" {
			return err
		}
	}
	awsCfg := dep.AWS
	key, err := macKeyOf(dep, *macKey)
	if err != nil {
		return err
	}
	if *param == "" {
		*param = dep.ExemptionsParam
	}
	if *param == "" {
		*param = DefaultExemptionsParam
	}
	x := &exempter{ssm: ssm.NewFromConfig(awsCfg), mac: &audit.MAC{KMS: kms.NewFromConfig(awsCfg), KeyARN: key},
		name: *param, by: *by, dryRun: *dryRun, out: stdout, now: time.Now()}
	switch sub {
	case "list":
		if len(pos) != 0 {
			return usagef("list takes no arguments")
		}
		return x.list(ctx)
	case "add":
		if len(pos) != 0 {
			return usagef("add takes flags only")
		}
		return x.add(ctx, e)
	case "remove":
		if len(pos) != 1 {
			return usagef("want one INDEX or RESOURCE-ARN")
		}
		return x.remove(ctx, pos[0], rule)
	default:
		if len(pos) != 0 {
			return usagef("want --config FILE")
		}
		return x.sync(ctx, *af.config)
	}
}

// current is the parameter as read: entries with their verdicts.
type current struct {
	version int64 // 0: no parameter yet
	legacy  bool
	entries []checked
}

type checked struct {
	config.Exemption
	valid bool
}

func (x *exempter) read(ctx context.Context, version int64) (*current, error) {
	name := x.name
	if version > 0 {
		name += ":" + strconv.FormatInt(version, 10)
	}
	out, err := x.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if awsapi.IsNotFound(err) {
		return &current{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read parameter %s: %w", x.name, err)
	}
	cur := &current{version: out.Parameter.Version}
	doc, legacy, err := config.DecodeExemptionDoc([]byte(aws.ToString(out.Parameter.Value)))
	if err != nil {
		fmt.Fprintf(x.out, "CRITICAL: parameter %s cannot be read (%v): gcguard applies none of it; a write replaces it\n", x.name, err)
		return cur, nil
	}
	cur.legacy = legacy
	for _, e := range doc.Entries {
		c := checked{Exemption: e}
		if !legacy {
			if c.valid, err = guardrail.VerifyExemption(ctx, x.mac, e); err != nil {
				return nil, err
			}
		}
		cur.entries = append(cur.entries, c)
	}
	return cur, nil
}

func (x *exempter) status(c checked) string {
	switch {
	case !c.valid && c.MAC == "":
		return "INVALID (unsigned)"
	case !c.valid:
		return "INVALID (MAC does not verify)"
	case !c.Active(x.now):
		return "expired"
	}
	return "verified"
}

func (x *exempter) list(ctx context.Context) error {
	cur, err := x.read(ctx, 0)
	if err != nil {
		return err
	}
	if cur.legacy {
		fmt.Fprintf(x.out, "CRITICAL: %s is in the old unsigned format: gcguard applies none of its entries; re-sign them with `gcguard exempt sync` or `gcguard exempt add`\n", x.name)
	}
	if len(cur.entries) == 0 {
		fmt.Fprintf(x.out, "%s: no exemptions\n", x.name)
		return nil
	}
	for i, c := range cur.entries {
		fmt.Fprintf(x.out, "[%d] %-30s %s %s\n     approval %q, expires %s (JST), source %s, added by %s at %s",
			i, x.status(c), c.Rule, c.Resource, c.Approval, c.Expires, orNone(c.Source), orNone(c.AddedBy), orNone(c.AddedAt))
		if c.Note != "" {
			fmt.Fprintf(x.out, ", note %q", c.Note)
		}
		fmt.Fprintln(x.out)
	}
	return nil
}

func (x *exempter) add(ctx context.Context, e config.Exemption) error {
	if err := config.ValidateEntry(e, guardrail.KnownRules(guardrail.Default), "exemption"); err != nil {
		return usageError{err}
	}
	if e.Rule == "accesskey" && !strings.Contains(e.Resource, ":user/") {
		return usagef("an accesskey exemption names the IAM user's ARN (arn:aws:iam::ACCOUNT:user/NAME), got %s", e.Resource)
	}
	if !e.Active(x.now) {
		return usagef("--expires %s is in the past (JST)", e.Expires)
	}
	e.AddedBy, e.AddedAt, e.Source = x.by, x.now.UTC().Format(time.RFC3339), config.SourceCLI
	return x.update(ctx, func(entries []checked) ([]checked, error) {
		for _, c := range entries {
			if c.valid && c.Rule == e.Rule && c.Resource == e.Resource {
				return nil, fmt.Errorf("%s is already exempted from %s (until %s): remove that entry first", e.Resource, e.Rule, c.Expires)
			}
		}
		return append(entries, checked{Exemption: e}), nil
	})
}

func (x *exempter) remove(ctx context.Context, which, rule string) error {
	idx, byIndex := -1, false
	if n, err := strconv.Atoi(which); err == nil {
		idx, byIndex = n, true
	}
	return x.update(ctx, func(entries []checked) ([]checked, error) {
		var keep []checked
		removed := 0
		for i, c := range entries {
			match := (byIndex && i == idx) || (!byIndex && c.Resource == which && (rule == "" || c.Rule == rule))
			if match {
				removed++
				fmt.Fprintf(x.out, "removing [%d] %s %s (approval %q)\n", i, c.Rule, c.Resource, c.Approval)
				continue
			}
			keep = append(keep, c)
		}
		if removed == 0 {
			return nil, fmt.Errorf("no entry %s in %s (see gcguard exempt list)", which, x.name)
		}
		return keep, nil
	})
}

// sync makes the config file's exemptions the parameter's "config"
// entries. An entry unchanged since it was signed keeps its signature and
// its added-by/at, so a sync with nothing new writes nothing.
func (x *exempter) sync(ctx context.Context, file string) error {
	raw, err := readInput(file)
	if err != nil {
		return err
	}
	var cf struct {
		Exemptions json.RawMessage `json:"exemptions"`
	}
	if err := json.Unmarshal(raw, &cf); err != nil {
		return usagef("config file %s: %v", file, err)
	}
	want := config.Exemptions{}
	if len(cf.Exemptions) > 0 && string(cf.Exemptions) != "null" {
		if want, err = config.ParseExemptions(cf.Exemptions, guardrail.KnownRules(guardrail.Default)); err != nil {
			return usageError{fmt.Errorf("config file %s: %w", file, err)}
		}
	}
	return x.update(ctx, func(entries []checked) ([]checked, error) {
		var out []checked
		old := map[[5]string]checked{}
		for _, c := range entries {
			if c.Source == config.SourceConfig {
				old[fields(c.Exemption)] = c
				continue
			}
			out = append(out, c)
		}
		for _, e := range want {
			if c, ok := old[fields(e)]; ok && c.valid {
				out = append(out, c)
				continue
			}
			e.AddedBy, e.AddedAt, e.Source, e.MAC = x.by, x.now.UTC().Format(time.RFC3339), config.SourceConfig, ""
			out = append(out, checked{Exemption: e})
		}
		return out, nil
	})
}

func fields(e config.Exemption) [5]string {
	return [5]string{e.Rule, e.Resource, e.Approval, e.Expires, e.Note}
}

// update reads the parameter, applies change, signs what is new and writes
// the result. SSM has no conditional put, so the write is checked after
// the fact: if the new version is not the next one, someone wrote in
// between, and the change is applied again on top of their value.
func (x *exempter) update(ctx context.Context, change func([]checked) ([]checked, error)) error {
	var version int64   // the version to build on; 0 = the newest
	latest := int64(-1) // the newest version known to exist
	for attempt := 0; attempt < 4; attempt++ {
		cur, err := x.read(ctx, version)
		if err != nil {
			return err
		}
		if latest < 0 {
			latest = cur.version
		}
		var kept []checked
		for i, c := range cur.entries {
			if !c.valid {
				// Never re-signed: that would launder a forged entry.
				fmt.Fprintf(x.out, "dropping [%d] %s %s (%s): re-add it with gcguard exempt add if it is genuine\n", i, c.Rule, c.Resource, x.status(c))
				continue
			}
			kept = append(kept, c)
		}
		next, err := change(kept)
		if err != nil {
			return err
		}
		doc := config.ExemptionDoc{Version: config.ExemptionsVersion, Entries: config.Exemptions{}}
		for _, c := range next {
			e := c.Exemption
			if !c.valid {
				if err := guardrail.SignExemption(ctx, x.mac, &e); err != nil {
					return err
				}
			}
			doc.Entries = append(doc.Entries, e)
		}
		if !cur.legacy && cur.version > 0 && len(kept) == len(cur.entries) && reflect.DeepEqual(entriesOf(kept), doc.Entries) {
			fmt.Fprintf(x.out, "%s is up to date: nothing to write\n", x.name)
			return nil
		}
		value, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		fmt.Fprintf(x.out, "%s will hold %d signed entr%s:\n", x.name, len(doc.Entries), plural(len(doc.Entries)))
		for i, e := range doc.Entries {
			fmt.Fprintf(x.out, "  [%d] %s %s, approval %q, expires %s, source %s\n", i, e.Rule, e.Resource, e.Approval, e.Expires, e.Source)
		}
		if x.dryRun {
			fmt.Fprintln(x.out, "dry run: nothing was written")
			return nil
		}
		out, err := x.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(x.name), Value: aws.String(string(value)),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("write parameter %s: %w", x.name, err)
		}
		if out.Version == latest+1 {
			fmt.Fprintf(x.out, "written: %s version %d\n", x.name, out.Version)
			return nil
		}
		version, latest = out.Version-1, out.Version
		fmt.Fprintf(x.out, "%s was changed by someone else meanwhile (version %d): applying the change again on top of it\n", x.name, version)
	}
	return errors.New("the parameter keeps changing under this write: try again")
}

func entriesOf(cs []checked) config.Exemptions {
	out := config.Exemptions{}
	for _, c := range cs {
		out = append(out, c.Exemption)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}
