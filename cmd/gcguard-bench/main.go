// Command gcguard-bench measures gcguard against its performance targets
// (DESIGN §9) and writes the figures, with the machine and date, to a
// Markdown file: `make bench` → BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"
)

// options are the knobs of one run; the defaults keep `make bench` within
// a few minutes on a small machine.
type options struct {
	out        string
	events     int           // events per side in the handler comparison
	ownEvents  int           // events through the engine over fakes
	starts     int           // cold starts of the bootstrap
	memEvents  int           // events through the bootstrap before reading its peak memory
	benchtime  string        // go test -benchtime for the policy benchmarks
	only       []string      // section ids; empty = all
	localDir   string        // amd64 functions: <dir>/<fn>/bootstrap
	distDir    string        // arm64 deployment functions
	timeout    time.Duration // the whole run
	cpuProfile string        // write a CPU profile of the run here
	memProfile string        // write an allocation profile of the run here
	scales     []int         // -scale: run only the sweep at these sizes
}

func main() {
	var o options
	var only, scales string
	flag.StringVar(&o.out, "out", "", "write the report to this file (default: standard output)")
	flag.IntVar(&o.events, "n", 200, "events per side in the handler vs. bare SDK comparison")
	flag.IntVar(&o.ownEvents, "own-n", 20000, "events through the engine over zero-latency fakes")
	flag.IntVar(&o.starts, "starts", 100, "cold starts of the bootstrap (p99 is the worst but one from 100 on)")
	flag.IntVar(&o.memEvents, "mem-events", 50, "events through the bootstrap before its peak memory is read")
	flag.StringVar(&o.benchtime, "benchtime", "2s", "go test -benchtime for the policy benchmarks")
	flag.StringVar(&only, "only", "", "comma-separated sections to run: "+strings.Join(sectionIDs(), ", "))
	flag.StringVar(&o.localDir, "local-dir", "build/local", "directory of the amd64 bootstraps (make build-local)")
	flag.StringVar(&o.distDir, "dist-dir", "dist", "directory of the arm64 deployment bootstraps (make build-lambda)")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	flag.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile of the run to this file (go tool pprof -sample_index=alloc_space)")
	flag.StringVar(&scales, "scale", "", "run only the sweep at scale, at these comma-separated multiples of 5,000 roles, 1,000 buckets, 500 users (make bench-scale: 1,2,4)")
	flag.Parse()
	for _, f := range strings.Split(scales, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(f), "x"))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "gcguard-bench: -scale wants multiples like 1,2,4, not %q\n", f)
			os.Exit(2)
		}
		o.scales = append(o.scales, n)
	}
	if only != "" {
		o.only = strings.Split(only, ",")
		for _, id := range o.only {
			if !slices.Contains(sectionIDs(), id) {
				fmt.Fprintf(os.Stderr, "gcguard-bench: no section %q (have %s)\n", id, strings.Join(sectionIDs(), ", "))
				os.Exit(2)
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "gcguard-bench:", err)
		os.Exit(1)
	}
}

// scaleReport is where `make bench-scale` writes.
const scaleReport = "BENCHMARKS-scale.md"

func sectionIDs() []string {
	var ids []string
	for _, s := range sections() {
		ids = append(ids, s.id)
	}
	return ids
}

func run(ctx context.Context, o options) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	b, err := newBench(o)
	if err != nil {
		return err
	}
	defer b.close()
	stopProfiles, err := startProfiles(o)
	if err != nil {
		return err
	}
	defer stopProfiles()
	rep := &report{machine: describeMachine(), started: time.Now(), command: commandLine(), source: sourceOf(b.root)}
	todo := sections()
	if len(o.scales) > 0 {
		todo = []section{scaleSection}
	} else {
		rep.scaleLink = "The sweep at scale (5,000 roles, 1,000 buckets and 500 users, and synthetic 2× and 4×, under IAM throttling) " +
			"takes longer than the rest together and has its own file, [" + scaleReport + "](" + scaleReport + "), written by `make bench-scale`."
	}
	failed := 0
	for _, s := range todo {
		if len(o.only) > 0 && !slices.Contains(o.only, s.id) {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s ...\n", s.title)
		t0 := time.Now()
		b.partial = func(out *outcome) {
			snap := *rep
			snap.parts = append(slices.Clip(rep.parts), part{s, out, time.Since(t0)})
			snap.took = time.Since(rep.started)
			if err := snap.write(o.out); err != nil {
				fmt.Fprintln(os.Stderr, "   could not write the report so far:", err)
			}
		}
		out, err := s.run(ctx, b)
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "   failed: %v\n", err)
			out = &outcome{notes: []string{"This section did not complete: " + err.Error()}}
		}
		rep.add(s, out, time.Since(t0))
		fmt.Fprintf(os.Stderr, "   done in %s\n", time.Since(t0).Round(100*time.Millisecond))
	}
	rep.took = time.Since(rep.started)
	if err := rep.write(o.out); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d section(s) did not complete (see the report)", failed)
	}
	return nil
}

// commandLine is how this report was produced: make bench, unless the
// program was run with other arguments.
func commandLine() string {
	if len(os.Args) == 3 && os.Args[1] == "-out" {
		return "make bench"
	}
	if len(os.Args) == 7 && os.Args[1] == "-out" && os.Args[2] == scaleReport && os.Args[3] == "-scale" && os.Args[4] == "1,2,4" {
		return "make bench-scale"
	}
	return "go run ./cmd/gcguard-bench " + strings.Join(os.Args[1:], " ")
}
