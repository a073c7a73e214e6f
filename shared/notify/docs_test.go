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

// TestDocsSample keeps the sample notices in docs/notices.md and README.md
// exactly what the code renders (-update rewrites them). docs/notices.md
// must hold every sample; README.md those it shows.
func TestDocsSample(t *testing.T) {
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]*notify.Notice{
		"ja":     notify.Sample("roletrust", finding.Fixed),
		"en":     notify.Sample("roletrust", finding.Fixed),
		"ja-key": notify.Sample("accesskey", finding.Fixed),
	}
	langOf := map[string]string{"ja": "ja", "en": "en", "ja-key": "ja"}
	for _, doc := range []struct {
		path    string
		needAll bool
	}{{filepath.Join(root, "docs", "notices.md"), true}, {filepath.Join(root, "README.md"), false}} {
		raw, err := os.ReadFile(doc.path)
		if err != nil {
			t.Errorf("read %s: %v", doc.path, err)
			continue
		}
		got := string(raw)
		for name, n := range samples {
			re := regexp.MustCompile(fmt.Sprintf("(?s)<!-- sample:%s -->\n.*?<!-- /sample:%s -->", regexp.QuoteMeta(name), regexp.QuoteMeta(name)))
			lang := langOf[name]
			want := fmt.Sprintf("<!-- sample:%s -->\n```text\n件名 / Subject: %s\n\n%s```\n<!-- /sample:%s -->", name, notify.Subject(notify.Masked(n), lang), notify.Text(notify.Masked(n), lang), name)
			if !re.MatchString(got) {
				if doc.needAll {
					t.Errorf("%s has no sample:%s section", doc.path, name)
				}
				continue
			}
			got = re.ReplaceAllLiteralString(got, want)
		}
		if got == string(raw) {
			continue
		}
		if *testkit.Update {
			if err := os.WriteFile(doc.path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s samples differ from the rendering (run with -update)", doc.path)
	}
}
