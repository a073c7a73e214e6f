package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// config check: exit 0 with the effective configuration, 1 naming each bad
// field once, 2 for usage.
func TestConfigCheck(t *testing.T) {
	code, out, errs := runCLI(t, "config", "check", "../../config/example.json")
	if code != exitOK {
		t.Fatalf("example: exit %d: %s", code, errs)
	}
	var eff map[string]any
	if err := json.Unmarshal([]byte(out), &eff); err != nil {
		t.Fatalf("effective configuration is not JSON: %v\n%s", err, out)
	}
	for k, want := range map[string]any{
		"allowedPrincipals": []any{"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*"},
		"partition":         "aws", "holdMaxHours": float64(24), "s3Keys": "any-customer-managed", "logRetentionDays": float64(365),
	} {
		if got, _ := json.Marshal(eff[k]); string(got) != mustJSONString(want) {
			t.Errorf("effective %s = %s, want %s", k, got, mustJSONString(want))
		}
	}

	var m map[string]any
	raw, _ := os.ReadFile("../../config/example.json")
	_ = json.Unmarshal(raw, &m)
	m["allowedPrincipals"] = []any{"arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/*", "arn:aws:iam::999988887777:role/admin"}
	m["trustedAccounts"] = []any{"123456789012"}
	m["kmsKeys"] = map[string]any{"ap-northeast-3": map[string]any{"keyArn": "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}
	m["deployedAt"] = "soon"
	bad := filepath.Join(t.TempDir(), "bad.json")
	b, _ := json.Marshal(m)
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "config", "check", bad)
	if code != exitFailed || out != "" {
		t.Fatalf("invalid: exit %d, stdout %q", code, out)
	}
	named := func(field string) int {
		return strings.Count(errs, "field "+field+"=") + strings.Count(errs, "field "+field+":")
	}
	for _, field := range []string{"allowedPrincipals[0]", "allowedPrincipals[1]", "trustedAccounts[0]", "kmsKeys.ap-northeast-3.keyArn", "deployedAt"} {
		if n := named(field); n != 1 {
			t.Errorf("%s named %d times, want once:\n%s", field, n, errs)
		}
	}
	// The runtime re-check does not name the same fields again as a whole.
	for _, field := range []string{"allowedPrincipals", "trustedAccounts", "kmsKeys"} {
		if n := named(field); n != 0 {
			t.Errorf("%s named again as a whole:\n%s", field, errs)
		}
	}
	if lines := strings.Count(strings.TrimSpace(errs), "\n"); lines != 5 {
		t.Errorf("want a header and 5 errors, got %d lines:\n%s", lines+1, errs)
	}
	for _, args := range [][]string{{"config"}, {"config", "check"}, {"config", "check", "a.json", "b.json"}, {"config", "check", "no-such-file.json"}, {"config", "lint", "x"}} {
		if code, _, _ := runCLI(t, args...); code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
		}
	}
}

func mustJSONString(v any) string { b, _ := json.Marshal(v); return string(b) }

// Every command and subcommand answers -h with its usage and exit 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		paths := [][]string{{c.name}}
		for _, sub := range subcommands[c.name] {
			if c.name != "completion" {
				paths = append(paths, []string{c.name, sub})
			}
		}
		for _, p := range paths {
			for _, h := range []string{"-h", "--help"} {
				code, _, errs := runCLI(t, append(p, h)...)
				if code != exitOK || !strings.Contains(strings.ToLower(errs), "usage") {
					t.Errorf("gcguard %s %s: exit %d, stderr %q", strings.Join(p, " "), h, code, errs)
				}
			}
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "gcguard ") || !strings.Contains(out, "\ncommit  ") {
		t.Fatalf("exit %d: %q", code, out)
	}
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	code, out, _ = runCLI(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "gcguard v1.2.3\ncommit  0123456789abcdef0123456789abcdef01234567\n") {
		t.Fatalf("with ldflags: exit %d: %q", code, out)
	}
}

// explain takes a record as the CloudTrail console shows it, a log file's
// Records and lookup-events output, and judges them as the envelope.
func TestExplainRawRecord(t *testing.T) {
	dir := t.TempDir()
	for _, fixture := range []string{"events/iam/create-role-public.json", "events/iam/create-access-key.json", "events/s3/put-bucket-policy-public.json"} {
		raw, err := os.ReadFile("../../" + fixture)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		code, want, errs := runCLI(t, "explain", "../../"+fixture)
		if code != exitOK {
			t.Fatalf("%s envelope: exit %d %s", fixture, code, errs)
		}
		lookup, _ := json.Marshal(map[string]any{"Events": []any{map[string]any{"CloudTrailEvent": string(env.Detail)}}})
		for name, body := range map[string][]byte{
			"record": env.Detail, "records": []byte(`{"Records":[` + string(env.Detail) + `]}`), "lookup-events": lookup,
		} {
			path := filepath.Join(dir, name+".json")
			if err := os.WriteFile(path, body, 0o600); err != nil {
				t.Fatal(err)
			}
			code, got, errs := runCLI(t, "explain", path)
			if code != exitOK || got != want {
				t.Errorf("%s as %s: exit %d %s\n%s\nwant\n%s", fixture, name, code, errs, got, want)
			}
		}
	}
	if code, _, errs := runCLI(t, "explain", "--account", "1234", "../../events/iam/create-role.json"); code != exitBadInput || !strings.Contains(errs, "12-digit") {
		t.Errorf("short --account: exit %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, "explain", "--trusted-account", "abc", "../../events/iam/create-role.json"); code != exitBadInput {
		t.Errorf("bad --trusted-account: exit %d", code)
	}
	if code, _, _ := runCLI(t, "analyze", "trust", "--account", "99", "../../events/iam/create-role.json"); code != exitBadInput {
		t.Errorf("analyze bad --account: exit %d", code)
	}
}

// The bash script registers the completion and completes commands,
// subcommands and each command's own flags.
func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	code, script, errs := runCLI(t, "completion", "bash")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	path := filepath.Join(t.TempDir(), "gcguard.bash")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		cmd := exec.Command("bash", "--norc", "--noprofile", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _gcguard; echo "${COMPREPLY[*]}"`, "bash", path)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	out, err := exec.Command("bash", "--norc", "--noprofile", "-c", `source "$1" && complete -p gcguard`, "bash", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "complete -o filenames -F _gcguard gcguard" {
		t.Fatalf("complete -p gcguard: %v %q", err, out)
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"gcguard", "hist"}, "history"},
		{[]string{"gcguard", "c"}, "config completion"},
		{[]string{"gcguard", "analyze", ""}, "trust bucket"},
		{[]string{"gcguard", "history", "--outc"}, "--outcome"},
		{[]string{"gcguard", "history", "--rule", "x", "--res"}, "--resource"},
		{[]string{"gcguard", "analyze", "trust", "--allow"}, "--allowed-principal"},
		{[]string{"gcguard", "explain", "--conf"}, "--config"},
		{[]string{"gcguard", "completion", "z"}, "zsh"},
	} {
		if got := complete(c.words...); got != c.want {
			t.Errorf("%v: %q, want %q", c.words, got, c.want)
		}
	}
}

func TestCompletionZsh(t *testing.T) {
	code, script, _ := runCLI(t, "completion", "zsh")
	if code != exitOK || !strings.HasPrefix(script, "#compdef gcguard\n") || !strings.Contains(script, "--outcome") {
		t.Fatalf("exit %d: %s", code, script)
	}
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("no zsh on this machine: only the script's content is checked")
	}
	path := filepath.Join(t.TempDir(), "_gcguard")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zsh", "-f", "-c", `autoload -Uz compinit && compinit -u -D && source "$1" && print ${_comps[gcguard]}`, "zsh", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_gcguard" {
		t.Fatalf("zsh registration: %v %q", err, out)
	}
}

func TestPseudoVersionCommit(t *testing.T) {
	for ver, want := range map[string]string{
		"v0.0.0-20261124090000-0123456789ab":   "0123456789ab",
		"v1.2.4-0.20261124090000-0123456789ab": "0123456789ab",
		"v1.2.3":                               "not recorded (the tag v1.2.3 names it)",
		"dev":                                  "unknown",
		"v1.2.3-rc1":                           "not recorded (the tag v1.2.3-rc1 names it)",
	} {
		if got := pseudoVersionCommit(ver); got != want {
			t.Errorf("%s: %q, want %q", ver, got, want)
		}
	}
}
