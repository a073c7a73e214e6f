package gcinfra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/infra/gcinfra"
	"github.com/gcguard/gcguard/shared/config"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules"
)

// The app is synthesized once per test binary (jsii start-up and synthesis
// dominate the run time); every test reads the templates as JSON, so a
// failed check reports instead of aborting the binary as assertions would.
var (
	synth   *synthesis
	reg     *guardrail.Registry
	fileCfg *deployconfig.File
)

type synthesis struct {
	Dir       string
	Templates map[string]Template // by stack name
}

// Template is a CloudFormation template as JSON.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
	Metadata  map[string]any      `json:"Metadata"`
}

type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
	DependsOn  any            `json:"DependsOn"`
	Deletion   string         `json:"DeletionPolicy"`
}

// fixtureRegional is a test-only regional rule, so regional forwarding is
// exercised whatever rules have landed in the registry.
var fixtureRegional = guardrail.Definition{
	Spec: guardrail.Spec{
		Name: "zzfixture", Summary: "test-only regional rule", DefaultMode: config.Notify, Scope: guardrail.ScopeRegional,
		Triggers: []guardrail.Trigger{{Source: "aws.s3", EventNames: []string{"PutBucketEncryption", "DeleteBucketEncryption"}}},
		Permissions: []guardrail.Permission{
			{Actions: []string{"s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"}, Resources: []string{"arn:${Partition}:s3:::*"}},
			{Actions: []string{"kms:DescribeKey"}, Resources: []string{"arn:${Partition}:kms:${Region}:${Account}:key/*"}},
		},
	},
	New: func(guardrail.Deps) (guardrail.Rule, error) { return nil, nil },
}

// testConfig is the example file plus the optional features, so they are
// synthesized and checked too.
func testConfig(rules []string) (*deployconfig.File, error) {
	raw, err := os.ReadFile("../../config/example.json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	notices := m["notices"].(map[string]any)
	notices["slackSecretArn"] = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:gcguard/slack-AbCdEf"
	notices["chatbot"] = map[string]any{"slackWorkspaceId": "T0123ABCD", "slackChannelId": "C0123ABCD"}
	m["breakGlassRoleArn"] = "arn:aws:iam::123456789012:role/BreakGlass"
	m["s3KeyGrants"] = map[string]any{"accounts": []string{"210987654321"}, "servicePrincipals": []string{"logging.s3.amazonaws.com"}}
	if ex, ok := m["exemptions"].([]any); ok {
		var keep []any
		for _, e := range ex {
			if r := e.(map[string]any)["rule"].(string); contains(rules, r) {
				keep = append(keep, e)
			}
		}
		m["exemptions"] = keep
	}
	if modes, ok := m["modes"].(map[string]any); ok {
		for r := range modes {
			if !contains(rules, r) {
				delete(modes, r)
			}
		}
	}
	raw, _ = json.Marshal(m)
	return deployconfig.Parse(raw, rules)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// placeholderDist writes a tiny bootstrap per function; the checks look at
// templates, not binaries.
func placeholderDist(dir string, fns ...string) error {
	for _, fn := range fns {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	code, err := setup(m)
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "synthesis failed:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	os.Setenv("JSII_DEPRECATED", "quiet")
	tmp, err := os.MkdirTemp("", "gcguard-infra-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	if err := guardrail.Default.Err(); err != nil {
		return 1, err
	}
	reg = &guardrail.Registry{}
	for _, d := range guardrail.Default.All() {
		reg.Add(d)
	}
	reg.Add(fixtureRegional)
	if fileCfg, err = testConfig(reg.Names()); err != nil {
		return 1, err
	}
	dist := filepath.Join(tmp, "dist")
	fns := append(reg.Names(), gcinfra.FnNotify, gcinfra.FnSweep, gcinfra.FnSelfCheck)
	if err := placeholderDist(dist, fns...); err != nil {
		return 1, err
	}
	out := filepath.Join(tmp, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	if _, err := gcinfra.Build(app, gcinfra.Props{
		Config: fileCfg, Registry: reg, DistDir: dist, Present: map[string]bool{gcinfra.FnSweep: true, gcinfra.FnSelfCheck: true},
	}); err != nil {
		return 1, err
	}
	app.Synth(nil)
	synth = &synthesis{Dir: out, Templates: map[string]Template{}}
	files, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 1, err
		}
		var t Template
		if err := json.Unmarshal(raw, &t); err != nil {
			return 1, fmt.Errorf("%s: %w", f, err)
		}
		synth.Templates[strings.TrimSuffix(filepath.Base(f), ".template.json")] = t
	}
	return m.Run(), nil
}

// --- template helpers ---

func (t Template) ofType(typ string) map[string]Resource {
	out := map[string]Resource{}
	for id, r := range t.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func hub(t *testing.T) Template {
	t.Helper()
	tpl, ok := synth.Templates[gcinfra.HubStackName()]
	if !ok {
		t.Fatalf("no hub template among %v", keys(synth.Templates))
	}
	return tpl
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// list reads a string-or-list property.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// canon renders JSON canonically (sorted keys) for comparisons.
func canon(v any) string {
	b, _ := json.Marshal(v)
	var x any
	_ = json.Unmarshal(b, &x)
	b, _ = json.Marshal(x)
	return string(b)
}

// refID names the logical id a Ref/GetAtt points to, or "".
func refID(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if g, ok := m["Fn::GetAtt"].([]any); ok && len(g) > 0 {
		return str(g[0])
	}
	if j, ok := m["Fn::Join"].([]any); ok && len(j) == 2 {
		for _, part := range list(j[1]) {
			if id := refID(part); id != "" && !strings.HasPrefix(id, "AWS::") {
				return id
			}
		}
	}
	return ""
}

func rulesByName(tpl Template) map[string]Resource {
	out := map[string]Resource{}
	for _, r := range tpl.ofType("AWS::Events::Rule") {
		out[str(r.Properties["Name"])] = r
	}
	return out
}
