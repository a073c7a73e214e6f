package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules" // registers accesskey
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const handlerAbout = `The accesskey function's handler (` + "`Engine.Handle`" + `, built by ` + "`NewEngine`" + ` as the
function builds it, logging JSON to /dev/null) against the same AWS calls made bare with the SDK, on one
moto, interleaved A B B A so drift hits both sides alike. The bare sequence is taken from the recording
proxy's calls for one engine run and checked call for call against it before timing; its payloads are the
engine's own (its audit item, its rendered notice), so moto does the same work on both sides and the gap is
gcguard's. The fix path gets a fresh key per event (created untimed); the compliant path is an
UpdateAccessKey-to-Active event for a key that is already inactive (out-of-order delivery).`

// accessKeyPath is one scenario of the accesskey rule, timed both ways.
type accessKeyPath struct {
	name       string
	fixture    string
	engineUser string
	bareUser   string
	// key gives the access key a run acts on, preparing it untimed.
	key func(ctx context.Context, user string) (string, error)
}

// comparison is what timing one path both ways gave.
type comparison struct {
	calls                  []string
	engine, bare           samples
	engineAlloc, bareAlloc allocs
}

// allocs sums heap allocation over runs.
type allocs struct{ bytes, count, runs uint64 }

func (a *allocs) add(before, after *runtime.MemStats) {
	a.bytes += after.TotalAlloc - before.TotalAlloc
	a.count += after.Mallocs - before.Mallocs
	a.runs++
}

func (a allocs) String() string {
	if a.runs == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f KiB, %d allocs", float64(a.bytes)/float64(a.runs)/1024, a.count/a.runs)
}

// handlerRig holds the engines and clients of the comparison: one engine
// and one bare client set straight to moto for timing, and one of each
// through the recording proxy to capture and check the call sequence.
type handlerRig struct {
	iamUsers
	sb       *sandbox.Sandbox
	proxy    *testkit.Proxy
	engine   *guardrail.Engine
	recorded *guardrail.Engine
	proxyCfg aws.Config
}

func runHandler(ctx context.Context, b *bench) (*outcome, error) {
	sb, err := b.sandbox(ctx)
	if err != nil {
		return nil, err
	}
	h, err := newHandlerRig(ctx, b, sb)
	if err != nil {
		return nil, err
	}
	defer h.proxy.Close()
	out := &outcome{}
	fix, err := h.compare(ctx, b.opt.events, accessKeyPath{
		name: "fix", fixture: "events/iam/create-access-key.json",
		engineUser: "bench-fix-engine", bareUser: "bench-fix-bare", key: h.freshKey,
	})
	if err != nil {
		return nil, fmt.Errorf("fix path: %w", err)
	}
	out.add("fix path", fix)
	inactive, err := h.inactiveKey(ctx, "bench-compliant")
	if err != nil {
		return nil, err
	}
	comp, err := h.compare(ctx, b.opt.events, accessKeyPath{
		name: "compliant", fixture: "events/iam/update-access-key-active.json",
		engineUser: "bench-compliant", bareUser: "bench-compliant",
		key: func(context.Context, string) (string, error) { return inactive, nil },
	})
	if err != nil {
		return nil, fmt.Errorf("compliant path: %w", err)
	}
	out.add("compliant path", comp)
	out.rows = append(out.rows, heapRows(2*b.opt.events)...)
	out.notes = append(out.notes,
		fmt.Sprintf("Fix path, %d calls per event, in the engine's order: %s.", len(fix.calls), strings.Join(fix.calls, ", ")),
		fmt.Sprintf("Compliant path, %d calls per event: %s.", len(comp.calls), strings.Join(comp.calls, ", ")))
	return out, nil
}

func (o *outcome) add(label string, c *comparison) {
	o.rows = append(o.rows,
		row{figure: label + ": handler (`Engine.Handle`)", n: len(c.engine), median: dur(c.engine.median()), p99: dur(c.engine.p99())},
		row{figure: label + ": same calls, bare SDK", n: len(c.bare), median: dur(c.bare.median()), p99: dur(c.bare.p99())},
	)
	r := ratio(c.engine.median(), c.bare.median())
	o.rows = append(o.rows,
		row{figure: label + ": handler ÷ bare, medians", result: fmt.Sprintf("%.3f×", r), target: "≤ 1.25×", verdict: check(r <= 1.25)},
		row{figure: label + ": handler − bare, medians", result: signed(c.engine.median() - c.bare.median())},
		row{figure: label + ": handler ÷ bare, p99s", result: fmt.Sprintf("%.3f×", ratio(c.engine.p99(), c.bare.p99()))},
		row{figure: label + ": heap allocated per event, handler / bare", result: c.engineAlloc.String() + " / " + c.bareAlloc.String()},
	)
}

func newHandlerRig(ctx context.Context, b *bench, sb *sandbox.Sandbox) (*handlerRig, error) {
	p, err := testkit.StartProxy(b.moto.Endpoint())
	if err != nil {
		return nil, err
	}
	h := &handlerRig{iamUsers: iamUsers{iam.NewFromConfig(sb.AWS)}, sb: sb, proxy: p}
	if h.proxyCfg, err = p.Config(ctx, testkit.Region); err != nil {
		p.Close()
		return nil, err
	}
	if h.engine, err = h.newEngine(sb.AWS); err == nil {
		h.recorded, err = h.newEngine(h.proxyCfg)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return h, nil
}

// newEngine builds the engine exactly as the function does, logging to
// /dev/null.
func (h *handlerRig) newEngine(cfg aws.Config) (*guardrail.Engine, error) {
	eng, err := h.sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		return nil, err
	}
	if cfg.BaseEndpoint != h.sb.AWS.BaseEndpoint {
		if eng, err = guardrail.NewEngine(h.sb.Config, cfg, guardrail.Default, "accesskey"); err != nil {
			return nil, err
		}
	}
	null, err := devNull()
	if err != nil {
		return nil, err
	}
	eng.Logger = guardrail.NewLogger(null)
	return eng, nil
}

// compare records the engine's calls for one event, builds the bare replay
// of them, checks the replay makes the same calls, then times n runs of
// each, interleaved.
func (h *handlerRig) compare(ctx context.Context, n int, p accessKeyPath) (*comparison, error) {
	for _, u := range []string{p.engineUser, p.bareUser} {
		if err := h.ensureUser(ctx, u); err != nil {
			return nil, err
		}
	}
	before, err := h.keyCount(ctx, p.engineUser)
	if err != nil {
		return nil, err
	}
	fixture, err := testkit.ReadFixture(p.fixture)
	if err != nil {
		return nil, err
	}
	eventFor := func(key string) []byte {
		return []byte(strings.NewReplacer(`"alice"`, `"`+p.engineUser+`"`, `"AKIAEXAMPLEKEY000001"`, `"`+key+`"`).Replace(string(fixture)))
	}
	// Record one engine run.
	key, err := p.key(ctx, p.engineUser)
	if err != nil {
		return nil, err
	}
	h.proxy.Reset()
	if err := h.recorded.Handle(ctx, eventFor(key)); err != nil {
		return nil, fmt.Errorf("recorded engine run: %w", err)
	}
	var calls []string
	for _, c := range h.proxy.Calls() {
		calls = append(calls, c.Service+":"+c.Action)
	}
	in, err := h.bareInputs(ctx, p)
	if err != nil {
		return nil, err
	}
	direct, err := newReplay(h.proxy.Calls(), in.with(h.sb.AWS))
	if err != nil {
		return nil, err
	}
	viaProxy, err := newReplay(h.proxy.Calls(), in.with(h.proxyCfg))
	if err != nil {
		return nil, err
	}
	// Check the replay against the recording.
	key, err = p.key(ctx, p.bareUser)
	if err != nil {
		return nil, err
	}
	h.proxy.Reset()
	if err := viaProxy.run(ctx, &iteration{accessKey: key}); err != nil {
		return nil, err
	}
	var bareCalls []string
	for _, c := range h.proxy.Calls() {
		bareCalls = append(bareCalls, c.Service+":"+c.Action)
	}
	if !slices.Equal(calls, bareCalls) {
		return nil, fmt.Errorf("the bare replay made %v, the engine %v", bareCalls, calls)
	}

	c := &comparison{calls: calls}
	engineSide := func(ctx context.Context, seq int, timed bool) error {
		key, err := p.key(ctx, p.engineUser)
		if err != nil {
			return err
		}
		ev := eventFor(key)
		d, err := measure(&c.engineAlloc, timed, func() error { return h.engine.Handle(ctx, ev) })
		if timed {
			c.engine = append(c.engine, d)
		}
		return err
	}
	bareSide := func(ctx context.Context, seq int, timed bool) error {
		key, err := p.key(ctx, p.bareUser)
		if err != nil {
			return err
		}
		it := &iteration{seq: seq, accessKey: key}
		d, err := measure(&c.bareAlloc, timed, func() error { return direct.run(ctx, it) })
		if timed {
			c.bare = append(c.bare, d)
		}
		return err
	}
	const warmup = 5
	for i := range warmup + n {
		timed := i >= warmup
		sides := []func(context.Context, int, bool) error{engineSide, bareSide}
		if i%2 == 1 {
			slices.Reverse(sides) // A B B A …
		}
		for _, side := range sides {
			if err := side(ctx, i, timed); err != nil {
				return nil, err
			}
		}
	}
	// Every event must have done its work: the engine removed each key.
	after, err := h.keyCount(ctx, p.engineUser)
	if err != nil {
		return nil, err
	}
	if p.name == "fix" && after != before {
		return nil, fmt.Errorf("the engine left %d access key(s) of %s in place", after-before, p.engineUser)
	}
	return c, nil
}

// measure times f, and sums its heap allocation when timed.
func measure(a *allocs, timed bool, f func() error) (time.Duration, error) {
	var m0, m1 runtime.MemStats
	if timed {
		runtime.ReadMemStats(&m0)
	}
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	if timed {
		runtime.ReadMemStats(&m1)
		a.add(&m0, &m1)
	}
	return d, err
}
