// Package deployconfig reads the one configuration file a vendor keeps per
// account and maps it onto the runtime configuration contract
// (shared/config). Every error names the file's field, so a typo fails the
// synth instead of deploying a guardrail that silently does something else.
package deployconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gcguard/gcguard/shared/config"
)

// USEast1 is where IAM events reach EventBridge.
const USEast1 = "us-east-1"

// File is the account's configuration file (JSON; see config/example.json).
type File struct {
	Account           string               `json:"account"`
	Partition         string               `json:"partition,omitempty"`
	HomeRegion        string               `json:"homeRegion,omitempty"`
	WorkloadRegions   []string             `json:"workloadRegions,omitempty"`
	Modes             map[string]string    `json:"modes,omitempty"`
	TrustedAccounts   []string             `json:"trustedAccounts,omitempty"`
	TrustedOrg        string               `json:"trustedOrg,omitempty"`
	AllowedPrincipals []string             `json:"allowedPrincipals,omitempty"`
	Notices           Notices              `json:"notices"`
	KMSKeys           map[string]KeyChoice `json:"kmsKeys,omitempty"`
	S3KeyGrants       S3KeyGrants          `json:"s3KeyGrants,omitempty"`
	AccessKeyAction   string               `json:"accessKeyAction,omitempty"`
	DeleteLoginProf   bool                 `json:"iamuserDeleteLoginProfile,omitempty"`
	FixPreexisting    bool                 `json:"fixPreexisting,omitempty"`
	DeployedAt        string               `json:"deployedAt"`
	Exemptions        config.Exemptions    `json:"exemptions,omitempty"`
	IAMEventSource    string               `json:"iamEventSource,omitempty"`
	CloudTrailLogs    string               `json:"cloudTrailLogGroup,omitempty"`
	LogRetentionDays  int                  `json:"logRetentionDays,omitempty"`
	Canary            Canary               `json:"canary,omitempty"`
	Tags              map[string]string    `json:"tags,omitempty"`
	// BreakGlassRoleArn may write the audit table besides gcguard's roles.
	BreakGlassRoleARN string   `json:"breakGlassRoleArn,omitempty"`
	HoldMaxHours      int      `json:"holdMaxHours,omitempty"`
	Notifier          Notifier `json:"notifier,omitempty"`
}

// Notifier tunes the Slack notifier function.
type Notifier struct {
	// ReservedConcurrency 0 leaves it unreserved: accounts with a low
	// concurrency quota cannot reserve any (docs/deploy.md).
	ReservedConcurrency int `json:"reservedConcurrency,omitempty"`
}

// Notices says who hears about what gcguard did.
type Notices struct {
	Emails         []string `json:"emails,omitempty"`
	Language       string   `json:"language,omitempty"` // ja | en
	MaskActor      bool     `json:"maskActor,omitempty"`
	SlackSecretARN string   `json:"slackSecretArn,omitempty"`
	Chatbot        *Chatbot `json:"chatbot,omitempty"`
}

// Chatbot connects the topic to Amazon Q Developer in chat applications.
type Chatbot struct {
	SlackWorkspaceID string `json:"slackWorkspaceId"`
	SlackChannelID   string `json:"slackChannelId"`
}

// KeyChoice is the S3 key of one workload region: create one, or bring your own.
type KeyChoice struct {
	KeyARN string `json:"keyArn,omitempty"`
}

// S3KeyGrants are the grants gcguard's S3 keys carry beyond the account's own
// principals through S3.
type S3KeyGrants struct {
	Accounts          []string `json:"accounts,omitempty"`          // other accounts that read or write the buckets
	ServicePrincipals []string `json:"servicePrincipals,omitempty"` // e.g. logging.s3.amazonaws.com
}

// Canary is the delivery canary.
type Canary struct {
	Disabled    bool `json:"disabled,omitempty"`
	PeriodHours int  `json:"periodHours,omitempty"`
}

// IAM event sources.
const (
	SourceEventBridge = "eventbridge"     // us-east-1 forwarder (default)
	SourceLogs        = "cloudwatch-logs" // a trail delivering to CloudWatch Logs in the home region
)

// Defaults.
const (
	DefaultRetentionDays = 365
	DefaultCanaryHours   = 1
	DefaultHoldMaxHours  = 24
)

// Load reads, defaults and validates the file. rules are the registered
// rule names (modes and exemptions may only name those).
func Load(path string, rules []string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(raw, rules)
}

// Parse is Load without the file.
func Parse(raw []byte, rules []string) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	f.defaults()
	if err := f.Validate(rules); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *File) defaults() {
	if f.Partition == "" {
		f.Partition = config.DefaultPartition
	}
	if f.HomeRegion == "" {
		f.HomeRegion = config.DefaultHomeRegion
	}
	if len(f.WorkloadRegions) == 0 {
		f.WorkloadRegions = []string{"ap-northeast-1", "ap-northeast-3"}
	}
	if f.Notices.Language == "" {
		f.Notices.Language = config.DefaultLanguage
	}
	if f.AccessKeyAction == "" {
		f.AccessKeyAction = config.AccessKeyDelete
	}
	if f.IAMEventSource == "" {
		f.IAMEventSource = SourceEventBridge
	}
	if f.LogRetentionDays == 0 {
		f.LogRetentionDays = DefaultRetentionDays
	}
	if f.Canary.PeriodHours == 0 {
		f.Canary.PeriodHours = DefaultCanaryHours
	}
	if f.HoldMaxHours == 0 {
		f.HoldMaxHours = DefaultHoldMaxHours
	}
}

var (
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	secretRe    = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	logGroupRe  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	servicePrRe = regexp.MustCompile(`^[a-z0-9.-]+\.amazonaws\.com$`)
	accountRe   = regexp.MustCompile(`^\d{12}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	slackIDRe   = regexp.MustCompile(`^[A-Z0-9]{6,}$`)
	kmsKeyRe    = regexp.MustCompile(`^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key/[0-9a-f-]{36}$`)
	roleARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$`)
	retentions  = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// FieldError names the file field that is wrong.
type FieldError struct {
	Field string
	Value string
	Why   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("config file field %s=%q: %s", e.Field, e.Value, e.Why)
}

// Validate checks every field, including the runtime configuration it maps
// onto, and names each bad one by its file field.
func (f *File) Validate(rules []string) error {
	var errs []error
	bad := func(field, value, why string) { errs = append(errs, &FieldError{field, value, why}) }
	if !accountRe.MatchString(f.Account) {
		bad("account", f.Account, "want the 12-digit id of the account gcguard guards")
	}
	if !regionRe.MatchString(f.HomeRegion) || f.HomeRegion == USEast1 {
		bad("homeRegion", f.HomeRegion, "want a workload region such as ap-northeast-1 (us-east-1 only forwards)")
	}
	if !slices.Contains(f.WorkloadRegions, f.HomeRegion) {
		bad("workloadRegions", strings.Join(f.WorkloadRegions, ","), "must include homeRegion "+f.HomeRegion)
	}
	seen := map[string]bool{}
	for i, r := range f.WorkloadRegions {
		if !regionRe.MatchString(r) || r == USEast1 || seen[r] {
			bad(fmt.Sprintf("workloadRegions[%d]", i), r, "want distinct region names other than us-east-1")
		}
		seen[r] = true
	}
	for rule, m := range f.Modes {
		if !slices.Contains(rules, rule) {
			bad("modes."+rule, m, "no such rule (rules: "+strings.Join(rules, ", ")+")")
		} else if _, err := config.ParseMode(m); err != nil {
			bad("modes."+rule, m, "want off, notify or enforce")
		}
	}
	if len(f.Notices.Emails) == 0 && f.Notices.SlackSecretARN == "" && f.Notices.Chatbot == nil {
		bad("notices", "", "name at least one of emails, slackSecretArn or chatbot: gcguard must reach someone")
	}
	for i, e := range f.Notices.Emails {
		if !emailRe.MatchString(e) {
			bad(fmt.Sprintf("notices.emails[%d]", i), e, "want an e-mail address")
		}
	}
	if s := f.Notices.SlackSecretARN; s != "" && !secretRe.MatchString(s) {
		bad("notices.slackSecretArn", s, "want a Secrets Manager secret ARN")
	}
	if c := f.Notices.Chatbot; c != nil {
		if !slackIDRe.MatchString(c.SlackWorkspaceID) {
			bad("notices.chatbot.slackWorkspaceId", c.SlackWorkspaceID, "want the Slack workspace id (T…) authorized in the Amazon Q Developer console")
		}
		if !slackIDRe.MatchString(c.SlackChannelID) {
			bad("notices.chatbot.slackChannelId", c.SlackChannelID, "want the Slack channel id (C…)")
		}
	}
	for region, k := range f.KMSKeys {
		if !slices.Contains(f.WorkloadRegions, region) {
			bad("kmsKeys."+region, region, "not a workload region")
		}
		// A key elsewhere would put the account's buckets under someone
		// else's control (or fail every write).
		if m := kmsKeyRe.FindStringSubmatch(k.KeyARN); k.KeyARN != "" && (m == nil || m[1] != f.Partition || m[2] != region || m[3] != f.Account) {
			bad("kmsKeys."+region+".keyArn", k.KeyARN, "want a key ARN (key/<id>, not an alias) of account "+f.Account+" in region "+region)
		}
	}
	if r := f.BreakGlassRoleARN; r != "" {
		if m := roleARNRe.FindStringSubmatch(r); m == nil || m[1] != f.Account {
			bad("breakGlassRoleArn", r, "want the ARN of an IAM role in account "+f.Account)
		}
	}
	if f.HoldMaxHours < 1 || f.HoldMaxHours > 24*30 {
		bad("holdMaxHours", fmt.Sprint(f.HoldMaxHours), "want 1 to 720")
	}
	if n := f.Notifier.ReservedConcurrency; n < 0 || n > 10 {
		bad("notifier.reservedConcurrency", fmt.Sprint(n), "want 0 (not reserved) to 10")
	}
	for i, a := range f.S3KeyGrants.Accounts {
		if !accountRe.MatchString(a) || a == f.Account {
			bad(fmt.Sprintf("s3KeyGrants.accounts[%d]", i), a, "want another account's 12-digit id")
		}
	}
	for i, p := range f.S3KeyGrants.ServicePrincipals {
		if !servicePrRe.MatchString(p) {
			bad(fmt.Sprintf("s3KeyGrants.servicePrincipals[%d]", i), p, "want a service principal such as logging.s3.amazonaws.com")
		}
	}
	if _, err := time.Parse(time.RFC3339, f.DeployedAt); err != nil {
		bad("deployedAt", f.DeployedAt, "want the first deployment's time, RFC 3339 (2026-11-24T09:00:00+09:00): older resources are pre-existing")
	}
	switch f.IAMEventSource {
	case SourceEventBridge:
		if f.CloudTrailLogs != "" {
			bad("cloudTrailLogGroup", f.CloudTrailLogs, "only used with iamEventSource "+SourceLogs)
		}
	case SourceLogs:
		if !logGroupRe.MatchString(f.CloudTrailLogs) {
			bad("cloudTrailLogGroup", f.CloudTrailLogs, "want the name of the home-region log group the trail delivers to")
		}
	default:
		bad("iamEventSource", f.IAMEventSource, "want "+SourceEventBridge+" or "+SourceLogs)
	}
	if !slices.Contains(retentions, f.LogRetentionDays) {
		bad("logRetentionDays", fmt.Sprint(f.LogRetentionDays), "want a CloudWatch Logs retention such as 365 or 3653")
	}
	if f.Canary.PeriodHours < 1 || f.Canary.PeriodHours > 24 {
		bad("canary.periodHours", fmt.Sprint(f.Canary.PeriodHours), "want 1 to 24")
	}
	if _, err := f.exemptionsJSON(rules); err != nil {
		bad("exemptions", "", err.Error())
	}
	// What the file maps onto must pass the runtime contract too.
	if rc, err := f.runtime(rules, nil, "audit", "arn:aws:sns:"+f.HomeRegion+":"+f.Account+":gcguard", "/gcguard/exemptions"); err != nil {
		bad("(runtime)", "", err.Error())
	} else if err := rc.Validate(); err != nil {
		var fe *config.FieldError
		for _, e := range unjoin(err) {
			if errors.As(e, &fe) {
				bad(fileField(fe.Field), fe.Value, fe.Err.Error())
			} else {
				bad("(runtime)", "", e.Error())
			}
		}
	}
	return errors.Join(errs...)
}

// fileField maps a runtime variable name back to the file field that sets it.
func fileField(env string) string {
	f, ok := map[string]string{
		config.EnvAccount:           "account",
		config.EnvPartition:         "partition",
		config.EnvHomeRegion:        "homeRegion",
		config.EnvTrustedAccounts:   "trustedAccounts",
		config.EnvTrustedOrg:        "trustedOrg",
		config.EnvAllowedPrincipals: "allowedPrincipals",
		config.EnvKMSKeys:           "kmsKeys",
		config.EnvLanguage:          "notices.language",
		config.EnvAccessKeyAction:   "accessKeyAction",
	}[env]
	if !ok {
		return env
	}
	return f
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// ExemptionsJSON is the exemptions parameter's value.
func (f *File) ExemptionsJSON(rules []string) (string, error) { return f.exemptionsJSON(rules) }

func (f *File) exemptionsJSON(rules []string) (string, error) {
	ex := f.Exemptions
	if ex == nil {
		ex = config.Exemptions{}
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return "", err
	}
	if _, err := config.ParseExemptions(b, rules); err != nil {
		return "", err
	}
	return string(b), nil
}

// Resources are the names the stacks give what functions read at runtime.
type Resources struct {
	AuditTable      string
	TopicARN        string
	ExemptionsParam string
	OwnRoleARNs     []string
	KMSKeys         map[string]string // region → S3 key ARN (may be CDK tokens)
}

// Runtime is the configuration every function receives (as Env()).
func (f *File) Runtime(rules []string, r Resources) (*config.Config, error) {
	c, err := f.runtime(rules, r.KMSKeys, r.AuditTable, r.TopicARN, r.ExemptionsParam)
	if err != nil {
		return nil, err
	}
	c.OwnRoleARNs = r.OwnRoleARNs
	return c, nil
}

func (f *File) runtime(rules []string, keys map[string]string, table, topic, param string) (*config.Config, error) {
	modes := map[string]config.Mode{}
	for rule, m := range f.Modes {
		mode, err := config.ParseMode(m)
		if err != nil {
			return nil, &FieldError{"modes." + rule, m, err.Error()}
		}
		modes[rule] = mode
	}
	deployed, _ := time.Parse(time.RFC3339, f.DeployedAt)
	c := &config.Config{
		Account:           f.Account,
		Partition:         f.Partition,
		HomeRegion:        f.HomeRegion,
		Modes:             modes,
		TrustedAccounts:   f.TrustedAccounts,
		TrustedOrg:        f.TrustedOrg,
		AllowedPrincipals: f.AllowedPrincipals,
		KMSKeys:           map[string]string{},
		AuditTable:        table,
		TopicARN:          topic,
		ExemptionsParam:   param,
		Language:          f.Notices.Language,
		MaskActor:         f.Notices.MaskActor,
		AccessKeyAction:   f.AccessKeyAction,
		DeleteLoginProf:   f.DeleteLoginProf,
		DeployedAt:        deployed,
		FixPreexisting:    f.FixPreexisting,
		LeaseDuration:     config.DefaultLease,
		HoldDuration:      config.DefaultHold,
	}
	for region, k := range f.KMSKeys {
		if k.KeyARN != "" {
			c.KMSKeys[region] = k.KeyARN
		}
	}
	for region, k := range keys {
		c.KMSKeys[region] = k
	}
	return c, nil
}

// ForwarderRegions are the regions whose events must be forwarded to the
// hub: us-east-1 (IAM, account-level BPA) unless IAM events come from
// CloudWatch Logs, and every workload region but the home region.
func (f *File) ForwarderRegions() []string {
	var out []string
	if f.IAMEventSource == SourceEventBridge {
		out = append(out, USEast1)
	}
	for _, r := range f.WorkloadRegions {
		if r != f.HomeRegion {
			out = append(out, r)
		}
	}
	return out
}
