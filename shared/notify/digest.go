package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"
)

// GroupKey names "the same news": notices about one account from one rule
// with the same outcome, severity, violations and actor. The resource is
// left out on purpose: a storm is usually one actor (or one stack) doing the
// same thing to many resources.
func GroupKey(n *Notice) string {
	v := make([]string, len(n.Violations))
	for i, c := range n.Violations {
		v[i] = string(c)
	}
	slices.Sort(v)
	actor := n.Actor.ARN + "|" + n.Actor.Email + "|" + n.Actor.Name
	h := sha256.Sum256([]byte(strings.Join([]string{n.Account, n.Rule, string(n.Outcome), string(n.Severity), strings.Join(v, ","), actor}, "\x00")))
	return hex.EncodeToString(h[:8])
}

// identity names one notice, so a re-delivery of the same one is recognized.
func identity(n *Notice) string {
	switch {
	case n.AuditID != "":
		return "audit:" + n.AuditID + ":" + string(n.Outcome)
	case n.EventID != "":
		return "event:" + n.EventID + ":" + n.Rule + ":" + n.Resource + ":" + string(n.Outcome)
	}
	return ""
}

// Decision is what the window says to do with a notice.
type Decision string

const (
	Post      Decision = "post"      // post it in full now
	Grouped   Decision = "grouped"   // counted into the group's digest
	Duplicate Decision = "duplicate" // the same notice was already posted
)

// Window groups identical notices so a storm of events does not flood a
// channel. It lives in the notifier's memory (one per Lambda container):
//
//   - a critical notice is always posted at once: never grouped, never
//     deduplicated, never held back by the cap;
//   - the first notice of a group is posted in full and opens the group's
//     window; identical notices within Period are counted, not posted;
//   - at most MaxFull notices are posted in full per Period; beyond that
//     every non-critical notice is counted into its group;
//   - when a group's window has closed, its digest (count, resources,
//     audit ids) is due and the notifier posts it on its next run;
//   - the same notice delivered twice (same audit id and outcome) is posted
//     once.
//
// The state is per container and in memory: see docs/notices.md for what
// that means and why the notifier runs with reserved concurrency 1.
type Window struct {
	Period  time.Duration // default 5 minutes
	MaxFull int           // full posts per Period; default 20
	// MaxItems bounds the resources a digest lists; the count stays exact.
	MaxItems int // default 50

	mu     sync.Mutex
	groups map[string]*Group
	due    []*Group
	posted []time.Time
	seen   map[string]time.Time
}

// Group is the notices counted into one digest.
type Group struct {
	Key      string
	Sample   Notice // the first notice of the group
	Opened   time.Time
	Last     time.Time
	Count    int          // notices counted, not posted in full
	Items    []DigestItem // up to MaxItems of them
	Capped   bool         // some were counted because of the per-window cap
	Period   time.Duration
	Returned int // times the digest was put back after a failed post
}

// DigestItem is one counted notice.
type DigestItem struct {
	AuditID  string    `json:"audit_id,omitempty"`
	Resource string    `json:"resource"`
	Name     string    `json:"name,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Region   string    `json:"region,omitempty"`
	Time     time.Time `json:"time,omitzero"`
}

func (w *Window) period() time.Duration {
	if w.Period > 0 {
		return w.Period
	}
	return 5 * time.Minute
}

func (w *Window) maxFull() int {
	if w.MaxFull > 0 {
		return w.MaxFull
	}
	return 20
}

func (w *Window) maxItems() int {
	if w.MaxItems > 0 {
		return w.MaxItems
	}
	return 50
}

func (w *Window) init() {
	if w.groups == nil {
		w.groups = map[string]*Group{}
		w.seen = map[string]time.Time{}
	}
}

// expire moves closed groups with counted notices to the due list and
// forgets what is older than the window.
func (w *Window) expire(now time.Time) {
	w.init()
	p := w.period()
	for k, g := range w.groups {
		if !now.Before(g.Opened.Add(p)) {
			delete(w.groups, k)
			if g.Count > 0 {
				w.due = append(w.due, g)
			}
		}
	}
	i := 0
	for i < len(w.posted) && !now.Before(w.posted[i].Add(p)) {
		i++
	}
	w.posted = w.posted[i:]
	for id, t := range w.seen {
		if !now.Before(t.Add(2 * p)) {
			delete(w.seen, id)
		}
	}
}

// Admit decides what to do with n. A notice to Post is not yet recorded:
// call Posted once it was delivered, so a failed post is retried in full.
func (w *Window) Admit(n *Notice, now time.Time) Decision {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire(now)
	if n.Severity == Critical {
		return Post
	}
	if id := identity(n); id != "" {
		if _, ok := w.seen[id]; ok {
			return Duplicate
		}
	}
	key := GroupKey(n)
	if g, ok := w.groups[key]; ok {
		w.count(g, n, now)
		return Grouped
	}
	if len(w.posted) >= w.maxFull() {
		g := &Group{Key: key, Sample: *n, Opened: now, Period: w.period(), Capped: true}
		w.groups[key] = g
		w.count(g, n, now)
		return Grouped
	}
	return Post
}

func (w *Window) count(g *Group, n *Notice, now time.Time) {
	g.Count++
	g.Last = now
	if len(w.posted) >= w.maxFull() {
		g.Capped = true
	}
	if id := identity(n); id != "" {
		w.seen[id] = now
	}
	if len(g.Items) < w.maxItems() {
		g.Items = append(g.Items, DigestItem{AuditID: n.AuditID, Resource: n.Resource, Name: n.Name, Kind: n.Kind, Region: n.Region, Time: n.EventTime})
	}
}

// Posted records that n was posted in full: it opens n's group window
// (unless n is critical) and counts against the per-window cap.
func (w *Window) Posted(n *Notice, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire(now)
	w.posted = append(w.posted, now)
	if id := identity(n); id != "" {
		w.seen[id] = now
	}
	if n.Severity == Critical {
		return
	}
	key := GroupKey(n)
	if _, ok := w.groups[key]; !ok {
		w.groups[key] = &Group{Key: key, Sample: *n, Opened: now, Last: now, Period: w.period()}
	}
}

// Due returns the digests whose window has closed, oldest first, and
// forgets them: put them back with Requeue when posting them fails.
func (w *Window) Due(now time.Time) []*Group {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire(now)
	due := w.due
	w.due = nil
	slices.SortFunc(due, func(a, b *Group) int { return a.Opened.Compare(b.Opened) })
	return due
}

// Requeue puts digests back after a failed post, so their counts are not lost.
func (w *Window) Requeue(gs []*Group) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	for _, g := range gs {
		g.Returned++
	}
	w.due = append(gs, w.due...)
}

// Pending is the number of notices counted and not yet posted in a digest.
func (w *Window) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, g := range w.groups {
		n += g.Count
	}
	for _, g := range w.due {
		n += g.Count
	}
	return n
}
