package testkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/testkit"
)

const echofn = "./testdata/echofn"

func invoke(t *testing.T, f *testkit.Function, event string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return f.Invoke(ctx, []byte(event))
}

func TestFunctionSuccessAndError(t *testing.T) {
	f := testkit.StartFunctionT(t, echofn, []string{"AWS_LAMBDA_FUNCTION_NAME=echo"})
	if cs := f.ColdStart(); cs <= 0 || cs > 30*time.Second {
		t.Errorf("ColdStart = %v", cs)
	}

	out, err := invoke(t, f, `{"message":"hi"}`)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Echo, RequestID, Function string
		HasDeadline               bool `json:"has_deadline"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response %q: %v", out, err)
	}
	r.RequestID = strings.TrimSpace(r.RequestID)
	if r.Echo != "hi" || r.Function != "echo" || !r.HasDeadline {
		t.Errorf("response = %s", out)
	}

	_, err = invoke(t, f, `{"do":"fail","message":"bucket is public"}`)
	var fe *testkit.FunctionError
	if !errors.As(err, &fe) || fe.Message != "bucket is public" || fe.Type == "" {
		t.Fatalf("err = %#v, want a FunctionError", err)
	}

	// A function error leaves the function serving.
	if _, err := invoke(t, f, `{"message":"again"}`); err != nil {
		t.Fatalf("invoke after an error: %v", err)
	}
	if !bytes.Contains(f.Logs(), []byte(`"msg":"handling"`)) {
		t.Errorf("logs lack the handler's JSON line:\n%s", f.Logs())
	}
}

func TestFunctionPanicThenExit(t *testing.T) {
	f := testkit.StartFunctionT(t, echofn, nil)
	_, err := invoke(t, f, `{"do":"panic","message":"boom"}`)
	var fe *testkit.FunctionError
	if !errors.As(err, &fe) || fe.Message != "boom" {
		t.Fatalf("err = %v, want the panic as a FunctionError", err)
	}
	// aws-lambda-go exits after reporting a panic: the next call says so.
	_, err = invoke(t, f, `{}`)
	if !testkit.IsExited(err) {
		t.Fatalf("err = %v, want process exited", err)
	}
}

func TestFunctionCrash(t *testing.T) {
	f := testkit.StartFunctionT(t, echofn, nil)
	start := time.Now()
	_, err := invoke(t, f, `{"do":"exit","message":"gone"}`)
	if !testkit.IsExited(err) || !strings.Contains(err.Error(), "exiting on request: gone") {
		t.Fatalf("err = %v, want process exited with the tail of its stderr", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("crash took %v to notice", time.Since(start))
	}
}

func TestFunctionInitFailure(t *testing.T) {
	bin := testkit.BootstrapT(t, echofn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := testkit.StartFunction(ctx, bin, []string{"ECHOFN_FAIL_INIT=1"})
	if err == nil {
		f.Stop()
		t.Fatal("StartFunction succeeded for a function failing its init")
	}
	if !testkit.IsExited(err) || !strings.Contains(err.Error(), "init failed on request") {
		t.Errorf("err = %v", err)
	}
}

func TestFunctionTimeout(t *testing.T) {
	f := testkit.StartFunctionT(t, echofn, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := f.Invoke(ctx, []byte(`{"do":"hang"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	var fe *testkit.FunctionError
	if errors.As(err, &fe) {
		t.Errorf("timeout reported as a function error: %v", err)
	}
}

func TestBothWays(t *testing.T) {
	var ways []string
	inProcess := func(ctx context.Context, event []byte) error {
		if bytes.Contains(event, []byte(`"fail"`)) {
			return errors.New("nope")
		}
		return nil
	}
	testkit.BothWays(t, inProcess, func(t *testing.T, invoke testkit.Invoker) {
		ways = append(ways, t.Name())
		ctx := context.Background()
		if err := invoke(ctx, []byte(`{"message":"ok"}`)); err != nil {
			t.Errorf("ok event: %v", err)
		}
		if err := invoke(ctx, []byte(`{"do":"fail","message":"nope"}`)); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("failing event: err = %v", err)
		}
	}, func(t *testing.T) testkit.Invoker {
		return testkit.StartFunctionT(t, echofn, nil).Invoker()
	})
	if len(ways) != 2 && !testing.Short() {
		t.Errorf("ran %v, want both ways", ways)
	}
}
