package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	mdLink   = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	repoPath = regexp.MustCompile(`(?:^|[\s(` + "`" + `'"])((?:\.ci|cmd|config|docs|events|functions|infra|shared)/[A-Za-z0-9_./<>*…{}-]*[A-Za-z0-9_/>}*-]|(?:BENCHMARKS[A-Za-z0-9-]*\.md|LICENSE|Makefile|cdk\.json|go\.mod))`)
	account  = regexp.MustCompile(`^config/\d{12}\.json$`)
	goIdent  = regexp.MustCompile(`^(.+)\.[A-Z][A-Za-z0-9]*$`) // shared/finding.Finding: a package and a name
)

// missingCitations lists the repository paths doc (at path docPath, text
// text) cites that do not exist under root, and how many it checked.
// Placeholders (config/<account>.json, config/123456789012.json), build
// output (dist/, cdk.out: not matched) and paths the sentence says may not
// exist ("only if functions/sweep exists") are not citations.
func missingCitations(root, docPath, text string) (missing []string, checked int) {
	rel, _ := filepath.Rel(root, docPath)
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		where := rel + ":" + strconv.Itoa(i+1)
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			if _, err := os.Stat(filepath.Join(filepath.Dir(docPath), target)); err != nil {
				missing = append(missing, where+": link to "+m[1])
			}
		}
		sentence := line
		if i+1 < len(lines) {
			sentence += " " + lines[i+1] // prose wraps
		}
		if strings.Contains(sentence, "exist") {
			continue
		}
		for _, m := range repoPath.FindAllStringSubmatch(line, -1) {
			p := strings.TrimRight(m[1], ".")
			if strings.ContainsAny(p, "<>*…{}") || account.MatchString(p) {
				continue
			}
			if id := goIdent.FindStringSubmatch(p); id != nil {
				p = id[1]
			}
			checked++
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				missing = append(missing, where+": "+m[1])
			}
		}
	}
	return missing, checked
}

// Every repository path the README and docs/*.md cite exists: a reader who
// follows one must find it.
func TestDocsCiteExistingFiles(t *testing.T) {
	root, _ := filepath.Abs("../..")
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append([]string{filepath.Join(root, "README.md")}, docs...)
	total := 0
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		missing, n := missingCitations(root, doc, string(raw))
		total += n
		for _, m := range missing {
			t.Errorf("%s is not in the repository", m)
		}
	}
	if total < 20 {
		t.Fatalf("only %d citations found: the patterns no longer match the docs", total)
	}
}

// The checker itself finds a broken link, a broken path and a Go name in a
// missing package, and lets placeholders and conditionals through.
func TestMissingCitationsFindsBrokenOnes(t *testing.T) {
	root, _ := filepath.Abs("../..")
	doc := filepath.Join(root, "docs", "x.md")
	text := "See [the guide](nowhere.md) and [deploy](deploy.md#verify).\n" +
		"Rules live in `shared/rules/nothing.go`; the model is `shared/finding.Finding`, `shared/nopkg.Thing`.\n" +
		"Copy to `config/<account>.json` or config/123456789012.json.\n" +
		"Deployed only if `functions/not-yet` exists.\n"
	missing, checked := missingCitations(root, doc, text)
	want := []string{"docs/x.md:1: link to nowhere.md", "docs/x.md:2: shared/rules/nothing.go", "docs/x.md:2: shared/nopkg.Thing"}
	if strings.Join(missing, "|") != strings.Join(want, "|") || checked != 5 {
		t.Fatalf("missing %q (checked %d), want %q (5)", missing, checked, want)
	}
}
