package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

const policyAbout = "The Go benchmarks of `shared/policy`, run by this program as " +
	"`go test -run '^$' -bench . -benchtime 2s ./shared/policy/` and quoted below. Each benchmark runs " +
	"on one goroutine, so its policies/s is per core. Trust policies are judged by evaluating representative " +
	"requests, one set per caller class (the request-class evaluator). AnalyzeTrust parses and analyzes a " +
	"typical trust policy. The trust plan with access preview is what the sweep does to every role: parse + " +
	"PlanTrust over a mix of typical trust policies (an overbroad one would also be rewritten, validated and " +
	"previewed before and after); the overbroad row is that whole path for an overbroad policy, and PlanTrust " +
	"the same work without the preview check in the benchmark. DESIGN §9 sets ≥ 50,000 trust policies/s per " +
	"core with the preview included. PlanBucketPolicy is the bucket rule's policy planner (policies/s = plans/s)."

const policyTarget = 50_000 // trust policies per second per core, DESIGN §9

// policyBenchmarks are the ones checked against the target; others are
// quoted without one.
var policyBenchmarks = map[string]string{
	"BenchmarkAnalyzeTrust":              "trust analysis (request-class evaluator): AnalyzeTrust, parse + analyze, typical policy",
	"BenchmarkPlanTrustPreviewTypical":   "trust plan with access preview: parse + PlanTrust, typical policies",
	"BenchmarkPlanTrustPreviewOverbroad": "trust plan with access preview: parse + PlanTrust, overbroad policy (rewrite + preview)",
	"BenchmarkPlanTrust":                 "PlanTrust: parse + plan + validate, overbroad policy",
	// The bucket policy planner: gcguard's statements merged into an
	// owner's policy, and a policy that already has them.
	"BenchmarkPlanBucketPolicy/merge":     "PlanBucketPolicy: merge gcguard's statements into an owner's policy",
	"BenchmarkPlanBucketPolicy/compliant": "PlanBucketPolicy: a policy that already has them",
	"BenchmarkAnalyzeBucket":              "AnalyzeBucket: parse + analyze a bucket policy",
}

// policyTargeted are the rows DESIGN §9's figure applies to: the analysis
// and the plan with its access preview, of typical trust policies.
var policyTargeted = map[string]bool{"BenchmarkAnalyzeTrust": true, "BenchmarkPlanTrustPreviewTypical": true}

func runPolicy(ctx context.Context, b *bench) (*outcome, error) {
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", b.opt.benchtime, "./shared/policy/"}
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = b.root
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, raw)
	}
	out := &outcome{quote: strings.TrimSpace(string(raw))}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		name, metrics, ok := parseBenchLine(sc.Text())
		if !ok {
			continue
		}
		label, known := policyBenchmarks[name]
		if !known {
			label = strings.TrimPrefix(name, "Benchmark")
		}
		r := row{figure: label, result: fmt.Sprintf("%s policies/s (%s/op, %s B/op, %s allocs/op)",
			thousands(metrics["policies/s"]), nsOp(metrics["ns/op"]), thousands(metrics["B/op"]), thousands(metrics["allocs/op"]))}
		if policyTargeted[name] {
			r.target, r.verdict = "≥ 50,000/s per core", check(metrics["policies/s"] >= policyTarget)
		}
		out.rows = append(out.rows, r)
	}
	if len(out.rows) == 0 {
		return nil, fmt.Errorf("no benchmark results in the output of go %s", strings.Join(args, " "))
	}
	return out, nil
}

// parseBenchLine reads "BenchmarkX-2  N  v unit  v unit …".
func parseBenchLine(line string) (string, map[string]float64, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", nil, false
	}
	name := f[0]
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		name = name[:i]
	}
	m := map[string]float64{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		m[f[i+1]] = v
	}
	return name, m, true
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go" // not on PATH: let exec report it
}

func nsOp(ns float64) string {
	if ns >= 1000 {
		return fmt.Sprintf("%.1f µs", ns/1000)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// thousands prints v rounded, with commas.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
