package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeIn runs make in the repository root with CONFIG unset unless given.
func makeIn(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONFIG=") && !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Every target that reads an account's file refuses to run without CONFIG:
// nothing falls back to the example's account.
func TestMakeRefusesWithoutConfig(t *testing.T) {
	for _, goal := range []string{"synth", "diff", "bootstrap", "deploy", "destroy", "check", "patterns"} {
		for _, extra := range [][]string{nil, {"CONFIG="}} {
			out, err := makeIn(t, append([]string{"-n", goal}, extra...)...)
			if err == nil || !strings.Contains(out, "make "+goal+" needs the account's config file: add CONFIG=config/<account>.json") {
				t.Errorf("make -n %s %v: err %v, output:\n%s", goal, extra, err, out)
			}
			if strings.Contains(out, "cdk ") || strings.Contains(out, "go run") {
				t.Errorf("make -n %s %v would still run something:\n%s", goal, extra, out)
			}
		}
	}
	if out, err := makeIn(t, "-n", "deploy", "CONFIG=config/no-such-account.json"); err == nil || !strings.Contains(out, "CONFIG=config/no-such-account.json: no such file") {
		t.Errorf("missing file: %v\n%s", err, out)
	}
	// Targets that touch no account still run without it.
	if out, err := makeIn(t, "-n", "build-local"); err != nil {
		t.Errorf("make -n build-local: %v\n%s", err, out)
	}
}

// A relative and an absolute CONFIG reach the CDK app as the same absolute path.
func TestMakeConfigPaths(t *testing.T) {
	root, _ := filepath.Abs("../..")
	abs := filepath.Join(root, "config", "example.json")
	for _, goal := range []string{"synth", "diff", "deploy", "destroy"} {
		for _, c := range []string{"config/example.json", "./config/example.json", abs} {
			out, err := makeIn(t, "-n", goal, "CONFIG="+c)
			if err != nil || !strings.Contains(out, "-c config="+abs+"\n") {
				t.Errorf("make -n %s CONFIG=%s: %v\n%s", goal, c, err, out)
			}
		}
	}
	if _, err := exec.LookPath("node"); err == nil {
		out, err := makeIn(t, "-n", "bootstrap", "CONFIG="+abs)
		if err != nil || !strings.Contains(out, "aws://123456789012/ap-northeast-1") {
			t.Errorf("make -n bootstrap with an absolute CONFIG: %v\n%s", err, out)
		}
	}
}

// make check validates for real: exit 0 with the effective configuration,
// non-zero naming the bad field.
func TestMakeCheck(t *testing.T) {
	out, err := makeIn(t, "check", "CONFIG=config/example.json")
	if err != nil || !strings.Contains(out, `"allowedPrincipals": [`) || !strings.Contains(out, "is valid") {
		t.Fatalf("make check: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "123456789012.json")
	raw, _ := os.ReadFile("../../config/example.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(raw), `"homeRegion": "ap-northeast-1"`, `"homeRegion": "us-east-1"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = makeIn(t, "check", "CONFIG="+bad)
	if err == nil || !strings.Contains(out, "config file field homeRegion=\"us-east-1\"") {
		t.Fatalf("make check of a bad file: %v\n%s", err, out)
	}
}

// make install puts a gcguard that knows its version and commit on GOBIN.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	gobin := t.TempDir()
	out, err := makeIn(t, "install", "GOBIN="+gobin, "VERSION=v0.0.0-test")
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	rev, err := exec.Command("git", "-C", "../..", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git clone")
	}
	v, err := exec.Command(filepath.Join(gobin, "gcguard"), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "gcguard v0.0.0-test\ncommit  " + strings.TrimSpace(string(rev)) + "\n"; !strings.HasPrefix(string(v), want) {
		t.Fatalf("version %q, want prefix %q", v, want)
	}
}
