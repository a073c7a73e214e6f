package guardrail

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// Rule reconciles one kind of resource. The event only says which resource
// changed: Observe re-reads live state and Plan, which is pure, decides from
// that state alone, so a re-delivered or self-caused event plans nothing.
type Rule interface {
	Spec() Spec
	// Match names the resource the event is about. It returns ErrIgnore
	// (wrapped, with the reason) for trigger events that need no look,
	// such as an access key set to Inactive.
	Match(ev *cloudtrail.Event) (Target, error)
	// Observe reads the resource's live state. An error that awsapi
	// classifies as NotFound ends quietly: the resource is gone.
	Observe(ctx context.Context, t Target) (State, error)
	// Plan computes the change that makes the resource compliant. It must
	// not call AWS. An empty plan means compliant.
	Plan(in PlanInput) (Plan, error)
	// Apply writes the plan. The engine calls it only in enforce mode, only
	// after the audit record is stored, and only under the resource's lease.
	Apply(ctx context.Context, t Target, p *Plan) error
}

// Reverter is implemented by rules whose changes can be undone.
type Reverter interface {
	// Revert restores rec.Prior. It returns what it did, in words.
	Revert(ctx context.Context, rec *audit.Record) (string, error)
}

// ErrIgnore marks trigger events that need no look (wrap it with the reason).
var ErrIgnore = errors.New("nothing to check")

// ErrNeverTouch marks resources gcguard never changes (service-linked
// roles, SSO roles, CDK bootstrap resources, gcguard's own).
var ErrNeverTouch = errors.New("never touched")

// Target names one resource. ARN is its identity for the lease, the audit
// trail and exemptions (for access keys: the IAM user's ARN, which is what
// an exemption names).
type Target struct {
	Kind        string `json:"kind"`
	ARN         string `json:"arn"`
	Region      string `json:"region,omitempty"`
	User        string `json:"user,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	Role        string `json:"role,omitempty"`
	Bucket      string `json:"bucket,omitempty"`
}

// LeaseKey is what the per-resource lease serializes on.
func (t Target) LeaseKey() string {
	if t.AccessKeyID != "" {
		return t.ARN + "#" + t.AccessKeyID
	}
	return t.ARN
}

// State is a rule's view of live state, JSON-marshalable for the audit trail.
type State any

// Untouchable is implemented by states that can show, from live evidence,
// that the resource is one gcguard never changes (a service-linked role, an
// IAM Identity Center role, a CDK bootstrap role, gcguard's own). A name or
// path alone is never such evidence.
type Untouchable interface {
	// NeverTouchReason says why the resource is left alone; "" if it is not.
	NeverTouchReason() string
}

// Resolver is implemented by states that learn more about the target than
// the event could say (an IAM user's path, and so its exact ARN).
type Resolver interface {
	Resolve(t Target) Target
}

// PlanInput is everything Plan may look at.
type PlanInput struct {
	Event  *cloudtrail.Event // nil when the sweep, not an event, asks
	Target Target
	State  State
	Config *config.Config
	Now    time.Time
}

// Plan is a rule's decision. Empty (no violations) means compliant.
type Plan struct {
	Violations []finding.Code
	Findings   []finding.Finding
	// Actions says in words what enforce mode writes, one line per write.
	Actions []string
	// Before and After are readable summaries for people.
	Before, After string
	// Prior is the exact state a revert restores; Desired the exact state
	// the plan writes. Both are stored in the audit record first.
	Prior, Desired json.RawMessage
	// Change is the rule's own payload, handed back to Apply.
	Change any `json:"-"`
	// ReportOnly says why nothing is written even in enforce mode.
	ReportOnly string
	// Critical notices are never grouped, delayed or dropped.
	Critical bool
	// Irreversible says what a revert cannot bring back.
	Irreversible string
	// Preview is the access preview that proved the change: who loses,
	// keeps and gains access. Stored in the audit record, shown first.
	Preview *notify.Preview
}

// Empty reports whether the resource is compliant.
func (p *Plan) Empty() bool { return len(p.Violations) == 0 }

// Deps is what a rule is built from, once per process.
type Deps struct {
	AWS    aws.Config
	Config *config.Config
	Now    func() time.Time
}

// JSON marshals v for Plan.Prior and Plan.Desired.
func JSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// Lister is implemented by rules the sweep can walk. List calls fn for each
// resource the rule governs, in a stable order, starting after the item
// whose Key is after ("" = from the start). It returns fn's first error.
type Lister interface {
	List(ctx context.Context, after string, fn func(Item) error) error
}

// Item is one resource found by a sweep.
type Item struct {
	Target Target
	// State is the live state when listing already read it (ListRoles
	// returns trust policies); nil means the engine observes.
	State State
	// Created is when the resource was made; zero when unknown.
	Created time.Time
	// Key orders items for checkpoints.
	Key string
}

// Snapshotter is implemented by rules whose live state can be put in the
// shape of Plan.Desired, so a revert can tell whether the resource changed
// since gcguard wrote it.
type Snapshotter interface {
	Snapshot(s State) json.RawMessage
}
