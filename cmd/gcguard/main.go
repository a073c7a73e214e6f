// Command gcguard is the operator's tool: explain an event, analyze a
// policy, read the audit trail, revert a change, run the local demo.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	_ "github.com/gcguard/gcguard/shared/rules"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran and something did not happen
	exitBadInput = 2 // unreadable input or bad usage
)

// usageError marks errors that are the caller's: exit code 2.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"explain", "judge one CloudTrail event as gcguard would (no AWS calls)", runExplain},
		{"analyze", "analyze a policy document: analyze trust|bucket ...", runAnalyze},
		{"scan", "assess an account without changing it: what gcguard would change and why", runScan},
		{"history", "list audit records", runHistory},
		{"revert", "undo a change by its audit id", runRevert},
		{"exempt", "add, list, remove or sync signed exemptions", runExempt},
		{"demo", "run gcguard against a local moto and show what it does", runDemo},
		{"config", "validate an account's config file: config check FILE", runConfig},
		{"version", "print the version and the commit it was built from", runVersion},
		{"completion", "print a shell completion script: completion bash|zsh", runCompletion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		var es exitStatus
		if errors.As(err, &es) {
			if es.msg != "" {
				fmt.Fprintf(stderr, "gcguard %s: %s\n", c.name, es.msg)
			}
			return es.code
		}
		fmt.Fprintf(stderr, "gcguard %s: %v\n", c.name, err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitBadInput
		}
		return exitFailed
	}
	fmt.Fprintf(stderr, "gcguard: unknown command %q\n", args[0])
	usage(stderr)
	return exitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gcguard COMMAND [flags] [args]")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run gcguard COMMAND -h for its flags.")
}
