package config_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/config"
)

const user = "arn:aws:iam::123456789012:user/legacy-batch"

func TestParseExemptions(t *testing.T) {
	ex, err := config.ParseExemptions([]byte(`[
		{"rule":"accesskey","resource":"`+user+`","approval":"DA-2026-0042","expires":"2027-03-31","note":"batch"},
		{"rule":"bucket","resource":"arn:aws:s3:::city-*","approval":"CAB-7","expires":"2026-11-24"}
	]`), knownRules)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[0].Note != "batch" || ex[1].Resource != "arn:aws:s3:::city-*" {
		t.Errorf("parsed %+v", ex)
	}
	for _, empty := range []string{"", "  \n"} {
		if ex, err := config.ParseExemptions([]byte(empty), knownRules); err != nil || ex != nil {
			t.Errorf("empty parameter: %v, %v", ex, err)
		}
	}
	if ex, err := config.ParseExemptions([]byte(`[]`), knownRules); err != nil || len(ex) != 0 {
		t.Errorf("empty list: %v, %v", ex, err)
	}
}

func TestParseExemptionsErrorsNameTheField(t *testing.T) {
	ok := `{"rule":"accesskey","resource":"` + user + `","approval":"DA-1","expires":"2027-03-31"}`
	for _, tc := range []struct {
		name, raw string
		fields    []string
	}{
		{"unknown rule", `[` + ok + `,{"rule":"acesskey","resource":"` + user + `","approval":"A","expires":"2027-01-01"}]`, []string{"exemptions[1].rule"}},
		{"resource not an ARN", `[{"rule":"accesskey","resource":"legacy-batch","approval":"A","expires":"2027-01-01"}]`, []string{"exemptions[0].resource"}},
		{"bad pattern", `[{"rule":"accesskey","resource":"arn:aws:iam::1:user/[x","approval":"A","expires":"2027-01-01"}]`, []string{"exemptions[0].resource"}},
		{"no approval", `[{"rule":"accesskey","resource":"` + user + `","approval":"  ","expires":"2027-01-01"}]`, []string{"exemptions[0].approval"}},
		{"expiry not a date", `[{"rule":"accesskey","resource":"` + user + `","approval":"A","expires":"31/03/2027"}]`, []string{"exemptions[0].expires"}},
		{"expiry with a time", `[{"rule":"accesskey","resource":"` + user + `","approval":"A","expires":"2027-03-31T00:00:00+09:00"}]`, []string{"exemptions[0].expires"}},
		{"no expiry", `[` + ok + `,` + ok + `,{"rule":"accesskey","resource":"` + user + `","approval":"A"}]`, []string{"exemptions[2].expires"}},
		{"everything wrong", `[{"rule":"x","resource":"y","approval":"","expires":""}]`,
			[]string{"exemptions[0].rule", "exemptions[0].resource", "exemptions[0].approval", "exemptions[0].expires"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseExemptions([]byte(tc.raw), knownRules)
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("want a *FieldError, got %v", err)
			}
			var got []string
			for _, fe := range fieldErrors(err) {
				if !slices.Contains(got, fe.Field) {
					got = append(got, fe.Field)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fields %v, want %v (%v)", got, want, err)
			}
		})
	}
	for _, raw := range []string{`{}`, `[{"rule":"accesskey","resource":"` + user + `","approval":"A","expires":"2027-01-01","extra":1}]`, `not json`, `[1]`} {
		if _, err := config.ParseExemptions([]byte(raw), knownRules); err == nil || !strings.Contains(err.Error(), "exemptions") {
			t.Errorf("ParseExemptions(%s) = %v, want an error naming exemptions", raw, err)
		}
	}
}

func jst(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLookup(t *testing.T) {
	ex := config.Exemptions{
		{Rule: "accesskey", Resource: user, Approval: "DA-1", Expires: "2026-11-24"},
		{Rule: "accesskey", Resource: "arn:aws:iam::123456789012:user/batch/*", Approval: "DA-2", Expires: "2027-12-31"},
		{Rule: "roletrust", Resource: "arn:aws:iam::123456789012:role/*-deploy", Approval: "CAB-3", Expires: "2027-12-31"},
		{Rule: "bucket", Resource: "arn:aws:s3:::city-records-????", Approval: "CAB-4", Expires: "2027-12-31"},
		{Rule: "roletrust", Resource: "arn:aws:iam::123456789012:role/old", Approval: "CAB-5", Expires: "2020-01-01"},
		{Rule: "roletrust", Resource: "arn:aws:iam::123456789012:role/o*", Approval: "CAB-6", Expires: "2027-12-31"},
	}
	inside := jst("2026-11-24T23:59:59+09:00")
	for _, tc := range []struct {
		name, rule, resource string
		now                  time.Time
		approval             string // "" = not found
		active               bool
	}{
		{"exact ARN", "accesskey", user, inside, "DA-1", true},
		{"exact ARN, other rule", "iamuser", user, inside, "", false},
		{"exact ARN, other user", "accesskey", "arn:aws:iam::123456789012:user/legacy-batch2", inside, "", false},
		// Expiry is inclusive and a JST calendar day.
		{"last second of the expiry day (JST)", "accesskey", user, jst("2026-11-24T23:59:59+09:00"), "DA-1", true},
		{"same instant in UTC", "accesskey", user, jst("2026-11-24T14:59:59Z"), "DA-1", true},
		{"first second after (JST)", "accesskey", user, jst("2026-11-25T00:00:00+09:00"), "DA-1", false},
		{"first second after, in UTC", "accesskey", user, jst("2026-11-24T15:00:00Z"), "DA-1", false},
		// '*' crosses '/' as in IAM: user paths and role paths.
		{"trailing * under a path", "accesskey", "arn:aws:iam::123456789012:user/batch/nightly", inside, "DA-2", true},
		{"trailing * across nested paths", "accesskey", "arn:aws:iam::123456789012:user/batch/jobs/nightly", inside, "DA-2", true},
		{"trailing * needs its prefix", "accesskey", "arn:aws:iam::123456789012:user/batchjob", inside, "", false},
		{"inner * with a path", "roletrust", "arn:aws:iam::123456789012:role/ci/app-deploy", inside, "CAB-3", true},
		{"inner * without a path", "roletrust", "arn:aws:iam::123456789012:role/app-deploy", inside, "CAB-3", true},
		{"inner * must still match the rest", "roletrust", "arn:aws:iam::123456789012:role/ci/app-deployer", inside, "", false},
		{"? is one character", "bucket", "arn:aws:s3:::city-records-prod", inside, "CAB-4", true},
		{"? is exactly one character", "bucket", "arn:aws:s3:::city-records-production", inside, "", false},
		// An active entry wins over an expired one; an expired one alone is reported.
		{"active over expired", "roletrust", "arn:aws:iam::123456789012:role/old", inside, "CAB-6", true},
		{"only expired", "accesskey", user, jst("2027-01-01T00:00:00+09:00"), "DA-1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, active, found := ex.Lookup(tc.rule, tc.resource, tc.now)
			if found != (tc.approval != "") || e.Approval != tc.approval || active != tc.active {
				t.Errorf("Lookup = %+v active=%v found=%v; want approval %q active=%v", e, active, found, tc.approval, tc.active)
			}
		})
	}
	if _, active, found := ex[4:5].Lookup("roletrust", "arn:aws:iam::123456789012:role/old", inside); !found || active {
		t.Errorf("an expired entry must be found and inactive")
	}
}

func TestExemptionActive(t *testing.T) {
	e := config.Exemption{Expires: "2026-11-24"}
	for now, want := range map[string]bool{
		"2026-01-01T00:00:00+09:00": true,
		"2026-11-24T00:00:00+09:00": true,
		"2026-11-24T23:59:59+09:00": true,
		"2026-11-25T00:00:00+09:00": false,
		"2026-11-25T08:59:59+09:00": false,
	} {
		if got := e.Active(jst(now)); got != want {
			t.Errorf("Active(%s) = %v, want %v", now, got, want)
		}
	}
	if (config.Exemption{Expires: "soon"}).Active(time.Now()) {
		t.Errorf("an unreadable expiry must never be active")
	}
}

// FuzzParseExemptions: no panic; what parses is valid, and every entry
// covers its own resource for its own rule.
func FuzzParseExemptions(f *testing.F) {
	f.Add([]byte(`[{"rule":"accesskey","resource":"`+user+`","approval":"DA-1","expires":"2027-03-31"}]`), "2027-03-31")
	f.Add([]byte(`[{"rule":"bucket","resource":"arn:aws:s3:::a*b?c/*","approval":"x","expires":"2026-02-29"}]`), "x")
	f.Add([]byte(`[{"rule":"accesskey","resource":"arn:\\","approval":"x","expires":"2026-01-01"}]`), "")
	f.Add([]byte(`[{"rule":"accesskey","resource":"arn:[","approval":"x","expires":"2026-01-01"}]`), "")
	f.Add([]byte(`null`), "")
	f.Add([]byte(`[{}]`), "")
	f.Fuzz(func(t *testing.T, raw []byte, resource string) {
		ex, err := config.ParseExemptions(raw, knownRules)
		if err != nil {
			return
		}
		now := time.Date(2026, 11, 24, 12, 0, 0, 0, config.JST)
		for _, e := range ex {
			if !slices.Contains(knownRules, e.Rule) || !strings.HasPrefix(e.Resource, "arn:") || strings.TrimSpace(e.Approval) == "" {
				t.Fatalf("accepted invalid entry %+v", e)
			}
			if _, err := time.Parse("2006-01-02", e.Expires); err != nil {
				t.Fatalf("accepted expiry %q", e.Expires)
			}
			if !e.Covers(e.Rule, e.Resource) {
				t.Fatalf("%+v does not cover its own resource", e)
			}
			_, _, found := ex.Lookup(e.Rule, e.Resource, now)
			if !found {
				t.Fatalf("Lookup misses %+v", e)
			}
			_ = e.Covers(e.Rule, resource)
		}
		_, _, _ = ex.Lookup("accesskey", resource, now)
	})
}
