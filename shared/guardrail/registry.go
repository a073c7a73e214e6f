package guardrail

import (
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Definition is a rule as the registry holds it: metadata anyone may read,
// and a constructor only functions call (the CDK app never builds clients).
type Definition struct {
	Spec Spec
	New  func(d Deps) (Rule, error)
}

// Registry holds rule definitions by name.
type Registry struct {
	mu   sync.Mutex
	defs map[string]Definition
	errs []error
}

// Default is the registry rules add themselves to from init.
var Default = &Registry{}

// Register adds a definition to the Default registry.
func Register(d Definition) { Default.Add(d) }

// Add adds a definition. A duplicate or invalid one is remembered and
// reported by Err, so a bad registry fails at start-up rather than at the
// first event.
func (r *Registry) Add(d Definition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.defs == nil {
		r.defs = map[string]Definition{}
	}
	if err := d.Spec.Validate(); err != nil {
		r.errs = append(r.errs, err)
		return
	}
	if d.New == nil {
		r.errs = append(r.errs, fmt.Errorf("rule %s: no constructor", d.Spec.Name))
		return
	}
	if _, dup := r.defs[d.Spec.Name]; dup {
		r.errs = append(r.errs, fmt.Errorf("rule %s registered twice", d.Spec.Name))
		return
	}
	r.defs[d.Spec.Name] = d
}

// Err reports every registration problem.
func (r *Registry) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

// Get returns the named definition.
func (r *Registry) Get(name string) (Definition, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.defs[name]
	return d, ok
}

// Names lists rule names, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.defs))
	for n := range r.defs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every definition, sorted by name.
func (r *Registry) All() []Definition {
	names := r.Names()
	out := make([]Definition, len(names))
	for i, n := range names {
		out[i], _ = r.Get(n)
	}
	return out
}

// NamesInScope lists the rules whose events first appear in scope, sorted.
func (r *Registry) NamesInScope(scope Scope) []string {
	var out []string
	for _, d := range r.All() {
		if d.Spec.Scope == scope {
			out = append(out, d.Spec.Name)
		}
	}
	return out
}
