// Command infra is gcguard's CDK app. cdk.json builds it into infra/bin and runs
// it from the repository root, so paths are relative to the root. The account's configuration file comes from
// the `config` context value (make deploy CONFIG=…), function assets from
// dist/ (or GCGUARD_DIST).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/infra/gcinfra"
	"github.com/gcguard/gcguard/shared/guardrail"
	_ "github.com/gcguard/gcguard/shared/rules"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcguard infra:", err)
		os.Exit(1)
	}
}

func run() error {
	root := envOr("GCGUARD_ROOT", ".")
	patterns := flag.String("patterns", "", "print the EventBridge patterns per region for this config file, then exit")
	flag.Parse()
	if p := *patterns; p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return printPatterns(p)
	}
	app := awscdk.NewApp(nil)
	// No default: synthesizing or deploying the example's account by
	// mistake must be impossible (make passes -c config=FILE).
	path, _ := app.Node().TryGetContext(jsii.String("config")).(string)
	if path == "" {
		return fmt.Errorf("no config file: run through make (make synth CONFIG=config/<account>.json) or pass cdk -c config=config/<account>.json")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	cfg, err := deployconfig.Load(path, guardrail.Default.Names())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	present := map[string]bool{}
	for _, fn := range []string{gcinfra.FnSweep, gcinfra.FnSelfProtect, gcinfra.FnLogSource, gcinfra.FnSelfCheck} {
		if st, err := os.Stat(filepath.Join(root, "functions", fn)); err == nil && st.IsDir() {
			present[fn] = true
		}
	}
	if _, err := gcinfra.Build(app, gcinfra.Props{
		Config:   cfg,
		Registry: guardrail.Default,
		DistDir:  envOr("GCGUARD_DIST", filepath.Join(root, "dist")),
		Present:  present,
	}); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// printPatterns lists, per region, every EventBridge rule gcguard creates
// and its pattern: what docs/deploy.md describes, for the rules registered now.
func printPatterns(path string) error {
	cfg, err := deployconfig.Load(path, guardrail.Default.Names())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]map[string]any{cfg.HomeRegion: {}}
	for _, def := range guardrail.Default.All() {
		for i, p := range def.Spec.Patterns() {
			out[cfg.HomeRegion][fmt.Sprintf("%s #%d -> function %s", gcinfra.FunctionName(def.Spec.Name), i+1, gcinfra.FunctionName(def.Spec.Name))] = p
		}
	}
	for _, k := range gcinfra.ProtectedKinds("<gcguard key ARNs>") {
		if k.Where == gcinfra.WhereUSEast1 && cfg.IAMEventSource != deployconfig.SourceEventBridge {
			continue
		}
		out[cfg.HomeRegion][gcinfra.NamePrefix+"selfprotect-"+k.Name+" -> topic"] = k.Narrow
	}
	if !cfg.Canary.Disabled {
		if cfg.IAMEventSource == deployconfig.SourceEventBridge {
			out[cfg.HomeRegion][gcinfra.CanaryRoleName+" -> canary log group"] = gcinfra.CanaryPattern()
		}
		for _, r := range cfg.ForwarderRegions() {
			if r != deployconfig.USEast1 {
				out[cfg.HomeRegion][gcinfra.RegionCanaryRule(r)+" -> canary log group"] = gcinfra.RegionCanaryPattern(cfg.Account, r)
			}
		}
	}
	out[cfg.HomeRegion][gcinfra.NamePrefix+"remote-alarms -> topic"] = gcinfra.AlarmPattern(cfg.HomeRegion)
	for _, region := range cfg.ForwarderRegions() {
		out[region] = map[string]any{}
		for _, np := range gcinfra.ForwardedPatterns(cfg, region, guardrail.Default) {
			out[region][gcinfra.NamePrefix+"forward-"+np.Name+" -> hub bus"] = np.Pattern
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
