package testkit_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gcguard/gcguard/shared/testkit"
)

func TestRepoRootAndLoadEvent(t *testing.T) {
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot %s has no go.mod", root)
	}
	ev := testkit.LoadEvent(t, "shared/testkit/testdata/event.json")
	if len(ev) == 0 || ev[0] != '{' {
		t.Errorf("event = %q", ev)
	}
	if _, err := testkit.ReadFixture("shared/testkit/testdata/echofn/main.go"); err == nil {
		t.Error("ReadFixture accepted a file that is not JSON")
	}
}

func TestGolden(t *testing.T) {
	testkit.Golden(t, "testdata/golden.txt", []byte("golden output\n"))
}
