package notify_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/testkit"
)

// TestDocsSample keeps the sample notices in docs/notices.md exactly what
// the code renders (-update rewrites them).
func TestDocsSample(t *testing.T) {
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "docs", "notices.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	samples := map[string]*notify.Notice{
		"ja":     notify.Sample("roletrust", finding.Fixed),
		"en":     notify.Sample("roletrust", finding.Fixed),
		"ja-key": notify.Sample("accesskey", finding.Fixed),
	}
	langOf := map[string]string{"ja": "ja", "en": "en", "ja-key": "ja"}
	got := string(doc)
	for name, n := range samples {
		re := regexp.MustCompile(fmt.Sprintf("(?s)<!-- sample:%s -->\n.*?<!-- /sample:%s -->", regexp.QuoteMeta(name), regexp.QuoteMeta(name)))
		lang := langOf[name]
		want := fmt.Sprintf("<!-- sample:%s -->\n```text\n件名 / Subject: %s\n\n%s```\n<!-- /sample:%s -->", name, notify.Subject(notify.Masked(n), lang), notify.Text(notify.Masked(n), lang), name)
		if !re.MatchString(got) {
			t.Errorf("docs/notices.md has no sample:%s section", name)
			continue
		}
		got = re.ReplaceAllLiteralString(got, want)
	}
	if got == string(doc) {
		return
	}
	if *testkit.Update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/notices.md samples differ from the rendering (run with -update)")
}
