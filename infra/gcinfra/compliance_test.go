package gcinfra_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Suppressions allowed, by rule id and construct path. Each is also
// explained in docs/deploy.md; the test prints them with their reasons.
var allowedSuppressions = []struct{ rule, path string }{
	{"AwsSolutions-IAM5", `^gcguard-hub/Fn-[a-z0-9]+/Role/Resource$`},
	{"AwsSolutions-SQS3", `^gcguard-hub/State/Failures/Resource$`},
	{"AwsSolutions-IAM5", `^gcguard-hub/RevertRole/Resource$`},
	{"AwsSolutions-SQS3", `^gcguard-forwarder-[a-z0-9-]+/DeadLetters/Resource$`},
	{"AwsSolutions-S1", `^gcguard-forwarder-[a-z0-9-]+/Canary/Bucket/Resource$`},
}

func TestCdkNagAwsSolutions(t *testing.T) {
	reports, _ := filepath.Glob(filepath.Join(synth.Dir, "AwsSolutions-*-NagReport.csv"))
	if len(reports) != len(synth.Templates) {
		t.Fatalf("%d nag reports for %d stacks", len(reports), len(synth.Templates))
	}
	var listed []string
	for _, f := range reports {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			rule, path, status, reason := row[0], row[1], row[2], row[3]
			switch status {
			case "Non-Compliant":
				t.Errorf("cdk-nag %s on %s: %s", rule, path, row[5])
			case "Suppressed":
				ok := false
				for _, a := range allowedSuppressions {
					if a.rule == rule && regexp.MustCompile(a.path).MatchString(path) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("suppression %s on %s is not in the reviewed list", rule, path)
				}
				listed = append(listed, rule+" "+path+": "+reason)
			}
		}
	}
	sort.Strings(listed)
	for _, l := range listed {
		t.Log(l)
	}
	// Only resource-level suppressions: no stack carries any.
	for name, tpl := range synth.Templates {
		if _, ok := tpl.Metadata["cdk_nag"]; ok {
			t.Errorf("stack %s has stack-level cdk-nag suppressions", name)
		}
	}
}

// repoRoot is two levels up from infra/gcinfra.
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func templates(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join(synth.Dir, "*.template.json"))
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	return files
}

// cfnLintAccepted are findings cfn-lint reports that are deliberate:
// W3005 is a redundant DependsOn next to a GetAtt, which CDK's L2 Lambda and
// its cross-region reference providers add; the template is still correct.
var cfnLintAccepted = map[string]string{
	"W3005": "CDK adds an explicit DependsOn on a function's role besides the GetAtt; redundant, harmless",
}

func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		bin = "/root/.pyenv/shims/cfn-lint"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("cfn-lint not found: pip install cfn-lint")
		}
	}
	out, _ := exec.Command(bin, append([]string{"--format", "json"}, templates(t)...)...).Output()
	var findings []struct {
		Rule     struct{ Id string }
		Message  string
		Filename string
	}
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("cfn-lint output: %v\n%s", err, out)
	}
	for _, f := range findings {
		if why, ok := cfnLintAccepted[f.Rule.Id]; ok {
			t.Logf("accepted %s (%s): %s", f.Rule.Id, why, f.Message)
			continue
		}
		t.Errorf("cfn-lint %s %s: %s", f.Rule.Id, filepath.Base(f.Filename), f.Message)
	}
}

// cfnGuardJustified are the Control Tower rules gcguard's templates fail on
// purpose; docs/deploy.md explains each.
var cfnGuardJustified = map[string]string{
	"ct-lambda-pr-3.guard/lambda_inside_vpc_check":           "functions call only AWS APIs; a VPC adds endpoints or NAT and nothing to protect",
	"ct-sqs-pr-1.guard/sqs_dlq_check":                        "the on-failure queue is itself the dead-letter queue",
	"ct-cloudwatch-pr-1.guard/cloudwatch_alarm_action_check": "forwarder-region alarms cannot publish to the hub topic; their state changes are forwarded to the hub",
	"ct-s3-pr-2.guard/s3_bucket_logging_enabled_check":       "the delivery canary's bucket holds no objects; CloudTrail records its tagging",
	"ct-s3-pr-4.guard/s3_event_notifications_enabled_check":  "the delivery canary's bucket holds no objects, so no object events exist to notify",
}

var guardFail = regexp.MustCompile(`^(ct-[a-z0-9.-]+\.guard/[a-z0-9_]+)\s+FAIL`)

func TestCfnGuardControlTower(t *testing.T) {
	pkg := filepath.Join(repoRoot(t), "node_modules", "@cdklabs", "cdk-validator-cfnguard")
	bin := filepath.Join(pkg, "bin", "ubuntu", "x86_64", "cfn-guard")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("cfn-guard not installed (%v): run make npm-install", err)
	}
	ruleDirs, _ := filepath.Glob(filepath.Join(pkg, "rules", "control-tower", "cfn-guard", "*"))
	if len(ruleDirs) == 0 {
		t.Fatal("no Control Tower rules in the package")
	}
	// One run over every template: a file's failures follow its status line.
	args := []string{"validate", "--show-summary", "fail"}
	for _, d := range ruleDirs {
		args = append(args, "--rules", d)
	}
	for _, tpl := range templates(t) {
		args = append(args, "--data", tpl)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 19) {
		t.Fatalf("cfn-guard: %v\n%s", err, out) // 19: some rule failed
	}
	failed := map[string][]string{}
	current := ""
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if f, _, ok := strings.Cut(line, " Status = "); ok {
			current = filepath.Base(f)
		}
		if m := guardFail.FindStringSubmatch(line); m != nil {
			failed[m[1]] = append(failed[m[1]], current)
		}
	}
	for rule, tpls := range failed {
		if why, ok := cfnGuardJustified[rule]; ok {
			t.Logf("justified %s on %v: %s", rule, tpls, why)
			continue
		}
		t.Errorf("cfn-guard Control Tower rule %s fails on %v", rule, tpls)
	}
}
