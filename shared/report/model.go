// Package report turns what gcguard found (a scan) or did (the audit trail)
// into reports people read: text for a terminal, CSV for a spreadsheet, JSON
// for scripts, and one self-contained HTML file with a chart and a ja/en
// switch. Every format renders the same Model, so they always agree.
package report

import (
	"sort"
	"time"

	"github.com/gcguard/gcguard/shared/finding"
)

// Severity orders rows: what must be looked at first comes first.
type Severity string

const (
	Critical    Severity = "critical"     // public data, root keys, writes that failed
	High        Severity = "high"         // a violation of the GCAS rules
	Info        Severity = "info"         // something to know, nothing to change
	NotAssessed Severity = "not_assessed" // gcguard could not judge it: never "clean"
)

// Severities lists every severity, most urgent first.
var Severities = []Severity{Critical, High, NotAssessed, Info}

func (s Severity) rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

// Status says what a row is.
type Status string

const (
	// Violation: gcguard would change (scan) or changed (history) it.
	Violation Status = "violation"
	// Existing: a resource that existed before gcguard was deployed and that
	// a person must decide on (an existing access key: delete it, or record
	// the Digital Agency's approval as an exemption).
	Existing Status = "existing"
	// ReportOnly: a violation gcguard reports and never changes.
	ReportOnly Status = "report_only"
	Exempted   Status = "exempted"
	Note       Status = "note"
	Unassessed Status = "not_assessed"
	// Audit record statuses, for history reports.
	Applied  Status = "applied"
	Reported Status = "reported"
	Failed   Status = "failed"
	Reverted Status = "reverted"
	Revert   Status = "revert"
)

// Row is one resource (scan) or one audit record (history).
type Row struct {
	Rule       string            `json:"rule"`
	Resource   string            `json:"resource"`
	Severity   Severity          `json:"severity"`
	Status     Status            `json:"status"`
	Outcome    finding.Outcome   `json:"outcome"`
	Violations []finding.Code    `json:"violations"`
	Reason     string            `json:"reason,omitempty"`
	Actions    []string          `json:"actions,omitempty"`
	Before     string            `json:"before,omitempty"`
	After      string            `json:"after,omitempty"`
	Findings   []finding.Finding `json:"findings"`
	AuditID    string            `json:"audit_id,omitempty"`
	Time       time.Time         `json:"time,omitzero"`
	Actor      string            `json:"actor,omitempty"`
}

// RuleSummary counts one rule's resources. Assessed + NotAssessed is every
// resource the rule listed; a rule whose listing did not finish names why
// in Unlisted and is never clean.
type RuleSummary struct {
	Rule        string           `json:"rule"`
	Assessed    int              `json:"assessed"`
	NotAssessed int              `json:"not_assessed"`
	Violations  int              `json:"violations"`
	Unlisted    string           `json:"unlisted,omitempty"`
	BySeverity  map[Severity]int `json:"by_severity"`
}

// Verdict is the one-word answer a scan gives, and its exit status.
type Verdict string

const (
	Clean           Verdict = "clean"
	ViolationsFound Verdict = "violations_found"
	CouldNotAssess  Verdict = "could_not_assess"
)

// Exit statuses of gcguard scan, as Prowler's: a script can tell
// "checked, all fine" from "checked, not fine" from "could not check".
const (
	ExitClean       = 0
	ExitNotAssessed = 1
	ExitUsage       = 2
	ExitViolations  = 3
)

// ExitStatus is the scan exit status for a verdict.
func (v Verdict) ExitStatus() int {
	switch v {
	case Clean:
		return ExitClean
	case ViolationsFound:
		return ExitViolations
	}
	return ExitNotAssessed
}

// Model is everything a report shows.
type Model struct {
	Kind      string    `json:"kind"` // "scan" or "history"
	Account   string    `json:"account"`
	Generated time.Time `json:"generated"`
	// Deployed is when gcguard was deployed; zero before deployment.
	Deployed time.Time      `json:"deployed,omitzero"`
	Summary  Summary        `json:"summary"`
	Rows     []Row          `json:"resources"`
	Counts   map[string]int `json:"counts,omitempty"`
	Errors   []string       `json:"errors,omitempty"`
}

// Summary is the head of every report.
type Summary struct {
	Verdict    Verdict       `json:"verdict"`
	ExitStatus int           `json:"exit_status"`
	Rules      []RuleSummary `json:"rules"`
}

// Finish sorts the rows (most urgent first), counts them per rule, and
// decides the verdict: anything not assessed makes the scan "could not
// assess", whatever else was found.
func (m *Model) Finish() {
	if m.Rows == nil {
		m.Rows = []Row{}
	}
	sort.SliceStable(m.Rows, func(i, j int) bool {
		a, b := m.Rows[i], m.Rows[j]
		if a.Severity != b.Severity {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time)
		}
		return a.Resource < b.Resource
	})
	idx := map[string]int{}
	for i, r := range m.Summary.Rules {
		idx[r.Rule] = i
		if m.Summary.Rules[i].BySeverity == nil {
			m.Summary.Rules[i].BySeverity = map[Severity]int{}
		}
	}
	for _, r := range m.Rows {
		i, ok := idx[r.Rule]
		if !ok {
			i = len(m.Summary.Rules)
			idx[r.Rule] = i
			m.Summary.Rules = append(m.Summary.Rules, RuleSummary{Rule: r.Rule, BySeverity: map[Severity]int{}})
		}
		s := &m.Summary.Rules[i]
		s.BySeverity[r.Severity]++
		if r.Severity == Critical || r.Severity == High {
			s.Violations++
		}
	}
	sort.Slice(m.Summary.Rules, func(i, j int) bool { return m.Summary.Rules[i].Rule < m.Summary.Rules[j].Rule })
	m.Summary.Verdict = Clean
	for _, s := range m.Summary.Rules {
		if s.NotAssessed > 0 || s.Unlisted != "" {
			m.Summary.Verdict = CouldNotAssess
			break
		}
		if s.Violations > 0 {
			m.Summary.Verdict = ViolationsFound
		}
	}
	if len(m.Errors) > 0 {
		m.Summary.Verdict = CouldNotAssess
	}
	m.Summary.ExitStatus = m.Summary.Verdict.ExitStatus()
}

// Count is the number of rows of a severity.
func (m *Model) Count(s Severity) int {
	n := 0
	for _, r := range m.Rows {
		if r.Severity == s {
			n++
		}
	}
	return n
}
