package testkit_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gcguard/gcguard/shared/testkit"
)

// TestNoGoroutineLeak checks that a proxy and a function, once stopped,
// leave no goroutine behind in the test binary.
func TestNoGoroutineLeak(t *testing.T) {
	moto.ResetT(t)
	bin := testkit.BootstrapT(t, echofn)
	before := runtime.NumGoroutine()

	p, err := testkit.StartProxy(moto.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, _ := p.Config(ctx, "")
	client := sts.NewFromConfig(cfg)
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	f, err := testkit.StartFunction(ctx, bin, p.Env())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Invoke(ctx, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	f.Stop()
	p.Close()

	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
