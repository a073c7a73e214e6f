package policy

import (
	"encoding/json"
	"os"
	"testing"
)

// checkGolden compares v, as indented JSON, with the golden file at path;
// go test -update rewrites the file instead.
func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("golden mismatch for %s (go test -update to accept):\n got: %s\nwant: %s", path, got, want)
	}
}
