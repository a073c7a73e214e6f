package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gcguard/gcguard/shared/deployfile"
	"github.com/gcguard/gcguard/shared/guardrail"
)

func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			io.WriteString(stderr, configUsage)
			return flag.ErrHelp
		}
		return usagef("want: config check FILE")
	}
	fs := newFlags("config check", stderr)
	fs.Usage = func() { io.WriteString(stderr, configUsage) }
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one config file: gcguard config check config/<account>.json")
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return usageError{fmt.Errorf("read %s: %w", pos[0], err)}
	}
	f, err := checkConfig(raw)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%s", pos[0], indentErrors(err))
	}
	fmt.Fprintf(stderr, "%s is valid; the effective configuration (defaults filled in):\n", pos[0])
	return writeJSON(stdout, f)
}

const configUsage = `usage: gcguard config check FILE
Validate an account's configuration file as a synth would, name every bad
field once, and print the effective configuration with defaults filled in.
Exit status: 0 valid, 1 invalid, 2 usage (no file, unreadable file).
`

// checkConfig is the validation a synth runs, for the registered rules.
func checkConfig(raw []byte) (*deployfile.File, error) {
	return deployfile.Parse(raw, guardrail.Default.Names())
}

// indentErrors puts each joined error on its own line.
func indentErrors(err error) string {
	var b strings.Builder
	var j interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &j) {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		for _, line := range strings.Split(e.Error(), "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// loadConfigFile reads --config FILE for the commands that talk to AWS.
func loadConfigFile(path string) (*deployfile.File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("read --config %s: %w", path, err)}
	}
	f, err := checkConfig(raw)
	if err != nil {
		return nil, usageError{fmt.Errorf("--config %s is not valid (gcguard config check %s):\n%s", path, path, indentErrors(err))}
	}
	return f, nil
}
