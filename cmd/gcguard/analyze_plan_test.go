package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// analyze trust --plan adds the plan object; without it the output keeps
// today's fields only.
func TestAnalyzeTrustPlan(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	public := write("public.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)
	clean := write("clean.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`)
	unsure := write("unsure.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/idp.example.jp"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	type planOut struct {
		Action  string          `json:"action"`
		Reason  string          `json:"reason"`
		After   json.RawMessage `json:"after"`
		Preview struct {
			Loses, Keeps, Gains []string
		} `json:"preview"`
	}
	for _, tc := range []struct {
		file, action string
		after        bool
	}{
		{public, "rewrite", true},
		{clean, "none", false},
		{unsure, "report", false},
	} {
		code, stdout, stderr := cli(t, "analyze", "trust", "--account", "123456789012", "--plan", tc.file)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.file, code, stderr)
		}
		var out struct {
			Public *bool    `json:"public"`
			Plan   *planOut `json:"plan"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Plan == nil || out.Public == nil {
			t.Fatalf("%s: output %s (%v)", tc.file, stdout, err)
		}
		p := out.Plan
		if p.Action != tc.action || (string(p.After) != "null") != tc.after || p.Preview.Gains == nil || len(p.Preview.Gains) != 0 {
			t.Errorf("%s: plan %+v after %s", tc.file, p, p.After)
		}
		if tc.action == "report" && p.Reason == "" {
			t.Errorf("%s: report without a reason", tc.file)
		}
	}
	_, stdout, _ := cli(t, "analyze", "trust", "--account", "123456789012", public)
	var plain map[string]any
	if err := json.Unmarshal([]byte(stdout), &plain); err != nil || plain["plan"] != nil || plain["public"] != true {
		t.Errorf("without --plan: %s", stdout)
	}
}
