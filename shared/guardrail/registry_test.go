package guardrail_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/cloudtrail"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// stubRule is a rule that judges from the event alone; Observe, Plan and
// Apply are never reached by the tests that use it.
type stubRule struct {
	spec     guardrail.Spec
	target   guardrail.Target
	matchErr error
}

func (r *stubRule) Spec() guardrail.Spec { return r.spec }
func (r *stubRule) Match(*cloudtrail.Event) (guardrail.Target, error) {
	return r.target, r.matchErr
}
func (r *stubRule) Observe(context.Context, guardrail.Target) (guardrail.State, error) {
	return nil, errors.New("stub: no live state")
}
func (r *stubRule) Plan(guardrail.PlanInput) (guardrail.Plan, error) { return guardrail.Plan{}, nil }
func (r *stubRule) Apply(context.Context, guardrail.Target, *guardrail.Plan) error {
	return errors.New("stub: never applies")
}

var _ guardrail.Rule = (*stubRule)(nil)

func stubDef(spec guardrail.Spec) guardrail.Definition {
	return guardrail.Definition{Spec: spec, New: func(guardrail.Deps) (guardrail.Rule, error) { return &stubRule{spec: spec}, nil }}
}

func specNamed(name string) guardrail.Spec {
	s := validSpec()
	s.Name = name
	return s
}

func TestRegistry(t *testing.T) {
	r := &guardrail.Registry{}
	if err := r.Err(); err != nil || len(r.Names()) != 0 || len(r.All()) != 0 {
		t.Fatalf("empty registry: %v %v", err, r.Names())
	}
	if _, ok := r.Get("nope"); ok {
		t.Errorf("Get on an empty registry found something")
	}
	r.Add(stubDef(specNamed("zeta")))
	r.Add(stubDef(specNamed("alpha")))
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if got := r.Names(); !reflect.DeepEqual(got, []string{"alpha", "zeta"}) {
		t.Errorf("Names() = %v, want sorted", got)
	}
	all := r.All()
	if len(all) != 2 || all[0].Spec.Name != "alpha" || all[1].Spec.Name != "zeta" {
		t.Errorf("All() = %v", all)
	}
	if d, ok := r.Get("zeta"); !ok || d.Spec.Name != "zeta" || d.New == nil {
		t.Errorf("Get(zeta) = %v, %v", d, ok)
	}
}

func TestRegistryRefuses(t *testing.T) {
	noPerms := specNamed("noperms")
	noPerms.Permissions = nil
	wild := specNamed("wild")
	wild.Permissions = []guardrail.Permission{{Actions: []string{"iam:*"}, Resources: []string{"*"}}}
	for _, tc := range []struct {
		name string
		defs []guardrail.Definition
		says []string
		kept []string
	}{
		{"duplicate name", []guardrail.Definition{stubDef(specNamed("dup")), stubDef(specNamed("dup"))},
			[]string{"rule dup registered twice"}, []string{"dup"}},
		{"no permissions", []guardrail.Definition{stubDef(noPerms)}, []string{"rule noperms", "declares no permissions"}, nil},
		{"wildcard action", []guardrail.Definition{stubDef(wild)}, []string{`action "iam:*" is a wildcard`}, nil},
		{"no constructor", []guardrail.Definition{{Spec: specNamed("nonew")}}, []string{"rule nonew: no constructor"}, nil},
		{"every problem kept", []guardrail.Definition{stubDef(specNamed("a")), stubDef(specNamed("a")), stubDef(noPerms), {Spec: specNamed("b")}},
			[]string{"registered twice", "declares no permissions", "no constructor"}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &guardrail.Registry{}
			for _, d := range tc.defs {
				r.Add(d)
			}
			err := r.Err()
			if err == nil {
				t.Fatalf("Err() = nil")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Err() = %q, want it to contain %q", err, s)
				}
			}
			if got := r.Names(); !reflect.DeepEqual(got, tc.kept) && !(len(got) == 0 && len(tc.kept) == 0) {
				t.Errorf("Names() = %v, want %v", got, tc.kept)
			}
		})
	}
}

// The first registration of a name wins; a later one with other triggers
// must not replace it.
func TestRegistryKeepsFirst(t *testing.T) {
	r := &guardrail.Registry{}
	first := specNamed("keys")
	second := specNamed("keys")
	second.Triggers = []guardrail.Trigger{{Source: "aws.s3", EventNames: []string{"CreateBucket"}}}
	r.Add(stubDef(first))
	r.Add(stubDef(second))
	d, _ := r.Get("keys")
	if !reflect.DeepEqual(d.Spec.Triggers, first.Triggers) {
		t.Errorf("the second registration replaced the first: %v", d.Spec.Triggers)
	}
}

// Default holds only rules that registered themselves; this package's
// tests register none, so it must be clean and every entry valid.
func TestDefaultRegistryValid(t *testing.T) {
	if err := guardrail.Default.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range guardrail.Default.All() {
		if err := d.Spec.Validate(); err != nil {
			t.Error(err)
		}
	}
}
