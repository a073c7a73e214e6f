package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
)

// CSVHeader is the first row of every CSV report. Column names are stable
// English keys (scripts read them); the values are the report's data.
var CSVHeader = []string{"severity", "status", "rule", "resource", "outcome", "violations", "reason", "actions", "before", "after", "audit_id", "time", "actor"}

// bom makes Excel (which reads a BOM-less CSV in the system code page,
// Shift_JIS on Japanese Windows) open the file as UTF-8.
const bom = "\ufeff"

// RenderCSV writes one row per report row, RFC 4180 (CRLF line ends,
// quoted fields), UTF-8 with a byte-order mark. Lists inside a field
// (violations, actions) are joined by newlines.
func RenderCSV(w io.Writer, m Model) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(bom)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	rows := [][]string{CSVHeader}
	for _, r := range m.Rows {
		t := ""
		if !r.Time.IsZero() {
			t = r.Time.UTC().Format(time.RFC3339)
		}
		v := make([]string, len(r.Violations))
		for i, c := range r.Violations {
			v[i] = string(c)
		}
		rows = append(rows, []string{string(r.Severity), string(r.Status), r.Rule, r.Resource, string(r.Outcome),
			strings.Join(v, "\n"), r.Reason, strings.Join(r.Actions, "\n"), r.Before, r.After, r.AuditID, t, r.Actor})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write the CSV report: %w", err)
	}
	return bw.Flush()
}

// ReadCSV reads a CSV report back into rows (the fields CSV carries).
func ReadCSV(r io.Reader) ([]Row, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte(bom))
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read the CSV report: %w", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		return nil, fmt.Errorf("read the CSV report: the first row is not the gcguard header")
	}
	var out []Row
	for _, f := range recs[1:] {
		r := Row{Severity: Severity(f[0]), Status: Status(f[1]), Rule: f[2], Resource: f[3], Outcome: finding.Outcome(f[4]),
			Violations: []finding.Code{}, Reason: f[6], Before: f[8], After: f[9], AuditID: f[10], Actor: f[12]}
		for _, c := range split(f[5]) {
			r.Violations = append(r.Violations, finding.Code(c))
		}
		r.Actions = split(f[7])
		if f[11] != "" {
			if r.Time, err = time.Parse(time.RFC3339, f[11]); err != nil {
				return nil, fmt.Errorf("read the CSV report: time %q: %w", f[11], err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
