package gcinfra_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/infra/gcinfra"
)

// Where the organization blocks EventBridge in us-east-1, IAM events come
// from the trail's CloudWatch Logs group in the home region instead. The
// same synthesis has functions/selfprotect present, which then receives the
// broad self-protection patterns instead of the topic.
func TestCloudWatchLogsSourceAndSelfProtectFunction(t *testing.T) {
	cfg := *fileCfg
	cfg.IAMEventSource = deployconfig.SourceLogs
	cfg.CloudTrailLogs = "aws-cloudtrail-logs-gcas"
	cfg.Canary.Disabled = true
	if err := cfg.Validate(reg.Names()); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")
	if err := placeholderDist(dist, append(reg.Names(), gcinfra.FnNotify, gcinfra.FnLogSource, gcinfra.FnSelfProtect)...); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	if _, err := gcinfra.Build(app, gcinfra.Props{Config: &cfg, Registry: reg, DistDir: dist, Present: map[string]bool{gcinfra.FnSelfProtect: true}}); err != nil {
		t.Fatal(err)
	}
	app.Synth(nil)
	if _, err := os.Stat(filepath.Join(out, gcinfra.ForwarderStackName(deployconfig.USEast1)+".template.json")); err == nil {
		t.Errorf("a us-east-1 forwarder exists although IAM events come from CloudWatch Logs")
	}
	raw, err := os.ReadFile(filepath.Join(out, gcinfra.HubStackName()+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl Template
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	filters := tpl.ofType("AWS::Logs::SubscriptionFilter")
	if len(filters) != 1 {
		t.Fatalf("%d subscription filters, want 1 (a log group allows two)", len(filters))
	}
	for _, f := range filters {
		fn := tpl.Resources[refID(f.Properties["DestinationArn"])]
		if f.Properties["LogGroupName"] != cfg.CloudTrailLogs || str(fn.Properties["FunctionName"]) != gcinfra.FunctionName(gcinfra.FnLogSource) {
			t.Errorf("filter %s", canon(f.Properties))
		}
	}
	if len(tpl.ofType("AWS::Scheduler::Schedule")) != 0 {
		t.Errorf("canary deployed although disabled")
	}
	rules := rulesByName(tpl)
	for _, k := range gcinfra.ProtectedKinds() {
		r, ok := rules["gcguard-selfprotect-"+k.Name]
		if k.Broad == nil {
			if ok {
				t.Errorf("%s has no broad pattern, yet a rule feeds the function", k.Name)
			}
			continue // another kind's broad pattern carries its events
		}
		if k.Where == gcinfra.WhereUSEast1 {
			if ok {
				t.Errorf("self-protection for %s needs the us-east-1 forwarder, which this mode lacks", k.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("no self-protection rule for %s", k.Name)
			continue
		}
		fn := tpl.Resources[refID(list(r.Properties["Targets"])[0].(map[string]any)["Arn"])]
		if str(fn.Properties["FunctionName"]) != gcinfra.FunctionName(gcinfra.FnSelfProtect) {
			t.Errorf("self-protection %s does not go to functions/selfprotect", k.Name)
		}
		if canon(r.Properties["EventPattern"]) != canon(k.Broad) {
			t.Errorf("self-protection %s: the function gets the broad pattern, got %s", k.Name, canon(r.Properties["EventPattern"]))
		}
	}
	reports, _ := filepath.Glob(filepath.Join(out, "AwsSolutions-*-NagReport.csv"))
	for _, r := range reports {
		fh, _ := os.Open(r)
		rows, _ := csv.NewReader(fh).ReadAll()
		fh.Close()
		for _, row := range rows[1:] {
			if row[2] == "Non-Compliant" {
				t.Errorf("cdk-nag %s on %s", row[0], row[1])
			}
		}
	}
}
