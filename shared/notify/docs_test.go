package notify_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/notify"
	"github.com/gcguard/gcguard/shared/testkit"
)

// TestDocsSamples keeps docs/samples/*.txt (the sample notices the README
// links) exactly what the renderer produces; -update rewrites them.
func TestDocsSamples(t *testing.T) {
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "docs", "samples")
	want := map[string]bool{}
	for _, s := range notify.DocSamples() {
		want[s.File] = true
		testkit.Golden(t, filepath.Join(dir, s.File), []byte(s.Text))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("docs/samples/%s is not produced by the renderer: remove it", e.Name())
		}
	}
}

// TestDocsNoticesSamples keeps the samples embedded in docs/notices.md and
// README.md equal to docs/samples/ (-update rewrites them). Each is marked
// <!-- sample:FILE --> … <!-- /sample:FILE -->; docs/notices.md holds every
// sample, the README the ones it names.
func TestDocsNoticesSamples(t *testing.T) {
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []struct {
		name string
		all  bool
		must []string
	}{
		{name: "docs/notices.md", all: true},
		{name: "README.md", must: []string{"notice-roletrust-fixed.ja.txt", "notice-roletrust-fixed.en.txt"}},
	} {
		path := filepath.Join(root, filepath.FromSlash(doc.name))
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		for _, s := range notify.DocSamples() {
			re := regexp.MustCompile(fmt.Sprintf("(?s)<!-- sample:%s -->\n.*?<!-- /sample:%s -->", regexp.QuoteMeta(s.File), regexp.QuoteMeta(s.File)))
			if !re.MatchString(got) {
				if doc.all || slices.Contains(doc.must, s.File) {
					t.Errorf("%s has no sample:%s section", doc.name, s.File)
				}
				continue
			}
			got = re.ReplaceAllLiteralString(got, fmt.Sprintf("<!-- sample:%s -->\n```text\n%s```\n<!-- /sample:%s -->", s.File, s.Text, s.File))
		}
		if got == string(raw) {
			continue
		}
		if *testkit.Update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s samples differ from the rendering (run go test ./shared/notify -run TestDocs -update)", doc.name)
	}
}

// TestDocsSamplesShowEverything: the README samples show the parts an
// officer needs: JST and UTC, the revert command, the deployment lines,
// the access preview (trust fix) and what cannot be undone (key deletion).
func TestDocsSamplesShowEverything(t *testing.T) {
	for _, s := range notify.DocSamples() {
		wants := []string{"JST", "UTC", "gcguard revert"}
		if strings.HasPrefix(s.File, "notice-accesskey") {
			wants = []string{"JST", "UTC", map[string]string{"ja": "取り消すことができない変更", "en": "Cannot be undone"}[s.Lang]}
		}
		d := notify.SampleDeployment(s.Lang)
		wants = append(wants, d.SystemName, d.Environment, d.Contact)
		if strings.HasPrefix(s.File, "notice-roletrust") {
			wants = append(wants, map[string]string{"ja": "アクセスへの影響（プレビュー）", "en": "Access preview"}[s.Lang])
		}
		for _, w := range wants {
			if !strings.Contains(s.Text, w) {
				t.Errorf("%s lacks %q", s.File, w)
			}
		}
	}
}
