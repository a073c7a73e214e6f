package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/sandbox"
	"github.com/gcguard/gcguard/shared/testkit"
)

const processAbout = `The real accesskey ` + "`bootstrap`" + ` (linux/amd64, stripped, from ` + "`make build-local`" + `) behind testkit's local
Lambda Runtime API server, its environment pointing at the same moto. Cold start is process start to its
first request for an event (` + "`Function.ColdStart`" + `), over fresh processes after one untimed start to
warm the page cache. Then one process handles fix-path events (a fresh key each, created untimed; each
round trip through the Runtime API is timed), interleaved with the same events handled in-process, and its peak resident set (VmHWM in /proc/<pid>/status) is
read before it stops. Sizes are of the files ` + "`make build`" + ` writes: arm64 for deployment, amd64 for local runs.`

const sizeLimit = 15_000_000 // bytes: DESIGN §9, "under 15 MB"

func runProcess(ctx context.Context, b *bench) (*outcome, error) {
	out := &outcome{}
	sizes, err := b.sizeRows()
	if err != nil {
		return nil, err
	}
	bin := b.path(filepath.Join(b.opt.localDir, "accesskey", "bootstrap"))
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w: run make build first", err)
	}
	sb, err := b.sandbox(ctx)
	if err != nil {
		return nil, err
	}
	cold, err := coldStarts(ctx, bin, sb.Env(), b.opt.starts)
	if err != nil {
		return nil, err
	}
	out.rows = append(out.rows, row{figure: "cold start: process start → first /next (accesskey)", n: len(cold),
		median: dur(cold.median()), p99: dur(cold.p99()), result: "p99 " + dur(cold.p99()), target: "< 50 ms", verdict: check(cold.p99() < 50*time.Millisecond)})

	f, err := testkit.StartFunction(ctx, bin, sb.Env())
	if err != nil {
		return nil, err
	}
	defer f.Stop()
	viaRuntime, inProcess, first, err := bootstrapEvents(ctx, b, sb, f)
	if err != nil {
		return nil, err
	}
	r := ratio(viaRuntime.median(), inProcess.median())
	out.rows = append(out.rows,
		row{figure: "first event after the cold start, through the bootstrap", n: 1, median: dur(first)},
		row{figure: "fix-path event through the bootstrap (Runtime API round trip)", n: len(viaRuntime), median: dur(viaRuntime.median()), p99: dur(viaRuntime.p99())},
		row{figure: "the same events in-process (`Engine.Handle`), interleaved", n: len(inProcess), median: dur(inProcess.median()), p99: dur(inProcess.p99())},
		row{figure: "bootstrap ÷ in-process, medians", result: fmt.Sprintf("%.3f×", r)})
	pid, err := childRunning(bin)
	if err == nil {
		var hwm uint64
		if hwm, err = vmHWM(pid); err == nil {
			out.rows = append(out.rows, row{figure: fmt.Sprintf("bootstrap peak RSS after %d events (VmHWM)", len(viaRuntime)), result: mib(hwm)})
		}
	}
	if err != nil {
		out.notes = append(out.notes, "Peak memory of the bootstrap not read: "+err.Error())
	}
	out.rows = append(out.rows, sizes...)
	return out, nil
}

// coldStarts starts bin n times (after one untimed start) and returns each
// start's time to its first request for an event.
func coldStarts(ctx context.Context, bin string, env []string, n int) (samples, error) {
	var s samples
	for i := range n + 1 {
		f, err := testkit.StartFunction(ctx, bin, env)
		if err != nil {
			return nil, err
		}
		d := f.ColdStart()
		f.Stop()
		if i > 0 {
			s = append(s, d)
		}
	}
	return s, nil
}

// sizeRows measures every function's bootstrap as make build wrote it.
func (b *bench) sizeRows() ([]row, error) {
	var rows []row
	for _, set := range []struct{ dir, arch string }{{b.opt.distDir, "arm64, deployed"}, {b.opt.localDir, "amd64, local"}} {
		bins, err := filepath.Glob(filepath.Join(b.path(set.dir), "*", "bootstrap"))
		if err != nil {
			return nil, err
		}
		if len(bins) == 0 {
			return nil, fmt.Errorf("no %s/*/bootstrap: run make build first", set.dir)
		}
		for _, bin := range bins {
			st, err := os.Stat(bin)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(b.root, bin)
			rows = append(rows, row{figure: fmt.Sprintf("stripped size: `%s` (%s)", rel, set.arch),
				result: fmt.Sprintf("%.2f MB", float64(st.Size())/1e6), target: "< 15 MB", verdict: check(st.Size() < sizeLimit)})
		}
	}
	return rows, nil
}

// bootstrapEvents sends fix-path events to the running bootstrap, each
// followed (or preceded, alternately) by the same kind of event handled
// in-process, and times both; first is the bootstrap's first event.
func bootstrapEvents(ctx context.Context, b *bench, sb *sandbox.Sandbox, f *testkit.Function) (viaRuntime, inProcess samples, first time.Duration, err error) {
	users := iamUsers{iam.NewFromConfig(sb.AWS)}
	eng, err := sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		return nil, nil, 0, err
	}
	null, err := devNull()
	if err != nil {
		return nil, nil, 0, err
	}
	eng.Logger = guardrail.NewLogger(null)
	fixture, err := b.event("events/iam/create-access-key.json")
	if err != nil {
		return nil, nil, 0, err
	}
	type side struct {
		user   string
		handle func(ev []byte) error
		times  *samples
	}
	sides := []side{
		{"bench-in-process", func(ev []byte) error { return eng.Handle(ctx, ev) }, &inProcess},
		{"bench-bootstrap", func(ev []byte) error { _, err := f.Invoke(ctx, ev); return err }, &viaRuntime},
	}
	for _, s := range sides {
		if err := users.ensureUser(ctx, s.user); err != nil {
			return nil, nil, 0, err
		}
	}
	// The first event warms moto (it loads a service's code on first use),
	// untimed in-process, then times the bootstrap's first event on its own.
	event := func(user string) ([]byte, error) {
		key, err := users.freshKey(ctx, user)
		if err != nil {
			return nil, err
		}
		return []byte(strings.NewReplacer(`"alice"`, `"`+user+`"`, `"AKIAEXAMPLEKEY000001"`, `"`+key+`"`).Replace(string(fixture))), nil
	}
	for _, s := range sides {
		ev, err := event(s.user)
		if err != nil {
			return nil, nil, 0, err
		}
		t0 := time.Now()
		if err := s.handle(ev); err != nil {
			return nil, nil, 0, fmt.Errorf("%s: %w", s.user, err)
		}
		first = time.Since(t0)
	}
	for i := range b.opt.memEvents {
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, s := range sides {
			ev, err := event(s.user)
			if err != nil {
				return nil, nil, 0, err
			}
			t0 := time.Now()
			if err := s.handle(ev); err != nil {
				return nil, nil, 0, fmt.Errorf("%s: %w", s.user, err)
			}
			*s.times = append(*s.times, time.Since(t0))
		}
	}
	for _, s := range sides {
		if n, err := users.keyCount(ctx, s.user); err != nil || n != 0 {
			return nil, nil, 0, fmt.Errorf("%d key(s) of %s left in place (%v)", n, s.user, err)
		}
	}
	return viaRuntime, inProcess, first, nil
}
