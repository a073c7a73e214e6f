package testkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one go build; a cold cache builds the SDK in well
// under a minute on a two-core machine.
const buildTimeout = 5 * time.Minute

// BuildBootstrap builds the Go package pkg (an import path, or a ./path
// relative to the working directory) into outDir/bootstrap for linux/amd64,
// static and stripped as deployed, and returns the binary's path. It builds
// amd64 even for arm64 deployments: that is what runs on this machine.
func BuildBootstrap(pkg string, outDir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := filepath.Abs(filepath.Join(outDir, "bootstrap"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	isolate(cmd)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build bootstrap for %s: %w\n%s", pkg, err, msg)
	}
	return out, nil
}

// goTool is the go command: on PATH, else the one in GOROOT.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "/usr/local/go/bin/go"
}

var bootstraps struct {
	sync.Mutex
	built map[string]*bootstrapBuild
}

type bootstrapBuild struct {
	once sync.Once
	path string
	err  error
}

// BootstrapT builds pkg with BuildBootstrap once per test binary and
// returns the binary's path; t fails when the build does. Builds land in a
// per-package directory under the system temp dir, replaced atomically, so
// parallel test binaries can share it and nothing piles up between runs.
func BootstrapT(t testing.TB, pkg string) string {
	t.Helper()
	wd, _ := os.Getwd()
	key := pkg
	if strings.HasPrefix(pkg, ".") {
		key = filepath.Join(wd, pkg)
	}
	bootstraps.Lock()
	if bootstraps.built == nil {
		bootstraps.built = map[string]*bootstrapBuild{}
	}
	b, ok := bootstraps.built[key]
	if !ok {
		b = &bootstrapBuild{}
		bootstraps.built[key] = b
	}
	bootstraps.Unlock()

	b.once.Do(func() { b.path, b.err = buildShared(key, pkg) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func buildShared(key, pkg string) (string, error) {
	// The module root is part of the key: two checkouts of the repository
	// (worktrees, CI beside a developer) must never run each other's build.
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(moduleRoot(wd) + "\x00" + key))
	dir := filepath.Join(os.TempDir(), "gcguard-bootstrap", hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin, err := BuildBootstrap(pkg, tmp)
	if err != nil {
		return "", err
	}
	// Rename swaps the directory entry only: a function already running
	// from the old file keeps it.
	final := filepath.Join(dir, "bootstrap")
	if err := os.Rename(bin, final); err != nil {
		return "", err
	}
	pruneOld(dir, time.Hour) // build dirs left by a killed test binary
	return final, nil
}

func pruneOld(dir string, age time.Duration) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "build-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// moduleRoot is the nearest directory at or above dir holding a go.mod.
func moduleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
