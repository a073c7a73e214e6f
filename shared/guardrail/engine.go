package guardrail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// Auditor is the part of the audit store the engine uses.
type Auditor interface {
	Begin(ctx context.Context, r *audit.Record) error
	Finish(ctx context.Context, r *audit.Record, status audit.Status, errText string, now time.Time) error
	MarkNotified(ctx context.Context, r *audit.Record) error
	Unnotified(ctx context.Context, resource, eventID string) ([]*audit.Record, error)
	Acquire(ctx context.Context, resource, owner string, now time.Time, d time.Duration) error
	Release(ctx context.Context, resource, owner string) error
	ActiveHold(ctx context.Context, resource string, now time.Time) (*audit.Hold, error)
}

var _ Auditor = (*audit.Store)(nil)

// Notifier sends a notice.
type Notifier interface {
	Publish(ctx context.Context, n *notify.Notice) error
}

// ExemptionSource finds the authenticated exemption covering a rule and
// resource; active says whether it still applies, found whether any
// (expired ones included, so they can be reported) covers it.
type ExemptionSource interface {
	Lookup(ctx context.Context, rule, resource string, now time.Time) (e config.Exemption, active, found bool, err error)
}

// StackFinder names the CloudFormation stack that manages a resource, "" if none.
type StackFinder interface {
	Stack(ctx context.Context, t Target) string
}

// Bound is a rule with the mode it runs in.
type Bound struct {
	Rule Rule
	Mode config.Mode
}

// Engine takes events through the rules.
type Engine struct {
	Config     *config.Config
	Rules      []Bound
	Audit      Auditor
	Notifier   Notifier
	Exemptions ExemptionSource // nil: no exemptions
	Stacks     StackFinder     // nil: stacks are not looked up
	Logger     *slog.Logger
	Now        func() time.Time
	// DryRun forces every rule to report only, whatever its mode.
	DryRun bool
	// LeaseWait bounds how long an invocation waits for another to finish
	// with the same resource before returning an error for Lambda to retry.
	LeaseWait time.Duration
	// ConsistencyWait bounds the retries of a read that finds nothing right
	// after the event that created the resource (IAM is eventually consistent).
	ConsistencyWait time.Duration
}

// Result is what handling one event for one rule came to.
type Result struct {
	Rule    string          `json:"rule"`
	Target  Target          `json:"target"`
	Outcome finding.Outcome `json:"outcome"`
	Reason  string          `json:"reason,omitempty"`
	AuditID string          `json:"audit_id,omitempty"`
	Plan    *Plan           `json:"-"`
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// Handle is the Lambda handler: one EventBridge event in. A malformed event
// is logged once, with its id, and not returned as an error (retrying it
// cannot help). Transient failures are returned so Lambda retries and, after
// its retries, hands the event to the on-failure destination.
func (e *Engine) Handle(ctx context.Context, raw json.RawMessage) error {
	if bytes.Contains(raw, []byte(`"awslogs"`)) {
		var p cwLogsPayload
		if json.Unmarshal(raw, &p) == nil && p.AWSLogs != nil {
			return e.handleLogs(ctx, p.AWSLogs.Data)
		}
	}
	ev, err := cloudtrail.Decode(raw)
	if err != nil {
		var bad *cloudtrail.MalformedError
		if errors.As(err, &bad) {
			e.logger().ErrorContext(ctx, "malformed event: not handled", "event_id", bad.EventID, "error", bad.Reason, "outcome", finding.Skipped)
			return nil
		}
		return err
	}
	_, err = e.HandleEvent(ctx, ev)
	return err
}

// HandleEvent runs every rule that the event triggers.
func (e *Engine) HandleEvent(ctx context.Context, ev *cloudtrail.Event) ([]Result, error) {
	var results []Result
	var errs []error
	for _, b := range e.Rules {
		if !b.Rule.Spec().Handles(ev) {
			continue
		}
		res, err := e.handleRule(ctx, b, ev)
		results = append(results, res)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(results) == 0 {
		e.logger().InfoContext(ctx, "no rule here handles this event", "event_id", ev.ID, "event_name", ev.Detail.EventName, "outcome", finding.Skipped)
	}
	return results, errors.Join(errs...)
}

func (e *Engine) handleRule(ctx context.Context, b Bound, ev *cloudtrail.Event) (Result, error) {
	spec := b.Rule.Spec()
	log := e.logger().With("rule", spec.Name, "event_id", ev.ID, "event_name", ev.Detail.EventName, "mode", string(b.Mode), "dry_run", e.dryRun(b))
	res := Result{Rule: spec.Name, Outcome: finding.Skipped}
	quiet := func(reason string) (Result, error) {
		res.Reason = reason
		log.InfoContext(ctx, reason, "outcome", res.Outcome)
		return res, nil
	}
	switch {
	case b.Mode == config.Off:
		return quiet("rule is off")
	case ev.Failed():
		return quiet(fmt.Sprintf("the call failed (%s): nothing changed", ev.Detail.ErrorCode))
	case ev.ReadOnly():
		return quiet("read-only call")
	case ev.CausedBy(e.Config.OwnRoleARNs):
		return quiet("caused by gcguard itself")
	}
	t, err := b.Rule.Match(ev)
	switch {
	case errors.Is(err, ErrIgnore), errors.Is(err, ErrNeverTouch):
		res.Target = t
		return quiet(err.Error())
	case err != nil:
		res.Reason = err.Error()
		log.ErrorContext(ctx, "malformed event: not handled", "error", err, "outcome", res.Outcome)
		return res, nil
	}
	return e.Reconcile(ctx, b, t, ev)
}

func (e *Engine) dryRun(b Bound) bool { return e.DryRun || b.Mode != config.Enforce }

// Reconcile brings one resource to compliance (or reports it). ev is the
// event that pointed at it, nil when the sweep asks.
func (e *Engine) Reconcile(ctx context.Context, b Bound, t Target, ev *cloudtrail.Event) (Result, error) {
	return e.reconcile(ctx, &run{e: e, b: b, t: t, ev: ev})
}

// SweepOptions says how the sweep wants one item handled.
type SweepOptions struct {
	// ReportOnly, when set, is why the item is reported and not changed
	// (it existed before gcguard was deployed).
	ReportOnly string
}

// ReconcileItem handles one resource found by the sweep. Its listed state is
// used for the first plan, so a compliant resource costs no extra read;
// anything to change is read again under the lease. Reports are not
// recorded or announced one by one: the sweep sums them up.
func (e *Engine) ReconcileItem(ctx context.Context, b Bound, it Item, opt SweepOptions) (Result, error) {
	return e.reconcile(ctx, &run{e: e, b: b, t: it.Target, pre: it.State, sweep: true, forceReport: opt.ReportOnly})
}

func (e *Engine) reconcile(ctx context.Context, r *run) (Result, error) {
	spec := r.b.Rule.Spec()
	b, t, ev := r.b, r.t, r.ev
	r.res = Result{Rule: spec.Name, Target: t}
	r.log = e.logger().With("rule", spec.Name, "resource", t.ARN, "mode", string(b.Mode), "dry_run", e.dryRun(b))
	if r.sweep {
		r.log = r.log.With("sweep", true)
	}
	if ev != nil {
		r.log = r.log.With("event_id", ev.ID)
	}
	err := r.reconcile(ctx)
	var keyErr *audit.KeyError
	if errors.As(err, &keyErr) && !awsapi.IsTransient(err) {
		// State that cannot be signed or verified is as good as none:
		// nothing was changed, and a retry will not help. Say so loudly.
		e.Alarm(ctx, audit.InvalidItem{Where: "MAC key " + keyErr.KeyARN, Kind: "key", Key: keyErr.Op, Resource: t.ARN,
			Reason: "gcguard cannot use its MAC key, so it changed nothing: " + keyErr.Err.Error()})
	}
	level := slog.LevelInfo
	if err != nil || r.res.Outcome == finding.Failed {
		level = slog.LevelError
	}
	attrs := []any{"outcome", r.res.Outcome, "reason", r.res.Reason, "audit_id", r.res.AuditID}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	r.log.Log(ctx, level, "reconciled", attrs...)
	return r.res, err
}

// run is one reconciliation in progress.
type run struct {
	e     *Engine
	b     Bound
	t     Target
	ev    *cloudtrail.Event
	log   *slog.Logger
	res   Result
	owner string
	// pre is state the sweep already read; used once, for the first plan.
	pre State
	// sweep runs report instead of recording and announcing each report.
	sweep bool
	// forceReport makes the run report only, with this reason.
	forceReport string
}

func (r *run) reconcile(ctx context.Context) error {
	plan, done, err := r.observeAndPlan(ctx)
	if done || err != nil {
		return err
	}
	if plan.Empty() {
		r.res.Outcome = finding.Compliant
		return r.resendUnnotified(ctx)
	}
	if hold, err := r.e.Audit.ActiveHold(ctx, r.t.LeaseKey(), r.e.now()); err != nil {
		return err
	} else if hold != nil {
		r.res.Outcome = finding.Skipped
		r.res.Reason = fmt.Sprintf("held until %s after revert %s", hold.Until.Format(time.RFC3339), hold.AuditID)
		return nil
	}
	exemptNote, exempted, err := r.exemption(ctx)
	if err != nil {
		return err
	}
	if exempted {
		r.res.Outcome, r.res.Reason = finding.Exempted, exemptNote
		return r.report(ctx, plan, finding.Exempted, exemptNote)
	}
	if reason := r.reportOnlyReason(plan); reason != "" {
		if exemptNote != "" {
			reason += "; " + exemptNote
		}
		r.res.Outcome, r.res.Reason = finding.WouldFix, reason
		return r.report(ctx, plan, finding.WouldFix, reason)
	}
	// Enforce: take the resource, then decide again from what is there now,
	// so two invocations never interleave their writes.
	if err := r.lease(ctx); err != nil {
		return err
	}
	defer r.release()
	plan, done, err = r.observeAndPlan(ctx)
	if done || err != nil {
		return err
	}
	if plan.Empty() {
		r.res.Outcome = finding.Compliant
		return nil
	}
	if reason := r.reportOnlyReason(plan); reason != "" {
		// The resource changed while we waited for it into something
		// gcguard may only report.
		r.res.Outcome, r.res.Reason = finding.WouldFix, reason
		return r.report(ctx, plan, finding.WouldFix, reason)
	}
	return r.apply(ctx, plan, exemptNote)
}

// observeAndPlan reads live state and plans. done means the run ended
// (resource gone, unreadable, or unplannable: the outcome says which).
func (r *run) observeAndPlan(ctx context.Context) (*Plan, bool, error) {
	state, err := r.pre, error(nil)
	if state != nil {
		r.pre = nil
	} else {
		state, err = r.observe(ctx)
	}
	if err != nil {
		if awsapi.IsNotFound(err) {
			r.res.Outcome, r.res.Reason = finding.Skipped, "resource no longer exists"
			// A retry after a fix that removed the resource (a deleted
			// key) still owes the notice an earlier try could not send.
			return nil, true, r.resendUnnotified(ctx)
		}
		if awsapi.IsTransient(err) {
			return nil, true, fmt.Errorf("read %s: %w", r.t.ARN, err)
		}
		r.res.Outcome, r.res.Reason = finding.Failed, "cannot read the resource: "+err.Error()
		return nil, true, nil
	}
	if res, ok := state.(Resolver); ok {
		r.t = res.Resolve(r.t)
		r.res.Target = r.t
	}
	if u, ok := state.(Untouchable); ok && u.NeverTouchReason() != "" {
		r.res.Outcome, r.res.Reason = finding.Skipped, "never touched: "+u.NeverTouchReason()
		return nil, true, nil
	}
	plan, err := r.b.Rule.Plan(PlanInput{Event: r.ev, Target: r.t, State: state, Config: r.e.Config, Now: r.e.now()})
	if err != nil {
		r.res.Outcome, r.res.Reason = finding.Failed, "cannot plan: "+err.Error()
		return nil, true, nil
	}
	r.res.Plan = &plan
	return &plan, false, nil
}

// observe retries a not-found read for a little while after a fresh event:
// IAM may not yet serve a role or key the event just created.
func (r *run) observe(ctx context.Context) (State, error) {
	wait := r.e.ConsistencyWait
	if wait == 0 {
		wait = 3 * time.Second
	}
	deadline := r.e.now().Add(wait)
	delay := 200 * time.Millisecond
	for {
		state, err := r.b.Rule.Observe(ctx, r.t)
		// Under the lease the resource was read moments ago: not-found
		// then means gone, and waiting would only hold the lease.
		fresh := r.owner == "" && r.ev != nil && r.e.now().Sub(r.ev.Detail.EventTime) < 2*time.Minute
		if err == nil || !awsapi.IsNotFound(err) || !fresh || r.e.now().Add(delay).After(deadline) {
			return state, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// DryRunReason is the reason of every report a dry run makes.
const DryRunReason = "dry run: nothing is changed"

func (r *run) reportOnlyReason(p *Plan) string {
	switch {
	case r.forceReport != "":
		return r.forceReport
	case p.ReportOnly != "":
		return p.ReportOnly
	case r.e.DryRun:
		return DryRunReason
	case r.b.Mode != config.Enforce:
		return "rule is in notify mode: nothing is changed"
	}
	return ""
}

func (r *run) exemption(ctx context.Context) (note string, active bool, err error) {
	if r.e.Exemptions == nil {
		return "", false, nil
	}
	e, active, found, err := r.e.Exemptions.Lookup(ctx, r.b.Rule.Spec().Name, r.t.ARN, r.e.now())
	if err != nil {
		return "", false, fmt.Errorf("read exemptions: %w", err)
	}
	switch {
	case !found:
		return "", false, nil
	case active:
		return fmt.Sprintf("exempted until %s (JST) by approval %s", e.Expires, e.Approval), true, nil
	}
	return fmt.Sprintf("exemption %s expired on %s (JST)", e.Approval, e.Expires), false, nil
}

func (r *run) lease(ctx context.Context) error {
	r.owner = newOwner()
	wait := r.e.LeaseWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	deadline := r.e.now().Add(wait)
	delay := 100 * time.Millisecond
	for {
		err := r.e.Audit.Acquire(ctx, r.t.LeaseKey(), r.owner, r.e.now(), r.e.Config.LeaseDuration)
		if err == nil {
			return nil
		}
		if !errors.Is(err, audit.ErrLeaseHeld) || r.e.now().Add(delay).After(deadline) {
			r.owner = ""
			return err
		}
		select {
		case <-ctx.Done():
			r.owner = ""
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
}

func (r *run) release() {
	if r.owner == "" {
		return
	}
	// The lease must go even when the invocation's context is done.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.e.Audit.Release(ctx, r.t.LeaseKey(), r.owner); err != nil {
		r.log.WarnContext(ctx, "lease not released; it expires by itself", "error", err)
	}
}

func (r *run) record(p *Plan, status audit.Status, outcome finding.Outcome) *audit.Record {
	now := r.e.now().UTC()
	rec := &audit.Record{
		ID: audit.NewID(now), Resource: r.t.ARN, Kind: r.t.Kind, Region: r.t.Region,
		Account: r.e.Config.Account, Rule: r.b.Rule.Spec().Name, Mode: string(r.b.Mode),
		Status: status, Outcome: outcome, Violations: p.Violations, Findings: p.Findings,
		Actions: p.Actions, BeforeText: p.Before, AfterText: p.After, Before: p.Prior, After: p.Desired,
		Target: JSON(r.t), Irreversible: p.Irreversible, Created: now,
	}
	if pv := p.Preview; pv != nil {
		rec.PreviewLoses, rec.PreviewKeeps, rec.PreviewGains = capPreview(pv.Loses), capPreview(pv.Keeps), capPreview(pv.Gains)
	}
	if r.e.DryRun {
		rec.Mode = string(config.Notify)
	}
	if r.ev != nil {
		rec.EventID, rec.EventName, rec.EventTime, rec.Actor = r.ev.ID, r.ev.Detail.EventName, r.ev.Detail.EventTime, r.ev.Actor()
	}
	return rec
}

// report records and announces a plan that is not applied.
func (r *run) report(ctx context.Context, p *Plan, outcome finding.Outcome, reason string) error {
	if r.sweep {
		return nil // the sweep's summary carries it
	}
	rec := r.record(p, audit.Reported, outcome)
	if err := r.e.Audit.Begin(ctx, rec); err != nil {
		return err
	}
	r.res.AuditID = rec.ID
	return r.notify(ctx, rec, p, reason)
}

// apply is the enforce path: audit first, then write, verify, finish, tell.
func (r *run) apply(ctx context.Context, p *Plan, note string) error {
	rec := r.record(p, audit.Planned, finding.Fixed)
	if err := r.e.Audit.Begin(ctx, rec); err != nil {
		// Nothing is written without its record.
		return fmt.Errorf("no change made: %w", err)
	}
	r.res.AuditID = rec.ID
	if err := r.b.Rule.Apply(ctx, r.t, p); err != nil {
		return r.fail(ctx, rec, p, fmt.Errorf("apply: %w", err))
	}
	if err := r.verify(ctx); err != nil {
		return r.fail(ctx, rec, p, err)
	}
	if err := r.e.Audit.Finish(ctx, rec, audit.Applied, "", r.e.now()); err != nil {
		// The write happened and is recorded as planned with its prior state:
		// revert still works. Say so, and go on to tell people.
		r.log.ErrorContext(ctx, "change applied but its record stays planned", "audit_id", rec.ID, "error", err)
	}
	r.res.Outcome = finding.Fixed
	r.res.Reason = note
	return r.announce(ctx, rec, p, note)
}

func (r *run) fail(ctx context.Context, rec *audit.Record, p *Plan, cause error) error {
	rec.Outcome = finding.Failed
	if err := r.e.Audit.Finish(ctx, rec, audit.Failed, cause.Error(), r.e.now()); err != nil {
		r.log.ErrorContext(ctx, "cannot mark audit record failed", "audit_id", rec.ID, "error", err)
	}
	r.res.Outcome, r.res.Reason = finding.Failed, cause.Error()
	if awsapi.IsTransient(cause) {
		// Lambda retries; the retry plans from live state again.
		return cause
	}
	return r.announce(ctx, rec, p, cause.Error())
}

// announce sends the notice of this try, naming what earlier tries of the
// same event recorded but never announced: a try that ended in a transient
// error or in Lambda's timeout sends no notice, because the retry plans
// again; yet it may have written part of its plan (a bucket's Block Public
// Access before its policy write failed). Only once this notice is out are
// those records settled, so a later duplicate neither announces them again
// nor loses them.
func (r *run) announce(ctx context.Context, rec *audit.Record, p *Plan, reason string) error {
	var earlier []*audit.Record
	if r.ev != nil && r.e.Notifier != nil {
		recs, err := r.e.Audit.Unnotified(ctx, r.t.ARN, r.ev.ID)
		if err != nil {
			r.log.WarnContext(ctx, "cannot read the records of earlier tries; a duplicate may announce them", "audit_id", rec.ID, "error", err)
		}
		for _, e := range recs {
			if e.ID != rec.ID {
				earlier = append(earlier, e)
			}
		}
	}
	if err := r.notify(ctx, rec, p, reason, earlier...); err != nil {
		return err
	}
	for _, e := range earlier {
		if err := r.e.Audit.MarkNotified(ctx, e); err != nil {
			r.log.WarnContext(ctx, "cannot settle the record of an earlier try", "audit_id", e.ID, "error", err)
		}
	}
	return nil
}

// verify re-reads the resource and re-plans: the fix holds only if the new
// plan is empty. Reads right after a write may lag, so it tries a few times.
func (r *run) verify(ctx context.Context) error {
	var last *Plan
	for i, delay := 0, 100*time.Millisecond; i < 4; i, delay = i+1, delay*3 {
		state, err := r.b.Rule.Observe(ctx, r.t)
		if awsapi.IsNotFound(err) {
			return nil // deleting it was the fix, or someone else did
		}
		if err != nil {
			return fmt.Errorf("verify: re-read %s: %w", r.t.ARN, err)
		}
		p, err := r.b.Rule.Plan(PlanInput{Event: r.ev, Target: r.t, State: state, Config: r.e.Config, Now: r.e.now()})
		if err != nil {
			return fmt.Errorf("verify: re-plan %s: %w", r.t.ARN, err)
		}
		if p.Empty() || p.ReportOnly != "" {
			return nil
		}
		last = &p
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	return fmt.Errorf("verify: %s still violates %v after the write", r.t.ARN, last.Violations)
}

func (r *run) notify(ctx context.Context, rec *audit.Record, p *Plan, reason string, earlier ...*audit.Record) error {
	if r.e.Notifier == nil {
		return nil
	}
	n := r.notice(ctx, rec, p, reason)
	for _, e := range earlier {
		if len(e.Actions) > 0 && e.Status != audit.Reported {
			n.Actions = append(n.Actions, fmt.Sprintf("an earlier try of this event (audit %s, %s) may already have made these changes: %s; gcguard revert %s restores what it recorded",
				e.ID, e.Status, strings.Join(e.Actions, "; "), e.ID))
		}
	}
	if err := r.e.Notifier.Publish(ctx, n); err != nil {
		// Returned so Lambda retries; the retry finds the resource compliant
		// and sends this notice from its audit record (resendUnnotified).
		return fmt.Errorf("notice not sent: %w", err)
	}
	if err := r.e.Audit.MarkNotified(ctx, rec); err != nil {
		r.log.WarnContext(ctx, "notice sent but not marked; a retry may send it again", "audit_id", rec.ID, "error", err)
	}
	return nil
}

func (r *run) notice(ctx context.Context, rec *audit.Record, p *Plan, reason string) *notify.Notice {
	n := NoticeFromRecord(rec)
	n.Reason = reason
	if p != nil && p.Critical {
		n.Severity = notify.Critical
	}
	if r.e.Stacks != nil {
		n.Stack = r.e.Stacks.Stack(ctx, r.t)
	}
	if r.ev != nil && n.Region == "" {
		n.Region = r.ev.Region
	}
	return n
}

// NoticeFromRecord builds the notice for an audit record; a notice resent
// after a failed publish is built from the record alone.
func NoticeFromRecord(rec *audit.Record) *notify.Notice {
	n := &notify.Notice{
		AuditID: rec.ID, Rule: rec.Rule, Mode: rec.Mode, Outcome: rec.Outcome, Severity: notify.Warning,
		Account: rec.Account, Region: rec.Region, EventName: rec.EventName, EventID: rec.EventID,
		EventTime: rec.EventTime, Actor: rec.Actor, Resource: rec.Resource, Kind: rec.Kind,
		Name: resourceName(rec), Violations: rec.Violations, Findings: rec.Findings,
		Actions: rec.Actions, Before: rec.BeforeText, After: rec.AfterText,
		Irreversible: rec.Irreversible, Reason: rec.Error,
	}
	if len(rec.PreviewLoses)+len(rec.PreviewKeeps)+len(rec.PreviewGains) > 0 {
		n.Preview = &notify.Preview{Loses: rec.PreviewLoses, Keeps: rec.PreviewKeeps, Gains: rec.PreviewGains}
	}
	switch rec.Outcome {
	case finding.Fixed:
		if len(rec.Before) > 0 && rec.Irreversible == "" {
			n.RevertCommand = "gcguard revert " + rec.ID
		}
	case finding.Failed:
		n.Severity = notify.Critical
	case finding.Exempted:
		n.Severity = notify.Info
	}
	return n
}

func resourceName(rec *audit.Record) string {
	var t Target
	_ = json.Unmarshal(rec.Target, &t)
	switch {
	case t.AccessKeyID != "":
		return t.AccessKeyID + " (" + t.User + ")"
	case t.User != "":
		return t.User
	case t.Role != "":
		return t.Role
	case t.Bucket != "":
		return t.Bucket
	}
	return rec.Resource
}

// resendUnnotified sends notices whose publish failed on an earlier try of
// the same event.
func (r *run) resendUnnotified(ctx context.Context) error {
	if r.ev == nil || r.e.Notifier == nil {
		return nil
	}
	recs, err := r.e.Audit.Unnotified(ctx, r.t.ARN, r.ev.ID)
	if err != nil || len(recs) == 0 {
		return err
	}
	if r.owner == "" {
		// The invocation that wrote them may be announcing them right
		// now: wait for its lease, then look again.
		if err := r.lease(ctx); err != nil {
			return err
		}
		defer r.release()
		if recs, err = r.e.Audit.Unnotified(ctx, r.t.ARN, r.ev.ID); err != nil {
			return err
		}
	}
	for _, rec := range recs {
		if err := r.notify(ctx, rec, nil, rec.Error); err != nil {
			return err
		}
		r.res.AuditID = rec.ID
	}
	return nil
}

// Alarm raises the critical notice for state gcguard refused to act on: an
// audit item or exemption that failed authentication, or a record it could
// not sign. The notice is never grouped or dropped by the notifier; if it
// cannot even be published, the error log line carries all it would have said.
func (e *Engine) Alarm(ctx context.Context, bad audit.InvalidItem) {
	e.logger().ErrorContext(ctx, "unauthenticated state ignored", "where", bad.Where, "kind", bad.Kind, "key", bad.Key,
		"resource", bad.Resource, "reason", bad.Reason, "outcome", finding.Skipped)
	if e.Notifier == nil {
		return
	}
	n := &notify.Notice{
		Rule: "gcguard", Mode: "integrity", Severity: notify.Critical, Outcome: finding.Skipped,
		Account: e.Config.Account, Region: e.Config.HomeRegion, Resource: bad.Resource, Kind: "gcguard_state",
		Name: bad.Where + " " + bad.Kind + " " + bad.Key,
		// The renderers show Reason for every outcome: it carries what to do.
		Reason:    bad.String() + ". gcguard " + strings.Join(alarmActions(bad.Kind), "; "),
		Actions:   alarmActions(bad.Kind),
		EventTime: e.now().UTC(),
	}
	if bad.Resource == "" {
		n.Resource = bad.Where
	}
	if err := e.Notifier.Publish(ctx, n); err != nil {
		e.logger().ErrorContext(ctx, "critical notice not sent", "reason", bad.String(), "error", err.Error())
	}
}

func alarmActions(kind string) []string {
	switch kind {
	case "key":
		return []string{"changed nothing: every change needs a signed audit record first",
			"check the key (CloudTrail: kms:DisableKey, ScheduleKeyDeletion, PutKeyPolicy) and gcguard's permission to use it"}
	case audit.DomainExemption:
		return []string{"ignored it: the entry exempts nothing",
			"find who wrote it (CloudTrail: ssm:PutParameter); re-add genuine entries with gcguard exempt add or sync"}
	}
	return []string{"ignored it: gcguard does not let it stop a fix or feed a revert",
		"find who wrote it (CloudTrail: dynamodb:PutItem, UpdateItem, BatchWriteItem) and remove it"}
}

func newOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// previewMax bounds each preview list in the audit record: a large bucket
// policy yields hundreds of request classes, and a DynamoDB item holds
// 400 KB. The notice shortens further for its channel.
const previewMax = 100

func capPreview(l []string) []string {
	if len(l) <= previewMax {
		return l
	}
	out := append([]string(nil), l[:previewMax]...)
	return append(out, fmt.Sprintf("… and %d more", len(l)-previewMax))
}
