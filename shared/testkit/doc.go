// Package testkit runs gcguard's functions and AWS calls locally: a moto
// server per test binary, a recording (and fault-injecting) proxy in front of
// it, a Lambda Runtime API server that drives a real bootstrap binary, and
// fixture and golden-file helpers.
//
// The core types (Moto, Proxy, Function) work in any program, so the
// `gcguard demo` command and benchmarks use them too; helpers that take a
// testing.TB are thin wrappers and end in T or Main.
//
// In a package's tests, one moto per test binary:
//
//	var moto *testkit.Moto
//
//	func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }
//
//	func TestRule(t *testing.T) {
//		moto.ResetT(t)           // empty moto; skips when allowed to run without one
//		p := moto.StartProxyT(t) // records calls, injects faults
//		cfg, _ := p.Config(ctx, "")
//		...
//		testkit.BothWays(t, inProcess, body, func(t *testing.T) testkit.Invoker {
//			return testkit.StartFunctionT(t, "./functions/x", p.Env()).Invoker()
//		})
//	}
//
// In a program: StartMoto, StartProxy(m.Endpoint()), BuildBootstrap,
// StartFunction(ctx, bin, p.Env()), Invoke, then Stop/Close each.
//
// Every wait on something outside the process (moto starting, a bootstrap
// answering, a build) is bounded by a context or a fixed timeout, and every
// child process runs in its own process group that Stop kills, so a failing
// test leaves no server behind.
package testkit
