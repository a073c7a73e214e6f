package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

func sampleRows() []Row {
	t0 := time.Date(2026, 11, 24, 1, 2, 3, 0, time.UTC)
	return []Row{
		{Rule: "bucket", Resource: "arn:aws:s3:::city-records", Severity: Critical, Status: Violation, Outcome: finding.WouldFix,
			Violations: []finding.Code{finding.BucketPublic, finding.BucketPABOff}, Reason: `policy says "*", with, commas`,
			Actions: []string{"turn on all four Block Public Access settings", "drop statement 0"}, Before: "a\nb", After: "c\r\nd",
			AuditID: "20261124T010203Z-0a1b2c3d", Time: t0, Actor: "山田 太郎"},
		{Rule: "accesskey", Resource: "arn:aws:iam::123456789012:user/alice (AKIA0000)", Severity: High, Status: Existing,
			Outcome: finding.WouldFix, Violations: []finding.Code{}, Reason: ExistingKeyReason},
	}
}

// A CSV report reads back as the rows it was written from: quotes, commas,
// newlines and Japanese survive, and the BOM is there for Excel.
func TestCSVRoundTrip(t *testing.T) {
	m := Model{Kind: "scan", Rows: sampleRows()}
	var b bytes.Buffer
	if err := RenderCSV(&b, m); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\xef\xbb\xbfseverity,status,rule,")) || !bytes.Contains(b.Bytes(), []byte("\r\n")) {
		t.Fatalf("want a BOM, the header and CRLF line ends: %q", b.String()[:60])
	}
	got, err := ReadCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleRows()
	for i := range want {
		want[i].Findings = nil
		if len(want[i].Actions) == 0 {
			want[i].Actions = nil
		}
	}
	// encoding/csv reads a quoted CRLF as LF (RFC 4180 line breaks).
	want[0].After = "c\nd"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back:\n%+v\nwant:\n%+v", got, want)
	}
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Fatal("a CSV without gcguard's header was accepted")
	}
}

// Text lines fit the terminal, Japanese counting two columns; piped text
// keeps every line whole.
func TestTextWidth(t *testing.T) {
	m := Model{Kind: "scan", Account: "123456789012", Rows: sampleRows()}
	m.Rows[0].Reason = strings.Repeat("公開されています ", 30)
	m.Finish()
	for _, width := range []int{40, 80, 120} {
		var b bytes.Buffer
		if err := RenderText(&b, m, width); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			if Width(l) > width {
				t.Fatalf("width %d: line of %d columns: %q", width, Width(l), l)
			}
		}
	}
	var b bytes.Buffer
	if err := RenderText(&b, m, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), strings.TrimSpace(m.Rows[1].Reason)) && !strings.Contains(b.String(), ExistingKeyReason) {
		t.Fatalf("piped output cut a reason:\n%s", b.String())
	}
	if got := Truncate("アクセスキー", 7); got != "アクセ…" || Width(got) > 7 {
		t.Fatalf("Truncate: %q", got)
	}
}

// The verdict: anything not assessed is never clean, even with violations.
func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		rules []RuleSummary
		rows  []Row
		want  Verdict
		exit  int
	}{
		{[]RuleSummary{{Rule: "bucket", Assessed: 3}}, nil, Clean, 0},
		{[]RuleSummary{{Rule: "bucket", Assessed: 3}}, []Row{{Rule: "bucket", Severity: Info}}, Clean, 0},
		{[]RuleSummary{{Rule: "bucket", Assessed: 3}}, []Row{{Rule: "bucket", Severity: High}}, ViolationsFound, 3},
		{[]RuleSummary{{Rule: "bucket", Assessed: 3}, {Rule: "roletrust", Unlisted: "listing failed"}}, []Row{{Rule: "bucket", Severity: Critical}}, CouldNotAssess, 1},
		{[]RuleSummary{{Rule: "bucket", Assessed: 2, NotAssessed: 1}}, nil, CouldNotAssess, 1},
	} {
		m := Model{Kind: "scan", Summary: Summary{Rules: c.rules}, Rows: c.rows}
		m.Finish()
		if m.Summary.Verdict != c.want || m.Summary.ExitStatus != c.exit {
			t.Errorf("%+v: got %s/%d, want %s/%d", c.rules, m.Summary.Verdict, m.Summary.ExitStatus, c.want, c.exit)
		}
	}
}

// History reports show a revert as a revert, and a failed write first.
func TestFromRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 1, 2, 3, 0, time.UTC)
	recs := []*audit.Record{
		{ID: "a", Rule: "roletrust", Resource: "arn:aws:iam::123456789012:role/x", Status: audit.Reverted, Outcome: finding.Fixed,
			Violations: []finding.Code{finding.TrustPolicyOverbroad}, Created: t0, Actor: cloudtrail.Actor{Name: "taro"}},
		{ID: "b", Rule: "roletrust", Resource: "arn:aws:iam::123456789012:role/x", Status: audit.Applied, RevertOf: "a", Created: t0.Add(time.Minute)},
		{ID: "c", Rule: "bucket", Resource: "arn:aws:s3:::y", Status: audit.Failed, Violations: []finding.Code{finding.BucketPABOff}, Created: t0, Error: "AccessDenied"},
	}
	m := FromRecords("123456789012", recs, t0)
	if len(m.Rows) != 3 || m.Rows[0].AuditID != "c" || m.Rows[0].Severity != Critical {
		t.Fatalf("rows: %+v", m.Rows)
	}
	statuses := map[string]Status{}
	for _, r := range m.Rows {
		statuses[r.AuditID] = r.Status
	}
	if statuses["a"] != Reverted || statuses["b"] != Revert || statuses["c"] != Failed {
		t.Fatalf("statuses: %v", statuses)
	}
	var b bytes.Buffer
	if err := RenderHTML(&b, m); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), `<tr class="finding `); got != 3 {
		t.Fatalf("%d rows in the HTML", got)
	}
	for _, want := range []string{"監査記録", "切り戻し", "2026-11-24 10:02:03 JST"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("HTML lacks %q", want)
		}
	}
}
