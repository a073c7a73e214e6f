package testkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// FunctionName is the AWS_LAMBDA_FUNCTION_NAME a Function gets unless its
// env says otherwise.
const FunctionName = "gcguard-test"

// Function is a bootstrap binary running behind a Runtime API server of its
// own, as Lambda runs a provided.al2023 function.
type Function struct {
	rt      *runtimeServer
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	waitErr error
	logs    *tailBuffer

	stopOnce sync.Once
}

// StartFunction runs bin with the Lambda environment (AWS_LAMBDA_RUNTIME_API
// pointing at a new Runtime API server, function name, memory, version,
// region, _HANDLER, LAMBDA_TASK_ROOT) plus env, whose entries win. The
// process does not inherit this process's environment beyond PATH, HOME,
// TMPDIR and GOCOVERDIR: pass moto's Env to give it AWS.
//
// It returns once the function asked for its first event, so a function
// that fails its init is reported here, with the tail of its output; ctx
// bounds that wait only.
func StartFunction(ctx context.Context, bin string, env []string) (*Function, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	lambdaEnv := lambdaBaseEnv(abs)
	for _, kv := range append(append([]string{}, lambdaEnv...), env...) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	region := vars["AWS_REGION"]
	name := vars["AWS_LAMBDA_FUNCTION_NAME"]
	rt, err := startRuntimeServer(fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, Account, name))
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(append(lambdaEnv, env...), "AWS_LAMBDA_RUNTIME_API="+rt.addr)
	f := &Function{rt: rt, cmd: cmd, exited: make(chan struct{}), logs: newTailBuffer(4 << 20)}
	cmd.Stdout, cmd.Stderr = f.logs, f.logs
	isolate(cmd)
	f.started = time.Now()
	if err := cmd.Start(); err != nil {
		rt.close()
		return nil, fmt.Errorf("start function %s: %w", bin, err)
	}
	go func() {
		f.waitErr = cmd.Wait()
		close(f.exited)
	}()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultInvokeTimeout)
		defer cancel()
	}
	select {
	case <-rt.nextSeen:
		return f, nil
	case <-rt.initSeen:
		err = fmt.Errorf("function %s failed its init: %w", bin, rt.initFailure())
	case <-f.exited:
		err = fmt.Errorf("function %s: %w before asking for an event (%v)", bin, errProcessExited, f.waitErr)
	case <-ctx.Done():
		err = fmt.Errorf("function %s did not ask for an event: %w", bin, ctx.Err())
	}
	f.Stop()
	return nil, fmt.Errorf("%w\n%s", err, f.logTail())
}

func lambdaBaseEnv(bin string) []string {
	env := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME=testkit",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"_HANDLER=" + filepath.Base(bin),
		"LAMBDA_TASK_ROOT=" + filepath.Dir(bin),
		"TZ=:UTC",
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Invoke sends event to the function and waits for its answer. The
// function's deadline is ctx's, or DefaultInvokeTimeout from now.
//
// The error is a *FunctionError when the function reported one; otherwise
// it says the process exited (with the tail of its output) or ctx ended.
// After a timeout the function is still busy with the event; its late
// answer is refused, on which aws-lambda-go exits, as Lambda would recycle
// a timed-out sandbox. Start a new Function to go on.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultInvokeTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	inv := &invocation{id: newRequestID(), event: event, deadline: deadline, done: make(chan result, 1)}

	select {
	case f.rt.queue <- inv:
	case <-f.exited:
		return nil, f.exitError()
	case <-f.rt.initSeen:
		return nil, fmt.Errorf("function failed its init: %w", f.rt.initFailure())
	case <-ctx.Done():
		return nil, fmt.Errorf("function did not take the event (busy or hung): %w", ctx.Err())
	}
	select {
	case res := <-inv.done:
		return res.body, res.err
	case <-f.exited:
		f.rt.abandon(inv.id)
		return nil, f.exitError()
	case <-ctx.Done():
		f.rt.abandon(inv.id)
		return nil, fmt.Errorf("function did not answer invocation %s: %w", inv.id, ctx.Err())
	}
}

// DefaultInvokeTimeout bounds an Invoke whose context has no deadline.
const DefaultInvokeTimeout = 60 * time.Second

func (f *Function) exitError() error {
	return fmt.Errorf("%w (%v)\n%s", errProcessExited, f.waitErr, f.logTail())
}

// IsExited reports whether err says the bootstrap process ended.
func IsExited(err error) bool { return errors.Is(err, errProcessExited) }

// Logs is everything the function wrote to stdout and stderr (its JSON log
// lines), up to the last 4 MiB.
func (f *Function) Logs() []byte { return f.logs.Bytes() }

func (f *Function) logTail() string {
	return "function output (tail):\n" + tail(f.logs.Bytes(), 4000)
}

// ColdStart is the time from starting the process to its first request for
// an event: the init phase Lambda bills as cold start.
func (f *Function) ColdStart() time.Duration {
	f.rt.mu.Lock()
	defer f.rt.mu.Unlock()
	if f.rt.firstNext.IsZero() {
		return 0
	}
	return f.rt.firstNext.Sub(f.started)
}

// Stop ends the process (SIGTERM, then SIGKILL) and the Runtime API server.
func (f *Function) Stop() {
	f.stopOnce.Do(func() {
		stopGroup(f.cmd, f.exited, 2*time.Second)
		f.rt.close()
	})
}

// Invoker adapts f to BothWays: the response is dropped, and a function
// error is returned as the Go error.
func (f *Function) Invoker() Invoker {
	return func(ctx context.Context, event []byte) error {
		_, err := f.Invoke(ctx, event)
		return err
	}
}

// StartFunctionT builds pkg (once per test binary, see BootstrapT), starts
// it with env, and stops it when t ends; the function's output is logged
// when t fails.
func StartFunctionT(t testing.TB, pkg string, env []string) *Function {
	t.Helper()
	bin := BootstrapT(t, pkg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := StartFunction(ctx, bin, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("function %s output:\n%s", pkg, tail(f.Logs(), 8000))
		}
	})
	return f
}
