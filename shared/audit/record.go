// Package audit is gcguard's memory: a record of every change, stored before
// the change is made, and the per-resource lease and revert hold, all in one
// DynamoDB table.
//
// Key design (one partition per resource, so a resource's history, lease and
// hold are read together):
//
//	pk = "RES#" + resource ARN
//	sk = "REC#" + created (RFC 3339, UTC, nanoseconds) + "#" + id   an audit record
//	sk = "LEASE"                                                    the writer's lease
//	sk = "HOLD"                                                     the hold a revert places
//
// Global secondary index "by-id" (partition key "id", all attributes) finds a
// record by its id for `gcguard revert ID`. The attribute "expires_at" (epoch
// seconds) is the table's TTL: leases and holds clean themselves up; audit
// records have none and stay.
package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/finding"
)

// Status is where a record is in its lifecycle:
// planned → applied | failed, reported for notify mode and report-only
// plans, and reverted once `gcguard revert` restored the prior state.
type Status string

const (
	Planned  Status = "planned"
	Applied  Status = "applied"
	Failed   Status = "failed"
	Reported Status = "reported"
	Reverted Status = "reverted"
)

// Record is one change (or one reported violation) to one resource.
type Record struct {
	ID           string            `json:"id" dynamodbav:"id"`
	Resource     string            `json:"resource" dynamodbav:"resource"`
	Kind         string            `json:"kind" dynamodbav:"kind"`
	Region       string            `json:"region,omitempty" dynamodbav:"region,omitempty"`
	Account      string            `json:"account" dynamodbav:"account"`
	Rule         string            `json:"rule" dynamodbav:"rule"`
	Mode         string            `json:"mode" dynamodbav:"mode"`
	Status       Status            `json:"status" dynamodbav:"status"`
	Outcome      finding.Outcome   `json:"outcome" dynamodbav:"outcome"`
	EventID      string            `json:"event_id,omitempty" dynamodbav:"event_id,omitempty"`
	EventName    string            `json:"event_name,omitempty" dynamodbav:"event_name,omitempty"`
	EventTime    time.Time         `json:"event_time,omitzero" dynamodbav:"event_time,omitempty"`
	Actor        cloudtrail.Actor  `json:"actor" dynamodbav:"actor"`
	Violations   []finding.Code    `json:"violations" dynamodbav:"violations"`
	Findings     []finding.Finding `json:"findings" dynamodbav:"-"`
	FindingsJSON string            `json:"-" dynamodbav:"findings"`
	Actions      []string          `json:"actions,omitempty" dynamodbav:"actions,omitempty"`
	BeforeText   string            `json:"before_text,omitempty" dynamodbav:"before_text,omitempty"`
	AfterText    string            `json:"after_text,omitempty" dynamodbav:"after_text,omitempty"`
	Before       json.RawMessage   `json:"before,omitempty" dynamodbav:"-"`
	After        json.RawMessage   `json:"after,omitempty" dynamodbav:"-"`
	BeforeJSON   string            `json:"-" dynamodbav:"before"`
	AfterJSON    string            `json:"-" dynamodbav:"after"`
	Target       json.RawMessage   `json:"target,omitempty" dynamodbav:"-"`
	TargetJSON   string            `json:"-" dynamodbav:"target"`
	Irreversible string            `json:"irreversible,omitempty" dynamodbav:"irreversible,omitempty"`
	// The access preview of the change (signed with the rest of the item).
	PreviewLoses []string  `json:"preview_loses,omitempty" dynamodbav:"preview_loses,omitempty"`
	PreviewKeeps []string  `json:"preview_keeps,omitempty" dynamodbav:"preview_keeps,omitempty"`
	PreviewGains []string  `json:"preview_gains,omitempty" dynamodbav:"preview_gains,omitempty"`
	Error        string    `json:"error,omitempty" dynamodbav:"error,omitempty"`
	Notified     bool      `json:"notified" dynamodbav:"notified"`
	RevertOf     string    `json:"revert_of,omitempty" dynamodbav:"revert_of,omitempty"`
	RevertedBy   string    `json:"reverted_by,omitempty" dynamodbav:"reverted_by,omitempty"`
	Created      time.Time `json:"created" dynamodbav:"created"`
	Updated      time.Time `json:"updated" dynamodbav:"updated"`
	// MAC is the stored item's MAC, kept so an update can require that the
	// item is still the one gcguard last signed.
	MAC string `json:"-" dynamodbav:"-"`
}

// NewID returns a time-ordered, unique record id such as
// 20261124T061400Z-3f9a1c2e.
func NewID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Hold keeps the guardrail from undoing a revert for a while.
type Hold struct {
	Resource string    `json:"resource"`
	Until    time.Time `json:"until"`
	AuditID  string    `json:"audit_id"`
	By       string    `json:"by"`
}
