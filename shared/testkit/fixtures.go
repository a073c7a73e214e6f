package testkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update is the shared -update flag: `go test ./... -update` rewrites
// golden files instead of comparing with them. It is registered only in
// test binaries, so a program importing testkit keeps its flags clean.
var Update = updateFlag()

func updateFlag() *bool {
	if testing.Testing() {
		return flag.Bool("update", false, "rewrite golden files with the output the tests produce")
	}
	return new(bool)
}

// RepoRoot is the nearest directory at or above the working directory that
// holds a go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// ReadFixture reads path, relative to the repo root unless absolute, and
// checks that it holds JSON.
func ReadFixture(path string) ([]byte, error) {
	if !filepath.IsAbs(path) {
		root, err := RepoRoot()
		if err != nil {
			return nil, fmt.Errorf("read fixture %s: %w", path, err)
		}
		path = filepath.Join(root, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("read fixture %s: not valid JSON", path)
	}
	return b, nil
}

// LoadEvent reads a JSON event fixture such as "events/iam/put-user-policy.json"
// (relative to the repo root), failing t when it is missing or not JSON.
func LoadEvent(t testing.TB, path string) []byte {
	t.Helper()
	b, err := ReadFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Golden compares got with the golden file at path (relative to the test's
// working directory, i.e. its package: "testdata/x.golden"), or writes it
// with -update. JSON in got is compared as written: indent it first for
// readable diffs.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run the test with -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			var b strings.Builder
			for j := max(0, i-2); j < i; j++ {
				fmt.Fprintf(&b, "  %4d   %s\n", j+1, wl[j])
			}
			if i < len(wl) {
				fmt.Fprintf(&b, "  %4d - %s\n", i+1, w)
			}
			if i < len(gl) {
				fmt.Fprintf(&b, "  %4d + %s\n", i+1, g)
			}
			fmt.Fprintf(&b, "  (want %d lines, got %d)", len(wl), len(gl))
			return b.String()
		}
	}
	return "(identical lines; differing bytes such as a trailing newline)"
}
