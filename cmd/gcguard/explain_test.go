package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/guardrail"
)

const cliEvents = "../../events"

// explainRoute is DESIGN §2's trigger table; calls not listed route to "none".
var explainRoute = map[string]string{
	"aws.iam CreateAccessKey": "accesskey", "aws.iam UpdateAccessKey": "accesskey",
	"aws.iam CreateUser": "iamuser", "aws.iam CreateLoginProfile": "iamuser",
	"aws.iam CreateRole": "roletrust", "aws.iam UpdateAssumeRolePolicy": "roletrust",
	"aws.s3 CreateBucket": "bucket", "aws.s3 PutBucketEncryption": "bucket", "aws.s3 DeleteBucketEncryption": "bucket",
	"aws.s3 PutBucketPolicy": "bucket", "aws.s3 DeleteBucketPolicy": "bucket",
	"aws.s3 PutBucketPublicAccessBlock": "bucket", "aws.s3 DeleteBucketPublicAccessBlock": "bucket",
	"aws.s3 PutBucketAcl": "bucket", "aws.s3 PutBucketOwnershipControls": "bucket", "aws.s3 DeleteBucketOwnershipControls": "bucket",
	"aws.s3 PutAccountPublicAccessBlock": "accountpab", "aws.s3 DeleteAccountPublicAccessBlock": "accountpab",
}

// cli runs gcguard in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func eventFixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(cliEvents, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			out = append(out, p)
		}
		return err
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("fixtures: %v (%d)", err, len(out))
	}
	return out
}

// verdictOf checks the output is exactly the explain schema, keys in order,
// and returns it.
func verdictOf(t *testing.T, stdout string) guardrail.Verdict {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var keys []string
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, stdout)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("output does not start with an object: %s", stdout)
	}
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"rule", "act", "violations", "target", "reason"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var target map[string]any
	if err := json.Unmarshal(raw["target"], &target); err != nil {
		t.Fatalf("target is not an object: %s", raw["target"])
	}
	for k, v := range target {
		s, ok := v.(string)
		if !slices.Contains([]string{"user", "access_key_id", "role", "bucket"}, k) || !ok || s == "" {
			t.Errorf("target key %q = %v: want only non-empty user, access_key_id, role, bucket", k, v)
		}
	}
	if string(raw["violations"]) == "null" {
		t.Errorf("violations is null, want a list")
	}
	var v guardrail.Verdict
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Violations {
		if !c.Valid() {
			t.Errorf("unknown violation code %q", c)
		}
	}
	if v.Reason == "" {
		t.Errorf("empty reason")
	}
	return v
}

// checkRoute: the rule is DESIGN's always; a rule not in this build acts
// on nothing and says so.
func checkRoute(t *testing.T, v guardrail.Verdict, want string) {
	t.Helper()
	if v.Rule != want {
		t.Errorf("rule %q, want %q", v.Rule, want)
	}
	if _, registered := guardrail.Default.Get(want); want != "none" && !registered {
		if v.Act || !strings.Contains(v.Reason, "not part of this build yet") || len(v.Violations) != 0 {
			t.Errorf("unregistered rule %s: act %v reason %q violations %v", want, v.Act, v.Reason, v.Violations)
		}
	}
	if want == "none" && (v.Act || len(v.Violations) != 0) {
		t.Errorf("no rule, yet act %v violations %v", v.Act, v.Violations)
	}
}

func TestExplainEveryFixture(t *testing.T) {
	for _, path := range eventFixtures(t) {
		rel, _ := filepath.Rel(cliEvents, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			code, stdout, stderr := cli(t, "explain", path)
			raw, _ := os.ReadFile(path)
			var env struct {
				ID     string `json:"id"`
				Source string `json:"source"`
				Detail struct {
					EventName string `json:"eventName"`
				} `json:"detail"`
			}
			jsonErr := json.Unmarshal(raw, &env)
			switch {
			case strings.HasPrefix(rel, "malformed/"), strings.HasPrefix(rel, "scheduled/"):
				// Not a CloudTrail call: unreadable input for explain.
				if code != exitBadInput || stdout != "" {
					t.Fatalf("exit %d, stdout %q; want exit 2 and no output", code, stdout)
				}
				if !strings.Contains(stderr, "gcguard explain: malformed event") {
					t.Errorf("stderr %q does not say the event is malformed", stderr)
				}
				if jsonErr == nil && env.ID != "" && !strings.Contains(stderr, env.ID) {
					t.Errorf("stderr %q does not name event %s", stderr, env.ID)
				}
				return
			}
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want, ok := explainRoute[env.Source+" "+env.Detail.EventName]
			if !ok {
				want = "none"
			}
			checkRoute(t, verdictOf(t, stdout), want)
		})
	}
}

// Quiet ends are judged without acting.
func TestExplainQuietEnds(t *testing.T) {
	for _, tc := range []struct{ fixture, reason string }{
		{"iam/create-access-key-failed.json", "the call failed (LimitExceededException)"},
		{"iam/list-access-keys-readonly.json", "no gcguard rule is triggered by aws.iam ListAccessKeys"},
		{"s3/get-bucket-policy-readonly.json", "no gcguard rule is triggered by aws.s3 GetBucketPolicy"},
		{"iam/tag-role-canary.json", "no gcguard rule is triggered by aws.iam TagRole"},
	} {
		code, stdout, stderr := cli(t, "explain", filepath.Join(cliEvents, tc.fixture))
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tc.fixture, code, stderr)
		}
		if v := verdictOf(t, stdout); v.Act || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("%s: act %v reason %q, want act false and %q", tc.fixture, v.Act, v.Reason, tc.reason)
		}
	}
}

func TestExplainRemediatorRole(t *testing.T) {
	const own = "arn:aws:iam::123456789012:role/gcguard-accesskey"
	selfCaused := filepath.Join(cliEvents, "iam/create-access-key-self-caused.json")
	sessionNamed := filepath.Join(cliEvents, "iam/create-access-key-session-named-gcguard.json")

	_, stdout, _ := cli(t, "explain", "--remediator-role-arn", own, selfCaused)
	if v := verdictOf(t, stdout); v.Rule != "accesskey" || v.Act || !strings.Contains(v.Reason, "caused by gcguard itself") {
		t.Errorf("own role's call: %+v, want act false, caused by gcguard", v)
	}
	// Flags may follow the file, and repeat.
	_, stdout, _ = cli(t, "explain", selfCaused, "--remediator-role-arn", "arn:aws:iam::123456789012:role/gcguard-bucket", "--remediator-role-arn", own)
	if v := verdictOf(t, stdout); v.Act {
		t.Errorf("flag after the file or repeated was ignored: %+v", v)
	}
	// Without the flag, or for a session merely named like gcguard, the call is judged.
	_, stdout, _ = cli(t, "explain", selfCaused)
	if v := verdictOf(t, stdout); !v.Act {
		t.Errorf("without --remediator-role-arn: %+v", v)
	}
	_, stdout, _ = cli(t, "explain", "--remediator-role-arn", own, sessionNamed)
	if v := verdictOf(t, stdout); !v.Act || strings.Contains(v.Reason, "caused by gcguard") {
		t.Errorf("session named gcguard-accesskey of another role was skipped: %+v", v)
	}
}

// --account defaults to the event's account: giving it explicitly changes
// nothing; another account changes how principals are judged.
func TestExplainAccountDefault(t *testing.T) {
	for _, path := range eventFixtures(t) {
		if strings.Contains(path, "malformed") || strings.Contains(path, "scheduled") {
			continue
		}
		_, implicit, _ := cli(t, "explain", path)
		_, explicit, _ := cli(t, "explain", "--account", "123456789012", path)
		if implicit != explicit {
			t.Errorf("%s: --account of the event's own account changed the verdict:\n%s\n%s", path, implicit, explicit)
		}
	}
	if _, ok := guardrail.Default.Get("roletrust"); !ok {
		return // only the trust analysis depends on the account
	}
	createRole := filepath.Join(cliEvents, "iam/create-role.json")
	_, own, _ := cli(t, "explain", createRole)
	_, other, _ := cli(t, "explain", "--account", "210987654321", createRole)
	if own == other {
		t.Errorf("--account 210987654321 did not change the verdict on a trust policy naming 123456789012:\n%s", own)
	}
	_, trusted, _ := cli(t, "explain", "--account", "210987654321", "--trusted-account", "123456789012", createRole)
	if trusted == other {
		t.Errorf("--trusted-account did not change the verdict:\n%s", trusted)
	}
}

func TestExplainStdin(t *testing.T) {
	f, err := os.Open(filepath.Join(cliEvents, "iam/create-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	code, stdout, stderr := cli(t, "explain", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkRoute(t, verdictOf(t, stdout), "iamuser")
}

func TestExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "event.json")
	if err := os.WriteFile(notJSON, []byte("CreateAccessKey by alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "record.json")
	if err := os.WriteFile(bare, []byte(`{"eventName":"CreateAccessKey"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"missing file", []string{"explain", filepath.Join(dir, "nope.json")}, "read "},
		{"a directory", []string{"explain", dir}, "read "},
		{"not JSON", []string{"explain", notJSON}, "malformed event"},
		{"a bare record without its eventSource", []string{"explain", bare}, "detail.eventSource is missing"},
		{"no file", []string{"explain"}, "want exactly one event file"},
		{"two files", []string{"explain", notJSON, bare}, "want exactly one event file"},
		{"unknown flag", []string{"explain", "--acount", "1", notJSON}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code != exitBadInput || stdout != "" || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d stdout %q stderr %q; want exit 2 and %q", code, stdout, stderr, tc.says)
			}
		})
	}
	if code, _, stderr := cli(t, "explain", "-h"); code != exitOK || !strings.Contains(stderr, "usage: gcguard explain") {
		t.Errorf("explain -h: exit %d, %q", code, stderr)
	}
}

// Every trigger of DESIGN §2 is routed, whether or not its rule is built.
func TestExplainRoutesEveryTrigger(t *testing.T) {
	dir := t.TempDir()
	for key, want := range explainRoute {
		source, name, _ := strings.Cut(key, " ")
		t.Run(name, func(t *testing.T) {
			svc := strings.TrimPrefix(source, "aws.")
			ev := fmt.Sprintf(`{"version":"0","id":"route-%s","detail-type":"AWS API Call via CloudTrail","source":%q,
				"account":"123456789012","time":"2026-11-24T01:02:03Z","region":"us-east-1","detail":{
				"eventVersion":"1.11","eventID":"r-%s","eventTime":"2026-11-24T01:02:03Z","eventSource":"%s.amazonaws.com",
				"eventName":%q,"awsRegion":"us-east-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012",
				"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/ops/alice","accountId":"123456789012",
				  "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/ops"}}},
				"requestParameters":{"userName":"alice","roleName":"app","bucketName":"city-records-prod","status":"Active","accessKeyId":"AKIAEXAMPLEKEY000009",
				  "Host":"city-records-prod.s3.amazonaws.com"},
				"responseElements":{"accessKey":{"userName":"alice","accessKeyId":"AKIAEXAMPLEKEY000009","status":"Active"}}}}`,
				name, source, name, svc, name)
			path := filepath.Join(dir, name+".json")
			if err := os.WriteFile(path, []byte(ev), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := cli(t, "explain", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			checkRoute(t, verdictOf(t, stdout), want)
		})
	}
}

func TestAnalyzeTrustExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	accountWide := write("account-wide.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)
	encoded := write("encoded.txt", `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D`)
	garbage := write("garbage.json", `not a policy`)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"JSON policy", []string{"analyze", "trust", "--account", "123456789012", accountWide}, exitOK},
		{"flags after the file", []string{"analyze", "trust", accountWide, "--account", "123456789012", "--trusted-account", "210987654321"}, exitOK},
		{"URL-encoded policy", []string{"analyze", "trust", "--account", "123456789012", encoded}, exitOK},
		{"no account", []string{"analyze", "trust", accountWide}, exitBadInput},
		{"no file", []string{"analyze", "trust", "--account", "123456789012"}, exitBadInput},
		{"missing file", []string{"analyze", "trust", "--account", "123456789012", filepath.Join(dir, "nope.json")}, exitBadInput},
		{"not a policy", []string{"analyze", "trust", "--account", "123456789012", garbage}, exitBadInput},
		{"no analysis named", []string{"analyze"}, exitBadInput},
		{"unknown analysis", []string{"analyze", "user", accountWide}, exitBadInput},
		{"help", []string{"analyze", "trust", "-h"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if tc.code == exitOK && !slices.Contains(tc.args, "-h") && !json.Valid([]byte(stdout)) {
				t.Errorf("stdout is not JSON: %q", stdout)
			}
			if tc.code != exitOK && stdout != "" {
				t.Errorf("output on failure: %q", stdout)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, exitBadInput},
		{[]string{"help"}, exitOK},
		{[]string{"--help"}, exitOK},
		{[]string{"frobnicate"}, exitBadInput},
	} {
		code, stdout, stderr := cli(t, tc.args...)
		if code != tc.code || stdout != "" || !strings.Contains(stderr, "usage: gcguard COMMAND") {
			t.Errorf("%v: exit %d stdout %q stderr %q", tc.args, code, stdout, stderr)
		}
	}
}
