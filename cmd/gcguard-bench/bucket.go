package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

const bucketAbout = "The bucket rule's Go benchmarks in `shared/rules`, run by this program against the moto each " +
	"test binary starts. `BenchmarkBucketReconcile` sends one PutBucketEncryption event for a non-compliant " +
	"bucket through the in-process engine (observe, lease, re-observe, audit, four writes, verify, publish, " +
	"release); `BenchmarkBucketBareSDK` makes the same calls bare with the SDK; the bucket is made non-compliant " +
	"again outside the timer. Each round is one `go test -run '^$' -bench 'BenchmarkBucket(Reconcile|BareSDK)$' " +
	"-benchtime 25x` (both benchmarks, one after the other, on one moto); the figures are the medians over the " +
	"rounds' ns/op. `BenchmarkBucketPlan` is gcguard's own work for one event: judging a fully non-compliant " +
	"bucket with a two-statement policy and planning every part (`-benchtime 2s`, one goroutine)."

const bucketRounds = 5

func runBucket(ctx context.Context, b *bench) (*outcome, error) {
	var reconcile, bare samples
	var quote []string
	for i := range bucketRounds {
		raw, err := goBench(ctx, b, "BenchmarkBucket(Reconcile|BareSDK)$", "25x")
		if err != nil {
			return nil, err
		}
		for _, line := range benchLines(raw) {
			name, m, _ := parseBenchLine(line)
			switch name {
			case "BenchmarkBucketReconcile":
				reconcile = append(reconcile, time.Duration(m["ns/op"]))
			case "BenchmarkBucketBareSDK":
				bare = append(bare, time.Duration(m["ns/op"]))
			}
			quote = append(quote, fmt.Sprintf("round %d: %s", i+1, line))
		}
	}
	if len(reconcile) == 0 || len(bare) == 0 {
		return nil, fmt.Errorf("no bucket reconcile results in:\n%s", strings.Join(quote, "\n"))
	}
	raw, err := goBench(ctx, b, "BenchmarkBucketPlan$", b.opt.benchtime)
	if err != nil {
		return nil, err
	}
	out := &outcome{}
	r := ratio(reconcile.median(), bare.median())
	out.rows = append(out.rows,
		row{figure: "bucket fix: engine (`Engine.Handle`), per event", n: len(reconcile), median: dur(reconcile.median())},
		row{figure: "bucket fix: same calls, bare SDK, per event", n: len(bare), median: dur(bare.median())},
		row{figure: "bucket fix: engine ÷ bare, medians of the rounds", result: fmt.Sprintf("%.3f×", r), target: "≤ 1.25×", verdict: check(r <= 1.25)},
		row{figure: "bucket fix: engine ÷ bare, median of the rounds' own ratios", result: fmt.Sprintf("%.3f×", roundRatios(reconcile, bare))},
		row{figure: "bucket fix: engine − bare, medians", result: signed(reconcile.median() - bare.median())},
	)
	for _, line := range benchLines(raw) {
		name, m, ok := parseBenchLine(line)
		if !ok || name != "BenchmarkBucketPlan" {
			continue
		}
		out.rows = append(out.rows, row{figure: "bucket plan (the rule's `Plan`, fully non-compliant bucket)",
			result: fmt.Sprintf("%s plans/s (%s/op, %s B/op, %s allocs/op)", thousands(1e9/m["ns/op"]), nsOp(m["ns/op"]), thousands(m["B/op"]), thousands(m["allocs/op"]))})
		quote = append(quote, line)
	}
	out.notes = append(out.notes, "The rounds' spread shows the noise: moto answers each call in a few milliseconds and "+
		"other jobs share the machine, so single rounds move by tens of percent; the ratio of the medians is the figure to read.")
	out.quote = strings.Join(quote, "\n")
	return out, nil
}

// roundRatios is the median of a/b taken round by round: the two sides of
// one round ran seconds apart on one moto, so their ratio is the fairest.
func roundRatios(a, b samples) float64 {
	var rs samples // ratios scaled to durations, to reuse the quantile
	for i := range min(len(a), len(b)) {
		rs = append(rs, time.Duration(ratio(a[i], b[i])*1e6))
	}
	return float64(rs.median()) / 1e6
}

// goBench runs `go test -bench` over shared/rules and returns its output.
func goBench(ctx context.Context, b *bench, pattern, benchtime string) (string, error) {
	args := []string{"test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-benchmem", "-count", "1", "./shared/rules/"}
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = b.root
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, raw)
	}
	return string(raw), nil
}

func benchLines(raw string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(raw))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Benchmark") {
			out = append(out, strings.Join(strings.Fields(sc.Text()), " "))
		}
	}
	return out
}
