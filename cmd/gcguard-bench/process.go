package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/gcguard/gcguard/shared/guardrail"
	"github.com/gcguard/gcguard/shared/testkit"
)

const processAbout = `The real accesskey ` + "`bootstrap`" + ` (linux/amd64, stripped, from ` + "`make build-local`" + `; run from a private
copy so a rebuild during the run cannot swap it) behind testkit's local Lambda Runtime API server, its
environment pointing at the same moto, which one untimed event has warmed. Cold start is process start to
its first request for an event (` + "`Function.ColdStart`" + `), over fresh processes after one untimed start to
warm the page cache; each of those processes then handles one fix-path event, timed as the first event
after a cold start. Then one process handles fix-path events (a fresh key each, created untimed; each round
trip through the Runtime API is timed), interleaved with the same events handled in-process, and its peak
resident set (VmHWM in /proc/<pid>/status) is read before it stops. Sizes are of the files ` + "`make build`" + `
writes: arm64 for deployment, amd64 for local runs.`

const sizeLimit = 15_000_000 // bytes: DESIGN §9, "under 15 MB"

// processRig runs the bootstrap and the in-process engine on fix-path
// events of their own users.
type processRig struct {
	bin     string
	env     []string
	users   iamUsers
	fixture []byte
	engine  *guardrail.Engine
}

func runProcess(ctx context.Context, b *bench) (*outcome, error) {
	sizes, err := b.sizeRows()
	if err != nil {
		return nil, err
	}
	rig, err := newProcessRig(ctx, b)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Dir(rig.bin))
	out := &outcome{}
	cold, first, err := rig.coldStarts(ctx, b.opt.starts)
	if err != nil {
		return nil, err
	}
	out.rows = append(out.rows,
		row{figure: "cold start: process start → first /next (accesskey)", n: len(cold), median: dur(cold.median()), p99: dur(cold.p99()),
			result: "p99 " + dur(cold.p99()), target: "< 50 ms", verdict: check(cold.p99() < 50*time.Millisecond)},
		row{figure: "first event after a cold start, through the bootstrap", n: len(first), median: dur(first.median()), p99: dur(first.p99())})

	f, err := testkit.StartFunction(ctx, rig.bin, rig.env)
	if err != nil {
		return nil, err
	}
	defer f.Stop()
	viaRuntime, inProcess, err := rig.warmEvents(ctx, f, b.opt.memEvents)
	if err != nil {
		return nil, err
	}
	out.rows = append(out.rows,
		row{figure: "fix-path event through a warm bootstrap (Runtime API round trip)", n: len(viaRuntime), median: dur(viaRuntime.median()), p99: dur(viaRuntime.p99())},
		row{figure: "the same events in-process (`Engine.Handle`), interleaved", n: len(inProcess), median: dur(inProcess.median()), p99: dur(inProcess.p99())},
		row{figure: "bootstrap ÷ in-process, medians", result: fmt.Sprintf("%.3f×", ratio(viaRuntime.median(), inProcess.median()))})
	pid, err := childRunning(rig.bin)
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
	if linked, err := linkedServices(ctx, b.root, "./functions/accesskey"); err == nil {
		out.notes = append(out.notes, "SDK service clients linked into the accesskey function (`go list -deps`): "+strings.Join(linked, ", ")+".")
	}
	return out, nil
}

// linkedServices lists the AWS SDK service packages a function links: what
// its size is made of beyond the runtime and the SDK core.
func linkedServices(ctx context.Context, root, pkg string) ([]string, error) {
	cmd := exec.CommandContext(ctx, goCommand(), "list", "-deps", pkg)
	cmd.Dir = root
	raw, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range strings.Fields(string(raw)) {
		if svc, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"); ok && !strings.Contains(svc, "/") {
			out = append(out, svc)
		}
	}
	return out, nil
}

func newProcessRig(ctx context.Context, b *bench) (*processRig, error) {
	sb, err := b.sandbox(ctx)
	if err != nil {
		return nil, err
	}
	fixture, err := b.event("events/iam/create-access-key.json")
	if err != nil {
		return nil, err
	}
	eng, err := sb.Engine(guardrail.Default, "accesskey")
	if err != nil {
		return nil, err
	}
	null, err := devNull()
	if err != nil {
		return nil, err
	}
	eng.Logger = guardrail.NewLogger(null)
	r := &processRig{env: sb.Env(), users: iamUsers{iam.NewFromConfig(sb.AWS)}, fixture: fixture, engine: eng}
	for _, u := range []string{"bench-bootstrap", "bench-in-process"} {
		if err := r.users.ensureUser(ctx, u); err != nil {
			return nil, err
		}
	}
	// Warm moto: it loads each service's code on first use.
	if err := r.inProcess(ctx); err != nil {
		return nil, err
	}
	if r.bin, err = privateCopy(b.path(filepath.Join(b.opt.localDir, "accesskey", "bootstrap"))); err != nil {
		return nil, err
	}
	return r, nil
}

// event is a fix-path event for a fresh key of user.
func (r *processRig) event(ctx context.Context, user string) ([]byte, error) {
	key, err := r.users.freshKey(ctx, user)
	if err != nil {
		return nil, err
	}
	return []byte(strings.NewReplacer(`"alice"`, `"`+user+`"`, `"AKIAEXAMPLEKEY000001"`, `"`+key+`"`).Replace(string(r.fixture))), nil
}

// viaRuntime times one event through the bootstrap f.
func (r *processRig) viaRuntime(ctx context.Context, f *testkit.Function) (time.Duration, error) {
	ev, err := r.event(ctx, "bench-bootstrap")
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if _, err := f.Invoke(ctx, ev); err != nil {
		return 0, fmt.Errorf("bootstrap: %w", err)
	}
	return time.Since(t0), nil
}

func (r *processRig) inProcess(ctx context.Context) error {
	ev, err := r.event(ctx, "bench-in-process")
	if err != nil {
		return err
	}
	return r.engine.Handle(ctx, ev)
}

// coldStarts starts the bootstrap n times (after one untimed start) and
// returns each start's time to its first request for an event, and the
// time of that first event.
func (r *processRig) coldStarts(ctx context.Context, n int) (cold, first samples, err error) {
	for i := range n + 1 {
		f, err := testkit.StartFunction(ctx, r.bin, r.env)
		if err != nil {
			return nil, nil, err
		}
		d := f.ColdStart()
		e, err := r.viaRuntime(ctx, f)
		f.Stop()
		if err != nil {
			return nil, nil, err
		}
		if i > 0 {
			cold, first = append(cold, d), append(first, e)
		}
	}
	return cold, first, r.noKeysLeft(ctx)
}

// warmEvents times n events through the running bootstrap f, interleaved
// (A B B A) with n handled in-process.
func (r *processRig) warmEvents(ctx context.Context, f *testkit.Function, n int) (viaRuntime, inProcess samples, err error) {
	sides := []func() error{
		func() error {
			d, err := r.viaRuntime(ctx, f)
			viaRuntime = append(viaRuntime, d)
			return err
		},
		func() error {
			d, err := timed(func() error { return r.inProcess(ctx) })
			inProcess = append(inProcess, d)
			return err
		},
	}
	for i := range n {
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return nil, nil, err
			}
		}
	}
	return viaRuntime, inProcess, r.noKeysLeft(ctx)
}

// noKeysLeft checks every event did its work: each key it named is gone.
func (r *processRig) noKeysLeft(ctx context.Context) error {
	for _, u := range []string{"bench-bootstrap", "bench-in-process"} {
		if n, err := r.users.keyCount(ctx, u); err != nil || n != 0 {
			return fmt.Errorf("%d access key(s) of %s left in place (%v)", n, u, err)
		}
	}
	return nil
}

func timed(f func() error) (time.Duration, error) {
	t0 := time.Now()
	err := f()
	return time.Since(t0), err
}

// privateCopy copies a bootstrap into a directory of this run's own, so a
// rebuild of build/local during the run cannot swap the file under the
// measurement, and the running process is told apart by its path.
func privateCopy(src string) (string, error) {
	raw, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("%w: run make build first", err)
	}
	dir, err := os.MkdirTemp("", "gcguard-bench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return bin, nil
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
