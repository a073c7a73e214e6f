package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The demo end to end, with its shape: each scene within about 40 lines,
// a closing table naming what was done and how to undo it. It builds and
// runs every function, so it runs only when asked: GCGUARD_TEST_DEMO=1
// (GCGUARD_DEMO_BIN_DIR=build/local reuses prebuilt bootstraps).
func TestDemoShape(t *testing.T) {
	if os.Getenv("GCGUARD_TEST_DEMO") == "" {
		t.Skip("set GCGUARD_TEST_DEMO=1 to run the demo end to end (a few minutes)")
	}
	moto.ResetT(t)
	args := []string{"demo", "--endpoint", moto.Endpoint()}
	if dir := os.Getenv("GCGUARD_DEMO_BIN_DIR"); dir != "" {
		args = append(args, "--bin-dir", dir)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, &out, &errb); code != exitOK {
		t.Fatalf("demo exit %d: %s\n%s", code, errb.String(), out.String())
	}
	text := out.String()
	marks := regexp.MustCompile(`(?m)^=== scene \d+: `).FindAllStringIndex(text, -1)
	if len(marks) != len(scenes()) {
		t.Fatalf("%d scenes in the output, want %d", len(marks), len(scenes()))
	}
	sum := strings.Index(text, "=== summary ===")
	if sum < 0 {
		t.Fatalf("no summary table:\n%s", text)
	}
	for i, s := range marks {
		end := sum
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		if n := strings.Count(text[s[0]:end], "\n"); n > 40 {
			t.Errorf("scene %d prints %d lines, want at most 40:\n%s", i+1, n, text[s[0]:end])
		}
	}
	table := text[sum:]
	if !strings.Contains(table, "SCENE") || !strings.Contains(table, "REVERT") {
		t.Fatalf("summary table header missing:\n%s", table)
	}
	ids := regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{8}`).FindAllString(table, -1)
	if len(ids) < 4 {
		t.Fatalf("the summary names %d audit ids, want one per fix (4+):\n%s", len(ids), table)
	}
	if !strings.Contains(table, "gcguard revert ") {
		t.Fatalf("no revert command in the summary:\n%s", table)
	}
}
