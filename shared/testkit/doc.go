// Package testkit runs gcguard's functions and AWS calls locally: a moto
// server per test binary, a recording (and fault-injecting) proxy in front of
// it, a Lambda Runtime API server that drives a real bootstrap binary, and
// fixture and golden-file helpers.
//
// The core types (Moto, Proxy, Function) work in any program, so the
// `gcguard demo` command and benchmarks use them too; helpers that take a
// testing.TB are thin wrappers and end in T or Main.
//
// Every wait on something outside the process (moto starting, a bootstrap
// answering, a build) is bounded by a context or a fixed timeout, and every
// child process runs in its own process group that Stop kills, so a failing
// test leaves no server behind.
package testkit
