package guardrail

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gcguard/gcguard/shared/audit"
	"github.com/gcguard/gcguard/shared/awsapi"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/finding"
	"github.com/gcguard/gcguard/shared/notify"
)

// CheckpointStore keeps an unfinished sweep's position between runs.
type CheckpointStore interface {
	SaveCheckpoint(ctx context.Context, c audit.Checkpoint) error
	LoadCheckpoint(ctx context.Context) (*audit.Checkpoint, error)
	ClearCheckpoint(ctx context.Context) error
}

var _ CheckpointStore = (*audit.Store)(nil)

// Sweeper walks every resource of every listing rule through the engine:
// it catches what events missed (CloudTrail delivery is best effort, and
// some calls never reach the hub).
type Sweeper struct {
	Engine *Engine
	// Checkpoints is nil for a one-shot scan.
	Checkpoints CheckpointStore
	// Workers bounds how many resources are handled at once.
	Workers int
	// Margin is how long before the context deadline the sweep stops
	// starting work and saves its position.
	Margin time.Duration
	// OnItem, when set, is called after each resource (progress display).
	OnItem func(Result)
	// OnListed, when set, is told how many resources a rule has listed so
	// far, and when its listing is complete (progress display: done/total).
	OnListed func(rule string, listed int, complete bool)
}

// SweepReport sums up one sweep run.
type SweepReport struct {
	RunID    string         `json:"run_id"`
	Finished bool           `json:"finished"` // false: stopped at the deadline; the next run goes on
	Counts   map[string]int `json:"counts"`   // "rule/outcome" → count, across the whole sweep
	Results  []Result       `json:"results"`  // this run's non-compliant results
	Errors   []string       `json:"errors,omitempty"`
	// Unlisted names each rule whose listing did not finish in this run,
	// with why: its resources past that point were not assessed.
	Unlisted map[string]string `json:"unlisted,omitempty"`
}

// PreexistingReason starts the reason of every resource reported, not
// changed, because it existed before gcguard was deployed.
const PreexistingReason = "existed before gcguard was deployed"

// batchSize items are handled concurrently; the checkpoint moves after
// each batch, so a cut-off run repeats at most one batch's reads.
const batchSize = 32

var errStop = errors.New("sweep stopped at its deadline")

// Run sweeps from the stored checkpoint (if any) until done or until the
// deadline approaches.
func (s *Sweeper) Run(ctx context.Context) (*SweepReport, error) {
	now := s.Engine.now()
	cp := &audit.Checkpoint{RunID: audit.NewID(now), Started: now, Counts: map[string]int{}}
	if s.Checkpoints != nil {
		prev, err := s.Checkpoints.LoadCheckpoint(ctx)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			cp = prev
			if cp.Counts == nil {
				cp.Counts = map[string]int{}
			}
		}
	}
	rep := &SweepReport{RunID: cp.RunID, Counts: cp.Counts, Unlisted: map[string]string{}}
	rules := s.listers()
	start := 0
	if cp.Rule != "" {
		for i, b := range rules {
			if b.Rule.Spec().Name == cp.Rule {
				start = i
			}
		}
	}
	// Until a rule's listing finishes, it counts as not assessed.
	for _, b := range rules[start:] {
		rep.Unlisted[b.Rule.Spec().Name] = "not reached in this run"
	}
	for i := start; i < len(rules); i++ {
		b := rules[i]
		after := ""
		if i == start {
			after = cp.After
		}
		cp.Rule = b.Rule.Spec().Name
		err := s.sweepRule(ctx, b, after, cp, rep)
		if errors.Is(err, errStop) {
			rep.Unlisted[cp.Rule] = "stopped at the time limit"
			return rep, s.save(ctx, cp)
		}
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", cp.Rule, err))
			rep.Unlisted[cp.Rule] = "listing failed: " + err.Error()
			if awsapi.IsTransient(err) && s.Checkpoints != nil {
				// Throttled or unavailable while listing: keep the place, so
				// the next run goes on with this rule instead of skipping the
				// rest of its resources until the next full sweep. A one-shot
				// scan goes on with the other rules instead.
				return rep, s.save(ctx, cp)
			}
		} else {
			delete(rep.Unlisted, cp.Rule)
		}
		cp.After = ""
	}
	rep.Finished = true
	if s.Checkpoints != nil {
		if err := s.Checkpoints.ClearCheckpoint(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (s *Sweeper) save(ctx context.Context, cp *audit.Checkpoint) error {
	if s.Checkpoints == nil {
		return nil
	}
	cp.Saved = s.Engine.now()
	// The invocation's context may be nearly spent; the checkpoint must land.
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return s.Checkpoints.SaveCheckpoint(c, *cp)
}

func (s *Sweeper) listers() []Bound {
	var out []Bound
	for _, b := range s.Engine.Rules {
		if _, ok := b.Rule.(Lister); ok && b.Mode != config.Off {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule.Spec().Name < out[j].Rule.Spec().Name })
	return out
}

func (s *Sweeper) nearDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	margin := s.Margin
	if margin == 0 {
		margin = 90 * time.Second
	}
	return ok && time.Until(dl) < margin
}

func (s *Sweeper) sweepRule(ctx context.Context, b Bound, after string, cp *audit.Checkpoint, rep *SweepReport) error {
	var batch []Item
	listed := 0
	name := b.Rule.Spec().Name
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		s.handleBatch(ctx, b, batch, rep)
		cp.After = batch[len(batch)-1].Key
		batch = batch[:0]
		if err := s.save(ctx, cp); err != nil {
			return err
		}
		if s.nearDeadline(ctx) {
			return errStop
		}
		return nil
	}
	err := b.Rule.(Lister).List(ctx, after, func(it Item) error {
		batch = append(batch, it)
		listed++
		if s.OnListed != nil {
			s.OnListed(name, listed, false)
		}
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.OnListed != nil {
		s.OnListed(name, listed, true)
	}
	return flush()
}

func (s *Sweeper) handleBatch(ctx context.Context, b Bound, items []Item, rep *SweepReport) {
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	sem := make(chan struct{}, workers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Add(1)
		go func(it Item) {
			defer wg.Done()
			defer func() { <-sem }()
			opt := SweepOptions{}
			if s.preexisting(it) {
				opt.ReportOnly = PreexistingReason + ": reported, not changed (" + config.EnvFixPreexisting + "=true lets the sweep fix it)"
			}
			res, err := s.Engine.ReconcileItem(ctx, b, it, opt)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s: %v", res.Rule, it.Target.ARN, err))
				if res.Outcome == "" || res.Outcome == finding.Compliant {
					res.Outcome = finding.Failed
				}
				if res.Reason == "" {
					res.Reason = err.Error()
				}
			}
			rep.Counts[res.Rule+"/"+string(res.Outcome)]++
			// Compliant resources with findings (a service principal without
			// a source condition, say) are listed too: nothing to change,
			// something to know.
			if res.Outcome != finding.Compliant || (res.Plan != nil && len(res.Plan.Findings) > 0) {
				rep.Results = append(rep.Results, res)
			}
			if s.OnItem != nil {
				s.OnItem(res)
			}
		}(it)
	}
	wg.Wait()
}

func (s *Sweeper) preexisting(it Item) bool {
	cfg := s.Engine.Config
	return !cfg.FixPreexisting && !cfg.DeployedAt.IsZero() && !it.Created.IsZero() && it.Created.Before(cfg.DeployedAt)
}

// Summary is the one notice a sweep run sends.
func (rep *SweepReport) Summary(cfg *config.Config) *notify.Notice {
	n := &notify.Notice{
		AuditID: rep.RunID, Rule: "sweep", Mode: "sweep", Severity: notify.Info, Outcome: finding.Compliant,
		Account: cfg.Account, Region: cfg.HomeRegion, Kind: "account", Name: "sweep " + rep.RunID,
		Resource: "arn:" + cfg.Partition + ":iam::" + cfg.Account + ":root",
	}
	keys := make([]string, 0, len(rep.Counts))
	for k := range rep.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n.Actions = append(n.Actions, fmt.Sprintf("%s: %d", k, rep.Counts[k]))
	}
	seen := map[finding.Code]bool{}
	for _, r := range rep.Results {
		if r.Plan != nil {
			for _, v := range r.Plan.Violations {
				if !seen[v] {
					seen[v] = true
					n.Violations = append(n.Violations, v)
				}
			}
		}
		switch r.Outcome {
		case finding.Fixed:
			n.Outcome, n.Severity = finding.Fixed, notify.Warning
		case finding.WouldFix:
			if n.Outcome != finding.Fixed {
				n.Outcome, n.Severity = finding.WouldFix, notify.Warning
			}
		}
	}
	var lines []string
	for _, r := range rep.Results {
		if r.Outcome == finding.WouldFix || r.Outcome == finding.Failed {
			lines = append(lines, fmt.Sprintf("%s %s %s: %s", r.Outcome, r.Rule, r.Target.ARN, r.Reason))
		}
	}
	const maxLines = 50
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], fmt.Sprintf("… and %d more (gcguard scan lists them all)", len(lines)-maxLines))
	}
	n.Before = strings.Join(lines, "\n")
	if len(rep.Errors) > 0 {
		n.Severity = notify.Critical
		n.Reason = fmt.Sprintf("%d error(s), first: %s", len(rep.Errors), rep.Errors[0])
	}
	if !rep.Finished {
		n.Reason = strings.TrimSpace(n.Reason + " the sweep stopped at its time limit and goes on from its checkpoint in the next run")
	}
	return n
}
