package rules_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules"
)

// matchedRules is the matcher test's table: for every fixture under events/
// (but malformed/), the rules whose EventBridge patterns must match it. A
// pattern matches broadly on source and event name; failed, read-only,
// self-caused and other quiet ends are filtered in code, so those fixtures
// still match here. Names may be rules planned but not yet registered
// (guardrail.Planned): they are compared only once registered.
var matchedRules = map[string][]string{
	"iam/create-access-key.json":                        {"accesskey"},
	"iam/create-access-key-console.json":                {"accesskey"},
	"iam/create-access-key-failed.json":                 {"accesskey"},
	"iam/create-access-key-root.json":                   {"accesskey"},
	"iam/create-access-key-self-caused.json":            {"accesskey"},
	"iam/create-access-key-self.json":                   {"accesskey"},
	"iam/create-access-key-session-named-gcguard.json":  {"accesskey"},
	"iam/update-access-key-active.json":                 {"accesskey"},
	"iam/update-access-key-inactive.json":               {"accesskey"},
	"iam/create-user.json":                              {"iamuser"},
	"iam/create-login-profile.json":                     {"iamuser"},
	"iam/create-role.json":                              {"roletrust"},
	"iam/create-role-github-aud-only.json":              {"roletrust"},
	"iam/create-role-omitted.json":                      {"roletrust"},
	"iam/create-role-public.json":                       {"roletrust"},
	"iam/create-role-switch-only.json":                  {"roletrust"},
	"iam/update-assume-role-policy.json":                {"roletrust"},
	"iam/update-assume-role-policy-foreign.json":        {"roletrust"},
	"iam/update-assume-role-policy-service-linked.json": {"roletrust"},
	"iam/list-access-keys-readonly.json":                nil,
	"iam/tag-role-canary.json":                          nil,
	// The Osaka canary and the self-protection events go to no rule:
	// infra routes them (and its tests count their delivery paths).
	"s3/put-bucket-tagging-canary-osaka.json":                nil,
	"iam/add-role-to-instance-profile-gcguard.json":          nil,
	"ecs/register-task-definition-gcguard-role.json":         nil,
	"lambda/create-function-gcguard-role.json":               nil,
	"lambda/update-function-configuration-gcguard-role.json": nil,

	"s3/create-bucket.json":                      {"bucket"},
	"s3/create-bucket-osaka.json":                {"bucket"},
	"s3/delete-bucket-encryption.json":           {"bucket"},
	"s3/delete-bucket-ownership-controls.json":   {"bucket"},
	"s3/delete-bucket-policy.json":               {"bucket"},
	"s3/delete-bucket-public-access-block.json":  {"bucket"},
	"s3/put-bucket-acl-public.json":              {"bucket"},
	"s3/put-bucket-encryption-aes256.json":       {"bucket"},
	"s3/put-bucket-encryption-rule-list.json":    {"bucket"},
	"s3/put-bucket-encryption-dsse.json":         {"bucket"},
	"s3/put-bucket-ownership-controls.json":      {"bucket"},
	"s3/put-bucket-policy-list-host.json":        {"bucket"},
	"s3/put-bucket-policy-omitted.json":          {"bucket"},
	"s3/put-bucket-policy-public.json":           {"bucket"},
	"s3/put-bucket-public-access-block-off.json": {"bucket"},
	"s3/get-bucket-policy-readonly.json":         nil,
	"s3/put-account-public-access-block.json":    {"accountpab"},
	"s3/delete-account-public-access-block.json": {"accountpab"},

	"scheduled/sweep.json": nil,
}

const patternFixtureDir = "../../events"

// patternFixtures lists every fixture under events/ but malformed/.
func patternFixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(patternFixtureDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(patternFixtureDir, p)
		if rel = filepath.ToSlash(rel); !strings.HasPrefix(rel, "malformed/") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found")
	}
	return out
}

// TestPatternsMatchFixtures matches every fixture against every registered
// rule's EventBridge patterns, in code, and compares the matched set with
// the table; Spec.Handles must agree with the patterns on every pair.
func TestPatternsMatchFixtures(t *testing.T) {
	if err := guardrail.Default.Err(); err != nil {
		t.Fatalf("registry: %v", err)
	}
	defs := guardrail.Default.All()
	registered := guardrail.Default.Names()
	if len(defs) == 0 {
		t.Fatal("no rules registered")
	}
	for rel, names := range matchedRules {
		for _, n := range names {
			if _, planned := guardrail.Planned[n]; !planned && !slices.Contains(registered, n) {
				t.Errorf("%s: expected rule %q is neither registered nor planned", rel, n)
			}
		}
	}
	seen := map[string]bool{}
	for _, rel := range patternFixtures(t) {
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			expected, listed := matchedRules[rel]
			if !listed {
				t.Fatalf("fixture %s has no entry in matchedRules: add the rules it must trigger (or nil)", rel)
			}
			raw, err := os.ReadFile(filepath.Join(patternFixtureDir, rel))
			if err != nil {
				t.Fatal(err)
			}
			ev, decodeErr := cloudtrail.Decode(raw)
			var got []string
			for _, d := range defs {
				matched := false
				for _, p := range d.Spec.Patterns() {
					m, err := p.Match(raw)
					if err != nil {
						t.Fatalf("rule %s pattern %s: %v", d.Spec.Name, p.JSON(), err)
					}
					matched = matched || m
				}
				if matched {
					got = append(got, d.Spec.Name)
				}
				if decodeErr != nil {
					continue // not a CloudTrail call: no rule handles it
				}
				if h := d.Spec.Handles(ev); h != matched {
					t.Errorf("rule %s: Handles = %v but its patterns match = %v", d.Spec.Name, h, matched)
				}
			}
			var want []string
			for _, n := range expected {
				if slices.Contains(registered, n) {
					want = append(want, n)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("matched rules %v, want %v (registered: %v)", got, want, registered)
			}
			if decodeErr != nil && len(got) > 0 {
				t.Errorf("rules %v match an event that does not decode as CloudTrail: %v", got, decodeErr)
			}
		})
	}
	for rel := range matchedRules {
		if !seen[rel] {
			t.Errorf("matchedRules lists %s, which is not a fixture", rel)
		}
	}
}

// Every registered rule is one DESIGN planned, with the same triggers, so
// that explain's routing and the deployed patterns agree.
func TestRegisteredRulesArePlanned(t *testing.T) {
	for _, d := range guardrail.Default.All() {
		p, ok := guardrail.Planned[d.Spec.Name]
		if !ok {
			t.Errorf("rule %s is registered but not in guardrail.Planned", d.Spec.Name)
			continue
		}
		for _, name := range p.EventNames {
			ev := &cloudtrail.Event{Source: p.Source, Detail: cloudtrail.Record{EventName: name}}
			if !d.Spec.Handles(ev) {
				t.Errorf("rule %s does not handle its planned trigger %s %s", d.Spec.Name, p.Source, name)
			}
		}
	}
}
