// Package gcinfra is gcguard's CDK app: a hub stack in the home region that
// runs one Lambda per registered rule, and forwarder stacks that bring IAM
// events from us-east-1 and S3 events from the other workload regions to
// the hub's default bus. Everything a rule needs (pattern, scope,
// permissions) is read from the rule registry.
package gcinfra

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/gcguard/gcguard/infra/deployconfig"
	"github.com/gcguard/gcguard/shared/guardrail"
)

// Optional functions: deployed only when their source directory exists.
const (
	FnSweep       = "sweep"
	FnSelfProtect = "selfprotect"
	FnNotify      = "notify"
	FnLogSource   = "logsource"
	FnSelfCheck   = "selfcheck"
)

// Props is what the app is built from.
type Props struct {
	Config   *deployconfig.File
	Registry *guardrail.Registry
	// DistDir holds dist/<function>/bootstrap as `make build` writes it.
	DistDir string
	// Present names the optional functions whose source exists
	// (functions/sweep, functions/selfprotect, functions/logsource).
	Present map[string]bool
}

// Deployment is the built app.
type Deployment struct {
	Hub        *HubStack
	Forwarders map[string]*ForwarderStack // by region
}

// StackName of the hub and of a region's forwarder.
func HubStackName() string               { return "gcguard-hub" }
func ForwarderStackName(r string) string { return "gcguard-forwarder-" + r }

// Build adds gcguard's stacks to the app, with cdk-nag's AwsSolutions pack.
func Build(app awscdk.App, p Props) (*Deployment, error) {
	d, err := BuildStacks(app, p)
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true), Reports: jsii.Bool(true)}), nil)
	return d, nil
}

// BuildStacks adds gcguard's stacks to the app, without cdk-nag.
func BuildStacks(app awscdk.App, p Props) (*Deployment, error) {
	if err := p.Registry.Err(); err != nil {
		return nil, fmt.Errorf("rule registry: %w", err)
	}
	if len(p.Registry.Names()) == 0 {
		return nil, errors.New("rule registry is empty: import github.com/gcguard/gcguard/shared/rules")
	}
	fns := functionNames(p)
	if err := checkAssets(p.DistDir, fns); err != nil {
		return nil, err
	}
	cfg := p.Config
	d := &Deployment{Forwarders: map[string]*ForwarderStack{}}
	s3Keys := map[string]*string{}
	for _, region := range cfg.ForwarderRegions() {
		fs := NewForwarderStack(app, ForwarderStackName(region), ForwarderProps{
			Config: cfg, Region: region, Registry: p.Registry,
		})
		d.Forwarders[region] = fs
		if fs.S3Key != nil {
			s3Keys[region] = fs.S3Key.KeyArn()
		}
	}
	remote := map[string][]ExpectedRule{}
	for region, fs := range d.Forwarders {
		for _, r := range fs.Rules {
			remote[region] = append(remote[region], ExpectedRule{Region: region, Name: *r.Name(), Targets: []*string{jsii.String(fs.HubBus)}})
		}
	}
	var err error
	d.Hub, err = NewHubStack(app, HubStackName(), HubProps{
		Config: cfg, Registry: p.Registry, DistDir: p.DistDir, Present: p.Present,
		Functions: fns, RemoteS3Keys: s3Keys, RemoteRules: remote,
	})
	if err != nil {
		return nil, err
	}
	for _, fs := range d.Forwarders {
		if fs.S3Key != nil {
			d.Hub.Node().AddDependency(fs.Stack)
		}
	}
	return d, nil
}

// functionNames are every function the hub deploys, rules first.
func functionNames(p Props) []string {
	fns := p.Registry.Names()
	if p.Config.Notices.SlackSecretARN != "" {
		fns = append(fns, FnNotify)
	}
	for _, opt := range []string{FnSweep, FnSelfProtect, FnSelfCheck} {
		if p.Present[opt] {
			fns = append(fns, opt)
		}
	}
	if p.Config.IAMEventSource == deployconfig.SourceLogs {
		fns = append(fns, FnLogSource)
	}
	return fns
}

// checkAssets fails early, naming every missing build output.
func checkAssets(dist string, fns []string) error {
	var missing []string
	for _, fn := range fns {
		if _, err := os.Stat(filepath.Join(dist, fn, "bootstrap")); err != nil {
			missing = append(missing, filepath.Join(dist, fn))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("function assets missing: %v has no bootstrap; run `make build` first (it writes dist/<function>/bootstrap for linux/arm64)", missing)
	}
	return nil
}
