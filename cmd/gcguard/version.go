package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
)

// Set by the Makefile (make install, make build):
// -ldflags "-X main.version=v1.2.3 -X main.commit=<sha>".
var (
	version = ""
	commit  = ""
)

// buildInfo is the version and commit: from ldflags, else from what the Go
// toolchain recorded (go install …@v1.2.3 records the module version; a
// build inside a clone records the VCS revision).
func buildInfo() (ver, rev string, modified bool) {
	ver, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = pseudoVersionCommit(ver)
	}
	return ver, rev, modified
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard version\nPrint gcguard's version and the commit it was built from.\n")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	ver, rev, modified := buildInfo()
	dirty := ""
	if modified {
		dirty = " (modified)"
	}
	fmt.Fprintf(stdout, "gcguard %s\ncommit  %s%s\ngo      %s %s/%s\n", ver, rev, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// pseudoVersionCommit is the commit a pseudo-version names
// (v0.0.0-20261124090000-0123456789ab); a tagged module version, as
// `go install …@v1.2.3` builds it, records none: its tag names the commit.
func pseudoVersionCommit(ver string) string {
	if m := pseudoRe.FindStringSubmatch(ver); m != nil {
		return m[1]
	}
	if ver != "dev" {
		return "not recorded (the tag " + ver + " names it)"
	}
	return "unknown"
}

var pseudoRe = regexp.MustCompile(`[.-]\d{14}-([0-9a-f]{12})(\+[a-z]+)?$`)
