// Package deployfile reads the one configuration file a vendor keeps per
// account and maps it onto the runtime configuration contract
// (shared/config). The CDK app (through infra/deployconfig) and the CLI
// (`gcguard config check`, `--config FILE`) read the file with this one
// package, so what the CLI accepts is exactly what a synth accepts. Every
// error names the file's field, so a typo fails before anything is deployed.
package deployfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	S3Keys            string               `json:"s3Keys,omitempty"`
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
	BreakGlassRoleARN string               `json:"breakGlassRoleArn,omitempty"`
	HoldMaxHours      int                  `json:"holdMaxHours,omitempty"`
	Notifier          Notifier             `json:"notifier,omitempty"`
	Tags              map[string]string    `json:"tags,omitempty"`
}

// Notices says who hears about what gcguard did, and the optional lines
// that tell readers which system and environment a notice is about.
type Notices struct {
	Emails         []string `json:"emails,omitempty"`
	Language       string   `json:"language,omitempty"` // ja | en
	MaskActor      bool     `json:"maskActor,omitempty"`
	SlackSecretARN string   `json:"slackSecretArn,omitempty"`
	Chatbot        *Chatbot `json:"chatbot,omitempty"`
	SystemName     string   `json:"systemName,omitempty"`  // 利用システム名
	Environment    string   `json:"environment,omitempty"` // 本番 / 検証 / production / staging
	Contact        string   `json:"contact,omitempty"`     // 問い合わせ先
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

// Notifier tunes the notifier function.
type Notifier struct {
	// ReservedConcurrency caps the notifier; 0 reserves none, which accounts
	// with a low Lambda concurrency quota need to deploy at all.
	ReservedConcurrency int `json:"reservedConcurrency,omitempty"`
}

// IAM event sources.
const (
	SourceEventBridge = "eventbridge"     // us-east-1 forwarder (default)
	SourceLogs        = "cloudwatch-logs" // a trail delivering to CloudWatch Logs in the home region
)

// Which customer-managed keys a bucket's default encryption may use.
const (
	S3KeysAnyCustomerManaged = "any-customer-managed"
	S3KeysGcguardOnly        = "gcguard-only"
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

// Parse is Load without the file. It reports every bad field it can find,
// unknown and mistyped ones included, each once.
func Parse(raw []byte, rules []string) (*File, error) {
	f, derr := Decode(raw)
	if f == nil {
		return nil, derr
	}
	if err := f.validate(rules, Fields(derr)); err != nil || derr != nil {
		return nil, errors.Join(derr, err)
	}
	return f, nil
}

// Decode reads the file and fills in defaults without validating values,
// so a caller can show the effective configuration next to its errors.
// Unknown fields and fields of the wrong JSON type are errors, all of them
// named; the file is still returned unless it is not JSON at all.
func Decode(raw []byte) (*File, error) {
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("config file: not JSON: %w", err)
	}
	if _, ok := generic.(map[string]any); !ok {
		return nil, errors.New("config file: want a JSON object")
	}
	var errs []error
	for _, u := range unknownFields(generic, fileShape, "") {
		errs = append(errs, &FieldError{Field: u, Why: fmt.Sprintf("unknown field %q (a typo? see config/example.json)", u)})
	}
	var f File
	// Unmarshal fills every field it can and reports the first mistyped one.
	if err := json.Unmarshal(raw, &f); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field == "" {
			return nil, fmt.Errorf("config file: %w", err)
		}
		errs = append(errs, &FieldError{Field: te.Field, Why: "want a JSON " + jsonKind(te.Type.Kind().String()) + ", not a " + te.Value})
	}
	f.defaults()
	return &f, errors.Join(errs...)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "object"
	case "bool":
		return "true or false"
	}
	return "number"
}

// DefaultAllowedPrincipals is the account's IAM Identity Center roles: GCAS
// switch-role keeps working after a trust policy is tightened.
func DefaultAllowedPrincipals(partition, account string) []string {
	return []string{fmt.Sprintf("arn:%s:iam::%s:role/aws-reserved/sso.amazonaws.com/*", partition, account)}
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
	// Only from a well-formed account: a bad account is reported once, as account.
	if f.AllowedPrincipals == nil && accountRe.MatchString(f.Account) {
		f.AllowedPrincipals = DefaultAllowedPrincipals(f.Partition, f.Account)
	}
	if f.Notices.Language == "" {
		f.Notices.Language = config.DefaultLanguage
	}
	if f.S3Keys == "" {
		f.S3Keys = S3KeysAnyCustomerManaged
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
	iamARNRe    = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::([^:]*):(.+)$`)
	kmsKeyRe    = regexp.MustCompile(`^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key/[a-zA-Z0-9-]+$`)
	roleARNRe   = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):role/[\w+=,.@/-]+$`)
	retentions  = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool { return accountRe.MatchString(s) }

// FieldError names the file field that is wrong.
type FieldError struct {
	Field string
	Value string
	Why   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("config file field %s: %s", e.Field, e.Why)
	}
	return fmt.Sprintf("config file field %s=%q: %s", e.Field, e.Value, e.Why)
}

// Fields lists the fields an error from Parse or Validate names, in order.
func Fields(err error) []string {
	var out []string
	for _, e := range unjoin(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	return out
}

// errorList collects field errors and names each field once: the first
// reason found for a field is the one reported, and the runtime contract's
// re-check does not repeat a field the file check already named.
type errorList struct {
	errs []error
	seen map[string]bool
}

func (l *errorList) bad(field, value, why string) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if l.seen[field] || l.seen[fieldRoot(field)] {
		return
	}
	l.seen[field] = true
	l.errs = append(l.errs, &FieldError{field, value, why})
}

// covered reports whether field, or an element or member of it, was named.
func (l *errorList) covered(field string) bool {
	for f := range l.seen {
		if f == field || fieldRoot(f) == field {
			return true
		}
	}
	return false
}

// fieldRoot is the top-level name of a field path: trustedAccounts[1] →
// trustedAccounts, kmsKeys.ap-northeast-1.keyArn → kmsKeys.
func fieldRoot(field string) string {
	if i := strings.IndexAny(field, ".["); i > 0 {
		return field[:i]
	}
	return field
}

// Validate checks every field, including the runtime configuration it maps
// onto, and names each bad one once by its file field.
func (f *File) Validate(rules []string) error { return f.validate(rules, nil) }

// validate skips the fields already named (by Decode).
func (f *File) validate(rules []string, named []string) error {
	l := errorList{seen: map[string]bool{}}
	for _, field := range named {
		l.seen[field] = true
	}
	bad := l.bad
	if !accountRe.MatchString(f.Account) {
		bad("account", f.Account, "want the 12-digit id of the account gcguard guards")
	}
	if !strings.HasPrefix(f.Partition, "aws") {
		bad("partition", f.Partition, "want aws, aws-cn or aws-us-gov")
	}
	if !regionRe.MatchString(f.HomeRegion) || f.HomeRegion == USEast1 {
		bad("homeRegion", f.HomeRegion, "want a workload region such as ap-northeast-1 (us-east-1 only forwards)")
	}
	seen := map[string]bool{}
	for i, r := range f.WorkloadRegions {
		if !regionRe.MatchString(r) || r == USEast1 || seen[r] {
			bad(fmt.Sprintf("workloadRegions[%d]", i), r, "want distinct region names other than us-east-1")
		}
		seen[r] = true
	}
	if !slices.Contains(f.WorkloadRegions, f.HomeRegion) {
		bad("workloadRegions", strings.Join(f.WorkloadRegions, ","), "must include homeRegion "+f.HomeRegion)
	}
	for _, rule := range sortedKeys(f.Modes) {
		m := f.Modes[rule]
		if !slices.Contains(rules, rule) {
			bad("modes."+rule, m, "no such rule (rules: "+strings.Join(rules, ", ")+")")
		} else if _, err := config.ParseMode(m); err != nil {
			bad("modes."+rule, m, "want off, notify or enforce")
		}
	}
	for i, a := range f.TrustedAccounts {
		switch {
		case !accountRe.MatchString(a):
			bad(fmt.Sprintf("trustedAccounts[%d]", i), a, "want a 12-digit account id")
		case a == f.Account:
			bad(fmt.Sprintf("trustedAccounts[%d]", i), a, "the guarded account is always trusted; do not list it")
		}
	}
	f.validatePrincipals(bad)
	f.validateNotices(bad)
	for _, region := range sortedKeys(f.KMSKeys) {
		f.validateKey(bad, region, f.KMSKeys[region].KeyARN)
	}
	if f.S3Keys != S3KeysAnyCustomerManaged && f.S3Keys != S3KeysGcguardOnly {
		bad("s3Keys", f.S3Keys, "want "+S3KeysAnyCustomerManaged+" (any enabled customer-managed key of the account in the bucket's region) or "+S3KeysGcguardOnly)
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
		// The IAM canary needs the us-east-1 forwarder and is left out in
		// this mode; the other regions' S3 canaries still run.
	default:
		bad("iamEventSource", f.IAMEventSource, "want "+SourceEventBridge+" or "+SourceLogs)
	}
	if !slices.Contains(retentions, f.LogRetentionDays) {
		bad("logRetentionDays", strconv.Itoa(f.LogRetentionDays), "want a CloudWatch Logs retention such as 365 or 3653")
	}
	if f.Canary.PeriodHours < 1 || f.Canary.PeriodHours > 24 {
		bad("canary.periodHours", strconv.Itoa(f.Canary.PeriodHours), "want 1 to 24")
	}
	if a := f.BreakGlassRoleARN; a != "" {
		m := roleARNRe.FindStringSubmatch(a)
		switch {
		case m == nil:
			bad("breakGlassRoleArn", a, "want an IAM role ARN such as arn:aws:iam::"+f.Account+":role/break-glass")
		case m[2] != f.Account || m[1] != f.Partition:
			bad("breakGlassRoleArn", a, "the break-glass role must be a role of account "+f.Account)
		}
	}
	if f.HoldMaxHours < 1 || f.HoldMaxHours > 168 {
		bad("holdMaxHours", strconv.Itoa(f.HoldMaxHours), "want whole hours from 1 to 168 (a revert's hold never lasts longer)")
	}
	if n := f.Notifier.ReservedConcurrency; n < 0 || n > 1000 {
		bad("notifier.reservedConcurrency", strconv.Itoa(n), "want 0 (none reserved) to 1000")
	}
	if _, err := f.exemptionsJSON(rules); err != nil {
		bad("exemptions", "", err.Error())
	}
	// What the file maps onto must pass the runtime contract too; fields
	// the checks above already named are not named again.
	rc := f.runtime(nil, "audit", "arn:aws:sns:"+f.HomeRegion+":"+f.Account+":gcguard", "/gcguard/exemptions")
	if err := rc.Validate(); err != nil {
		var fe *config.FieldError
		for _, e := range unjoin(err) {
			if errors.As(e, &fe) {
				if field := fileField(fe.Field); !l.covered(field) {
					bad(field, fe.Value, fe.Err.Error())
				}
			} else {
				bad("(runtime)", "", e.Error())
			}
		}
	}
	return errors.Join(l.errs...)
}

// validatePrincipals keeps allowedPrincipals inside the guarded account: an
// ARN of another account would let that account keep assuming tightened roles.
func (f *File) validatePrincipals(bad func(field, value, why string)) {
	if f.AllowedPrincipals != nil && len(f.AllowedPrincipals) == 0 {
		bad("allowedPrincipals", "[]", "an empty list quarantines every tightened role; omit the field for this account's SSO roles")
	}
	for i, p := range f.AllowedPrincipals {
		field := fmt.Sprintf("allowedPrincipals[%d]", i)
		m := iamARNRe.FindStringSubmatch(p)
		switch {
		case m == nil:
			bad(field, p, "want an IAM ARN pattern such as "+DefaultAllowedPrincipals(f.Partition, orPlaceholder(f.Account))[0])
		case m[2] != f.Account && accountRe.MatchString(f.Account):
			bad(field, p, "names account "+orPlaceholder(m[2])+", not the guarded account "+orPlaceholder(f.Account)+": allowed principals must be this account's roles (list other accounts in trustedAccounts)")
		case m[1] != f.Partition:
			bad(field, p, "partition "+m[1]+" is not the file's partition "+f.Partition)
		}
	}
}

func orPlaceholder(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func (f *File) validateNotices(bad func(field, value, why string)) {
	n := f.Notices
	if len(n.Emails) == 0 && n.SlackSecretARN == "" && n.Chatbot == nil {
		bad("notices", "", "name at least one of emails, slackSecretArn or chatbot: gcguard must reach someone")
	}
	for i, e := range n.Emails {
		if !emailRe.MatchString(e) {
			bad(fmt.Sprintf("notices.emails[%d]", i), e, "want an e-mail address")
		}
	}
	if s := n.SlackSecretARN; s != "" && !secretRe.MatchString(s) {
		bad("notices.slackSecretArn", s, "want a Secrets Manager secret ARN")
	}
	if c := n.Chatbot; c != nil {
		if !slackIDRe.MatchString(c.SlackWorkspaceID) {
			bad("notices.chatbot.slackWorkspaceId", c.SlackWorkspaceID, "want the Slack workspace id (T…) authorized in the Amazon Q Developer console")
		}
		if !slackIDRe.MatchString(c.SlackChannelID) {
			bad("notices.chatbot.slackChannelId", c.SlackChannelID, "want the Slack channel id (C…)")
		}
	}
	for _, line := range []struct{ field, v string }{
		{"notices.systemName", n.SystemName}, {"notices.environment", n.Environment}, {"notices.contact", n.Contact},
	} {
		if len([]rune(line.v)) > 200 || strings.IndexFunc(line.v, unicode.IsControl) >= 0 {
			bad(line.field, line.v, "want one line of at most 200 characters")
		}
	}
}

// validateKey checks a brought-your-own S3 key: a key of another account or
// region could not encrypt this region's buckets for this account alone.
func (f *File) validateKey(bad func(field, value, why string), region, key string) {
	field := "kmsKeys." + region
	if !slices.Contains(f.WorkloadRegions, region) {
		bad(field, region, "not a workload region")
		return
	}
	if key == "" {
		return
	}
	m := kmsKeyRe.FindStringSubmatch(key)
	switch {
	case m == nil:
		bad(field+".keyArn", key, "want a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); aliases and aws/s3 do not count")
	case m[3] != f.Account && accountRe.MatchString(f.Account):
		bad(field+".keyArn", key, "the key belongs to account "+m[3]+", not the guarded account "+f.Account)
	case m[2] != region:
		bad(field+".keyArn", key, "the key lives in "+m[2]+"; a bucket in "+region+" needs a key of "+region)
	case m[1] != f.Partition:
		bad(field+".keyArn", key, "partition "+m[1]+" is not the file's partition "+f.Partition)
	}
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
		config.EnvModes:             "modes",
		config.EnvHoldMaxHours:      "holdMaxHours",
		config.EnvS3Keys:            "s3Keys",
		config.EnvSystemName:        "notices.systemName",
		config.EnvEnvironment:       "notices.environment",
		config.EnvContact:           "notices.contact",
	}[env]
	if !ok {
		return env
	}
	return f
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
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
	MacKeyARN       string            // the HMAC key that authenticates gcguard's state
}

// Runtime is the configuration every function receives (as Env()).
func (f *File) Runtime(rules []string, r Resources) (*config.Config, error) {
	for rule, m := range f.Modes {
		if _, err := config.ParseMode(m); err != nil {
			return nil, &FieldError{"modes." + rule, m, err.Error()}
		}
	}
	c := f.runtime(r.KMSKeys, r.AuditTable, r.TopicARN, r.ExemptionsParam)
	c.OwnRoleARNs, c.MacKeyARN = r.OwnRoleARNs, r.MacKeyARN
	return c, nil
}

func (f *File) runtime(keys map[string]string, table, topic, param string) *config.Config {
	modes := map[string]config.Mode{}
	for rule, m := range f.Modes {
		if mode, err := config.ParseMode(m); err == nil {
			modes[rule] = mode
		}
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
		HoldMax:           time.Duration(f.HoldMaxHours) * time.Hour,
		S3Keys:            f.S3Keys,
		SystemName:        f.Notices.SystemName,
		Environment:       f.Notices.Environment,
		Contact:           f.Notices.Contact,
	}
	for region, k := range f.KMSKeys {
		if k.KeyARN != "" {
			c.KMSKeys[region] = k.KeyARN
		}
	}
	for region, k := range keys {
		c.KMSKeys[region] = k
	}
	return c
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
