package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const scaleAbout = "The scheduled sweep (`guardrail.Sweeper` with every registered rule and four workers, as " +
	"`functions/sweep` wires it) over an account seeded on a fresh moto per size: 5,000 roles, 1,000 buckets and " +
	"500 users with a key each at 1×, and two and four times as many at 2× and 4×. IAM allows 5,000 roles per " +
	"account, so 2× and 4× are **synthetic**: no real account can hold them; they show how the cost grows. " +
	"Roles: 2% trust anyone (fixed), 4% are service-linked (reserved path, service principal; never touched), the " +
	"rest trust the account root limited to IAM Identity Center's roles (compliant). Buckets: 90% already " +
	"compliant (SSE-KMS with the region's key and a bucket key, gcguard's policy, Block Public Access, " +
	"BucketOwnerEnforced), 10% as moto creates them (fixed). Users: 10% with an active key (deleted), 90% with " +
	"an inactive one; every user is reported (the iamuser rule notifies). Enforce mode, deployed an hour " +
	"before seeding, so every resource is new and the sweep fixes what it finds: writes, audit records and " +
	"notices included. Every call goes through testkit's recording proxy, which answers every 20th IAM call " +
	"with `Throttling`; the SDK clients use the functions' retryer (adaptive, five attempts). Seeding " +
	"(eight workers) is not timed; the wall time is the sweep's `Run`. Memory: the Go heap in use, sampled " +
	"every 10 ms during the sweep, and the process's peak RSS (VmHWM, reset before the sweep; it also holds " +
	"the proxy and its call log, so it bounds the sweep's from above)."

// throttleEvery is how often an IAM call is answered with Throttling.
const throttleEvery = 20

// scaleRun is one size's figures.
type scaleRun struct {
	scale    int
	w        world
	seedTime time.Duration
	wall     time.Duration
	finished bool
	counts   map[string]int
	errors   []string
	calls    map[string]int // service → calls, throttled attempts included
	injected int
	writes   int // IAM and S3 calls that may change state
	phases   []phase
	heapPeak uint64
	rssPeak  uint64
}

// phase is one rule's part of the sweep (rules run one after another).
type phase struct {
	rule  string
	items int
	took  time.Duration
	calls map[string]int
	lists map[string]int // the List… calls among calls
}

func (r *scaleRun) totalCalls() int {
	n := 0
	for _, c := range r.calls {
		n += c
	}
	return n
}

// callLog is what the proxy's fault hook saw, for attributing calls to
// the rule whose phase they fell in.
type callLog struct {
	mu       sync.Mutex
	at       []time.Time
	service  []string
	listing  []bool // a List… call: the sweep makes these one at a time
	iam      atomic.Int64
	injected atomic.Int64
}

func (l *callLog) hook(c testkit.Call) *testkit.Fault {
	now := time.Now()
	l.mu.Lock()
	l.at = append(l.at, now)
	l.service = append(l.service, c.Service)
	l.listing = append(l.listing, strings.HasPrefix(c.Action, "List"))
	l.mu.Unlock()
	if c.Service == "iam" && l.iam.Add(1)%throttleEvery == 0 {
		l.injected.Add(1)
		return testkit.Throttle(c)
	}
	return nil
}

func runScaleSize(ctx context.Context, scale int) (*scaleRun, error) {
	m, err := testkit.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	defer m.Stop()
	p, err := testkit.StartProxy(m.Endpoint())
	if err != nil {
		return nil, err
	}
	defer p.Close()
	cfg, err := scaleConfig(ctx, p)
	if err != nil {
		return nil, err
	}
	sb, err := sandbox.New(ctx, cfg, p.Env())
	if err != nil {
		return nil, fmt.Errorf("prepare the local account: %w", err)
	}
	sb.Config.DeployedAt = time.Now().Add(-time.Hour)
	r := &scaleRun{scale: scale, w: newWorld(scale)}
	fmt.Fprintf(os.Stderr, "   %d×: seeding %d roles, %d buckets, %d users ...\n", scale, r.w.roles, r.w.buckets, r.w.users)
	t0 := time.Now()
	if err := seed(ctx, cfg, sb, &r.w); err != nil {
		return nil, fmt.Errorf("seed %d×: %w", scale, err)
	}
	r.seedTime = time.Since(t0)

	eng, err := sb.Engine(guardrail.Default, guardrail.Default.Names()...)
	if err != nil {
		return nil, err
	}
	eng.Logger = slog.New(slog.DiscardHandler)
	var mu sync.Mutex
	last := map[string]time.Time{}
	items := map[string]int{}
	sw := &guardrail.Sweeper{Engine: eng, Checkpoints: sb.Store, Workers: 4, OnItem: func(res guardrail.Result) {
		now := time.Now()
		mu.Lock()
		last[res.Rule], items[res.Rule] = now, items[res.Rule]+1
		if n := items[res.Rule]; n%500 == 0 || n == 1 {
			fmt.Fprintf(os.Stderr, "   %d×: %s: %d items at %s\n", scale, res.Rule, n, time.Since(t0).Round(time.Second))
		}
		mu.Unlock()
	}}
	log := &callLog{}
	p.Reset()
	p.SetFault(log.hook)
	fmt.Fprintf(os.Stderr, "   %d×: seeded in %s (%d calls); sweeping ...\n", scale, r.seedTime.Round(time.Second), r.w.seedCalls)

	t0 = time.Now()
	runtime.GC()
	debug.FreeOSMemory()
	resetHWM := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	stopSampling, heapPeak := sampleHeap(10 * time.Millisecond)
	// No Lambda deadline here: moto is slower than AWS, and the run is
	// measured to its end; the estimate below says what AWS would take.
	sctx, cancel := context.WithTimeout(ctx, 3*time.Hour)
	start := time.Now()
	rep, err := sw.Run(sctx)
	r.wall = time.Since(start)
	cancel()
	stopSampling()
	p.SetFault(nil)
	if err != nil {
		return nil, fmt.Errorf("sweep %d×: %w", scale, err)
	}
	r.heapPeak = heapPeak()
	if hwm, err := vmHWM(os.Getpid()); err == nil && resetHWM {
		r.rssPeak = hwm
	}
	r.finished, r.counts, r.errors = rep.Finished, rep.Counts, rep.Errors
	r.injected = int(log.injected.Load())
	r.calls = map[string]int{}
	for _, c := range p.Calls() {
		r.calls[c.Service]++
	}
	for _, c := range p.Mutating("") {
		if c.Service == "iam" || c.Service == "s3" || c.Service == "s3control" {
			r.writes++
		}
	}
	r.phases = phases(start, last, items, log)
	return r, nil
}

// phases splits the calls at the time each rule's last item ended: the
// sweeper finishes a rule's batches before it lists the next rule.
func phases(start time.Time, last map[string]time.Time, items map[string]int, log *callLog) []phase {
	var out []phase
	for rule, t := range last {
		out = append(out, phase{rule: rule, items: items[rule], took: t.Sub(start), calls: map[string]int{}, lists: map[string]int{}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].took < out[j].took })
	prev := time.Duration(0)
	for i := range out {
		end := out[i].took
		out[i].took = end - prev
		prev = end
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for k, at := range log.at {
		since := at.Sub(start)
		i := sort.Search(len(out), func(i int) bool { return cumulative(out, i) >= since })
		i = min(i, len(out)-1)
		out[i].calls[log.service[k]]++
		if log.listing[k] {
			out[i].lists[log.service[k]]++
		}
	}
	return out
}

func cumulative(ps []phase, i int) time.Duration {
	var d time.Duration
	for _, p := range ps[:i+1] {
		d += p.took
	}
	return d
}

// sampleHeap records the high-water mark of the Go heap in use until stopped.
func sampleHeap(every time.Duration) (stop func(), peak func() uint64) {
	var hi atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > hi.Load() {
			hi.Store(m.HeapInuse)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() { close(done); wg.Wait() }, hi.Load
}

func runScale(ctx context.Context, b *bench) (*outcome, error) {
	var runs []*scaleRun
	for _, s := range b.opt.scales {
		r, err := runScaleSize(ctx, s)
		if err != nil {
			if len(runs) == 0 {
				return nil, err
			}
			out := scaleOutcome(runs)
			if ctx.Err() != nil {
				out.notes = append(out.notes, fmt.Sprintf("The %d× size was interrupted before its sweep ended (%v); the sizes above are complete.", s, err))
			} else {
				out.notes = append(out.notes, fmt.Sprintf("The %d× size did not complete: %v", s, err))
			}
			return out, nil
		}
		fmt.Fprintf(os.Stderr, "   %d×: swept in %s, %d calls, %d throttles injected, %d errors\n",
			s, r.wall.Round(time.Second), r.totalCalls(), r.injected, len(r.errors))
		runs = append(runs, r)
		if b.partial != nil && len(runs) < len(b.opt.scales) {
			b.partial(scaleOutcome(runs))
		}
	}
	return scaleOutcome(runs), nil
}

func sizeLabel(r *scaleRun) string {
	l := fmt.Sprintf("%d×", r.scale)
	if r.w.roles > baseRoles {
		l += " (synthetic)"
	}
	return l
}

func scaleOutcome(runs []*scaleRun) *outcome {
	out := &outcome{}
	base := runs[0]
	for _, r := range runs {
		ok := r.finished && len(r.errors) == 0
		out.rows = append(out.rows, row{
			figure:  fmt.Sprintf("sweep %s on moto: %s roles, %s buckets, %s users, every %dth IAM call throttled", sizeLabel(r), thousands(float64(r.w.roles)), thousands(float64(r.w.buckets)), thousands(float64(r.w.users)), throttleEvery),
			result:  fmt.Sprintf("%s, %d errors", dur(r.wall), len(r.errors)),
			target:  "finishes, no errors",
			verdict: check(ok),
		})
	}
	if last := runs[len(runs)-1]; last != base {
		g := perResource(last) / perResource(base)
		out.rows = append(out.rows, row{
			figure:  fmt.Sprintf("sweep time per resource, %d× ÷ 1×", last.scale),
			result:  fmt.Sprintf("%.2f×", g),
			target:  "≈ 1 (linear; ≤ 1.3)",
			verdict: check(g <= 1.3),
		})
	}
	est := estimateAWS(base)
	out.rows = append(out.rows, row{
		figure:  "estimated sweep time in AWS at 1× (see the model below)",
		result:  dur(est.total),
		target:  "< 15 min (Lambda)",
		verdict: check(est.total < 15*time.Minute),
	})
	out.markdown = scaleTables(runs, est)
	return out
}

func perResource(r *scaleRun) float64 { return float64(r.wall) / float64(r.w.resources()) }

func scaleTables(runs []*scaleRun, est estimate) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("| Size | Roles / buckets / users | Seeded (untimed) | Sweep wall time | Per resource | API calls | Calls per resource | IAM throttles injected | IAM + S3 writes | Errors | Go heap in use, peak | Process RSS, peak |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		w("| %s | %s / %s / %s | %s | %s | %s | %s | %.2f | %s | %s | %d | %s | %s |\n", sizeLabel(r),
			thousands(float64(r.w.roles)), thousands(float64(r.w.buckets)), thousands(float64(r.w.users)),
			dur(r.seedTime.Round(time.Second)), dur(r.wall), dur(time.Duration(perResource(r))),
			thousands(float64(r.totalCalls())), float64(r.totalCalls())/float64(r.w.resources()),
			thousands(float64(r.injected)), thousands(float64(r.writes)), len(r.errors), mib(r.heapPeak), orDash(mibOrEmpty(r.rssPeak)))
	}
	w("\nCalls by service (throttled attempts and their retries included):\n\n| Size |")
	services := map[string]bool{}
	for _, r := range runs {
		for s := range r.calls {
			services[s] = true
		}
	}
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	slices.Sort(names)
	for _, s := range names {
		w(" %s |", s)
	}
	w("\n|---|%s\n", strings.Repeat("---:|", len(names)))
	for _, r := range runs {
		w("| %s |", sizeLabel(r))
		for _, s := range names {
			w(" %s |", thousands(float64(r.calls[s])))
		}
		w("\n")
	}
	w("\nPer rule (the sweep takes the rules one after another; a rule's time runs from the previous rule's last item to its own, listing included, and its calls are those made in that span):\n\n")
	w("| Size | Rule | Items | Time | Per item | Calls (by service) | Calls per item |\n|---|---|---:|---:|---:|---|---:|\n")
	for _, r := range runs {
		for _, p := range r.phases {
			n := 0
			for _, c := range p.calls {
				n += c
			}
			w("| %s | %s | %s | %s | %s | %s | %.2f |\n", sizeLabel(r), p.rule, thousands(float64(p.items)), dur(p.took),
				dur(p.took/time.Duration(max(p.items, 1))), byService(p.calls), float64(n)/float64(max(p.items, 1)))
		}
	}
	w("\nOutcomes:\n\n| Size | Counts (rule/outcome) |\n|---|---|\n")
	for _, r := range runs {
		keys := make([]string, 0, len(r.counts))
		for k := range r.counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %s", k, thousands(float64(r.counts[k]))))
		}
		w("| %s | %s |\n", sizeLabel(r), strings.Join(parts, ", "))
	}
	for _, r := range runs {
		if len(r.errors) > 0 {
			w("\n%s errors (first five): %s\n", sizeLabel(r), strings.Join(r.errors[:min(5, len(r.errors))], "; "))
		}
	}
	w("\n%s", est.markdown)
	return b.String()
}

func mibOrEmpty(v uint64) string {
	if v == 0 {
		return ""
	}
	return mib(v)
}

func byService(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, thousands(float64(m[k]))))
	}
	return strings.Join(parts, ", ")
}
