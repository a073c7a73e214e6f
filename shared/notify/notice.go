// Package notify is the one message model every channel renders: e-mail
// text (Japanese or English), Slack Block Kit and the Chatbot custom
// notification, sent as one SNS message with a body per protocol.
package notify

import (
	"time"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
)

// Severity orders notices. Critical ones are never grouped, delayed or dropped.
type Severity string

const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Notice is what administrators are told about one resource.
type Notice struct {
	AuditID   string          `json:"audit_id,omitempty"`
	Rule      string          `json:"rule"`
	Mode      string          `json:"mode"`
	Severity  Severity        `json:"severity"`
	Outcome   finding.Outcome `json:"outcome"`
	Account   string          `json:"account"`
	Region    string          `json:"region"`
	EventName string          `json:"event_name,omitempty"`
	EventID   string          `json:"event_id,omitempty"`
	EventTime time.Time       `json:"event_time,omitzero"`
	// Actor is who made the call that caused the notice.
	Actor      cloudtrail.Actor  `json:"actor"`
	Resource   string            `json:"resource"` // ARN
	Kind       string            `json:"kind"`     // access_key, role, bucket, ...
	Name       string            `json:"name"`     // readable resource name
	Violations []finding.Code    `json:"violations"`
	Findings   []finding.Finding `json:"findings,omitempty"`
	// Actions: what gcguard did (fixed) or would do (would_fix).
	Actions []string `json:"actions,omitempty"`
	Before  string   `json:"before,omitempty"`
	After   string   `json:"after,omitempty"`
	// Reason explains skipped, exempted, report-only and failed outcomes.
	Reason       string `json:"reason,omitempty"`
	Irreversible string `json:"irreversible,omitempty"`
	// RevertCommand is the exact command that undoes the change, "" when
	// nothing can be undone.
	RevertCommand string `json:"revert_command,omitempty"`
	// Stack is the CloudFormation stack that manages the resource, so the
	// template is fixed too and the next deploy does not undo the fix.
	Stack string `json:"stack,omitempty"`
	// Preview is the access the change takes away, keeps and adds, when
	// the rule could compute it. Each entry names a principal or an ARN
	// pattern (an identifier, not a sentence), so both languages show it
	// as it is.
	Preview *Preview `json:"preview,omitempty"`
	// Deployment lines from the configuration, shown when set.
	SystemName  string `json:"system_name,omitempty"` // 利用システム名
	Environment string `json:"environment,omitempty"` // 本番／検証, production/staging
	Contact     string `json:"contact,omitempty"`     // 問い合わせ先
}

// Preview is the effect of a change on who may access the resource.
type Preview struct {
	Loses []string `json:"loses,omitempty"`
	Keeps []string `json:"keeps,omitempty"`
	Gains []string `json:"gains,omitempty"`
}

// Empty reports whether the preview says nothing.
func (p *Preview) Empty() bool {
	return p == nil || len(p.Loses)+len(p.Keeps)+len(p.Gains) == 0
}

// Deployment is the part of the configuration every notice shows: which
// system and environment the account serves, and whom to ask.
type Deployment struct {
	SystemName, Environment, Contact string
}

// Apply fills the notice's deployment lines that are not set yet.
func (d Deployment) Apply(n *Notice) {
	if n.SystemName == "" {
		n.SystemName = d.SystemName
	}
	if n.Environment == "" {
		n.Environment = d.Environment
	}
	if n.Contact == "" {
		n.Contact = d.Contact
	}
}

// DeploymentFrom is the deployment lines of a configuration.
func DeploymentFrom(c *config.Config) Deployment {
	return Deployment{SystemName: c.SystemName, Environment: c.Environment, Contact: c.Contact}
}
