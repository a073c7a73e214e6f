// Package config is the runtime configuration every gcguard function, the
// CLI and the CDK app share. The CDK app writes it as environment variables
// (names below); functions read it once at cold start with FromEnv.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mode says what a rule does with a violation.
type Mode string

const (
	Off     Mode = "off"     // the rule does not run
	Notify  Mode = "notify"  // report what would change, change nothing
	Enforce Mode = "enforce" // change the resource, then report
)

// ParseMode reads a mode, case-insensitively.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Off, Notify, Enforce:
		return m, nil
	}
	return "", fmt.Errorf("mode %q is not one of off, notify, enforce", s)
}

// Environment variable names. They are the contract between the CDK app,
// which sets them, and the functions, which read them.
const (
	EnvAccount           = "GCGUARD_ACCOUNT_ID"
	EnvPartition         = "GCGUARD_PARTITION"
	EnvHomeRegion        = "GCGUARD_HOME_REGION"
	EnvModes             = "GCGUARD_MODES"              // accesskey=enforce,iamuser=notify
	EnvTrustedAccounts   = "GCGUARD_TRUSTED_ACCOUNTS"   // comma-separated 12-digit ids
	EnvTrustedOrg        = "GCGUARD_TRUSTED_ORG"        // o-xxxxxxxxxx
	EnvAllowedPrincipals = "GCGUARD_ALLOWED_PRINCIPALS" // comma-separated ARN patterns
	EnvKMSKeys           = "GCGUARD_KMS_KEYS"           // ap-northeast-1=arn:...,ap-northeast-3=arn:...
	EnvAuditTable        = "GCGUARD_AUDIT_TABLE"
	EnvTopicARN          = "GCGUARD_TOPIC_ARN"
	EnvExemptionsParam   = "GCGUARD_EXEMPTIONS_PARAM"
	EnvOwnRoleARNs       = "GCGUARD_OWN_ROLE_ARNS" // comma-separated role ARNs (patterns allowed)
	EnvLanguage          = "GCGUARD_LANGUAGE"      // ja | en
	EnvMaskActor         = "GCGUARD_MASK_ACTOR"    // true: mask e-mail addresses in notices
	EnvAccessKeyAction   = "GCGUARD_ACCESSKEY_ACTION"
	EnvDeleteLoginProf   = "GCGUARD_IAMUSER_DELETE_LOGIN_PROFILE"
	EnvDeployedAt        = "GCGUARD_DEPLOYED_AT" // RFC 3339; resources older than this are pre-existing
	EnvFixPreexisting    = "GCGUARD_FIX_PREEXISTING"
	EnvLeaseSeconds      = "GCGUARD_LEASE_SECONDS"
	EnvHoldMinutes       = "GCGUARD_HOLD_MINUTES"
	// Lines every notice shows when set (notices.systemName, .environment, .contact).
	EnvSystemName   = "GCGUARD_SYSTEM_NAME"    // 利用システム名
	EnvEnvironment  = "GCGUARD_ENVIRONMENT"    // 本番／検証, production/staging: free text
	EnvContact      = "GCGUARD_CONTACT"        // 問い合わせ先
	EnvMacKeyARN    = "GCGUARD_MAC_KEY_ARN"    // KMS HMAC key that authenticates audit items and exemptions
	EnvHoldMaxHours = "GCGUARD_HOLD_MAX_HOURS" // holds further ahead are forged
)

// Config is the whole runtime configuration.
type Config struct {
	Account           string
	Partition         string
	HomeRegion        string
	Modes             map[string]Mode
	TrustedAccounts   []string
	TrustedOrg        string
	AllowedPrincipals []string
	KMSKeys           map[string]string // region → key ARN
	S3Keys            string            // s3Keys: any-customer-managed ("" or default) | gcguard-only
	AuditTable        string
	TopicARN          string
	ExemptionsParam   string
	OwnRoleARNs       []string
	Language          string
	MaskActor         bool
	AccessKeyAction   string // delete | deactivate
	DeleteLoginProf   bool
	DeployedAt        time.Time
	FixPreexisting    bool
	LeaseDuration     time.Duration
	HoldDuration      time.Duration
	// Notice lines: one line of free text each, "" when not configured.
	SystemName, Environment, Contact string
	MacKeyARN                        string
	HoldMax                          time.Duration
}

// NoticeLineMax bounds each notice line from the configuration, so a
// notice stays readable and within every channel's limits.
const NoticeLineMax = 200

// Defaults are the values a field takes when its variable is unset.
const (
	DefaultPartition    = "aws"
	DefaultHomeRegion   = "ap-northeast-1"
	DefaultLanguage     = "ja"
	DefaultLease        = 30 * time.Second
	DefaultHold         = 60 * time.Minute
	DefaultHoldMax      = 24 * time.Hour
	AccessKeyDelete     = "delete"
	AccessKeyDeactivate = "deactivate"
)

// FieldError names the configuration field that is wrong.
type FieldError struct {
	Field string // environment variable name or config-file path
	Value string
	Err   error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("config %s=%q: %v", e.Field, e.Value, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Getenv is the shape of os.Getenv, so tests and the CLI can pass a map.
type Getenv func(string) string

// FromEnv reads and validates the configuration. knownRules are the rule
// names a mode may be given for; a mode for any other name is an error so a
// typo never silently leaves a rule at its default.
func FromEnv(getenv Getenv, knownRules []string) (*Config, error) {
	c := &Config{
		Account:         strings.TrimSpace(getenv(EnvAccount)),
		Partition:       orDefault(getenv(EnvPartition), DefaultPartition),
		HomeRegion:      orDefault(getenv(EnvHomeRegion), DefaultHomeRegion),
		TrustedOrg:      strings.TrimSpace(getenv(EnvTrustedOrg)),
		AuditTable:      strings.TrimSpace(getenv(EnvAuditTable)),
		TopicARN:        strings.TrimSpace(getenv(EnvTopicARN)),
		ExemptionsParam: strings.TrimSpace(getenv(EnvExemptionsParam)),
		Language:        orDefault(getenv(EnvLanguage), DefaultLanguage),
		AccessKeyAction: orDefault(getenv(EnvAccessKeyAction), AccessKeyDelete),
		LeaseDuration:   DefaultLease,
		HoldDuration:    DefaultHold,
		MacKeyARN:       strings.TrimSpace(getenv(EnvMacKeyARN)),
		HoldMax:         DefaultHoldMax,
		S3Keys:          strings.TrimSpace(getenv(EnvS3Keys)), // "" = any-customer-managed
	}
	var errs []error
	add := func(field, value string, err error) {
		errs = append(errs, &FieldError{Field: field, Value: value, Err: err})
	}
	for name, dst := range map[string]*string{EnvSystemName: &c.SystemName, EnvEnvironment: &c.Environment, EnvContact: &c.Contact} {
		v := strings.TrimSpace(getenv(name))
		if utf8.RuneCountInString(v) > NoticeLineMax || strings.ContainsFunc(v, unicode.IsControl) {
			add(name, v, fmt.Errorf("want one line of at most %d characters", NoticeLineMax))
			continue
		}
		*dst = v
	}
	var err error
	if c.Modes, err = ParseModes(getenv(EnvModes), knownRules); err != nil {
		add(EnvModes, getenv(EnvModes), err)
	}
	c.TrustedAccounts = splitList(getenv(EnvTrustedAccounts))
	c.AllowedPrincipals = splitList(getenv(EnvAllowedPrincipals))
	c.OwnRoleARNs = splitList(getenv(EnvOwnRoleARNs))
	if c.KMSKeys, err = parseMap(getenv(EnvKMSKeys)); err != nil {
		add(EnvKMSKeys, getenv(EnvKMSKeys), err)
	}
	for name, dst := range map[string]*bool{EnvMaskActor: &c.MaskActor, EnvDeleteLoginProf: &c.DeleteLoginProf, EnvFixPreexisting: &c.FixPreexisting} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				add(name, v, errors.New("want true or false"))
			}
			*dst = b
		}
	}
	if v := strings.TrimSpace(getenv(EnvDeployedAt)); v != "" {
		if c.DeployedAt, err = time.Parse(time.RFC3339, v); err != nil {
			add(EnvDeployedAt, v, errors.New("want an RFC 3339 time such as 2026-11-24T09:00:00+09:00"))
		}
	}
	if v := strings.TrimSpace(getenv(EnvLeaseSeconds)); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 5 || n > 900 {
			add(EnvLeaseSeconds, v, errors.New("want whole seconds from 5 to 900"))
		} else {
			c.LeaseDuration = time.Duration(n) * time.Second
		}
	}
	if v := strings.TrimSpace(getenv(EnvHoldMinutes)); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 7*24*60 {
			add(EnvHoldMinutes, v, errors.New("want whole minutes from 1 to 10080"))
		} else {
			c.HoldDuration = time.Duration(n) * time.Minute
		}
	}
	if v := strings.TrimSpace(getenv(EnvHoldMaxHours)); v != "" {
		if d, perr := ParseHoldMax(v); perr != nil {
			add(EnvHoldMaxHours, v, perr)
		} else {
			c.HoldMax = d
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	accountRe = regexp.MustCompile(`^\d{12}$`)
	orgRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	arnRe     = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|\*)?:.+$`)
	kmsKeyRe  = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/[a-zA-Z0-9-]+$`)
)

// Validate checks every field and names the bad ones.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, value, why string) {
		errs = append(errs, &FieldError{Field: field, Value: value, Err: errors.New(why)})
	}
	if !accountRe.MatchString(c.Account) {
		bad(EnvAccount, c.Account, "want the 12-digit id of the account gcguard guards")
	}
	if !validS3Keys(c.S3Keys) {
		bad(EnvS3Keys, c.S3Keys, "want "+S3KeysAnyCustomerManaged+" or "+S3KeysGcguardOnly)
	}
	if !strings.HasPrefix(c.Partition, "aws") {
		bad(EnvPartition, c.Partition, "want aws, aws-cn or aws-us-gov")
	}
	if !regionRe.MatchString(c.HomeRegion) {
		bad(EnvHomeRegion, c.HomeRegion, "want a region name such as ap-northeast-1")
	}
	for _, a := range c.TrustedAccounts {
		if !accountRe.MatchString(a) {
			bad(EnvTrustedAccounts, a, "want 12-digit account ids")
		}
		if a == c.Account {
			bad(EnvTrustedAccounts, a, "the guarded account is always trusted; do not list it")
		}
	}
	if c.TrustedOrg != "" && !orgRe.MatchString(c.TrustedOrg) {
		bad(EnvTrustedOrg, c.TrustedOrg, "want an organization id such as o-a1b2c3d4e5")
	}
	for _, p := range c.AllowedPrincipals {
		if !arnRe.MatchString(p) || !strings.Contains(p, ":iam::") {
			bad(EnvAllowedPrincipals, p, "want IAM ARN patterns such as arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*")
		}
	}
	for region, key := range c.KMSKeys {
		m := kmsKeyRe.FindStringSubmatch(key)
		switch {
		case !regionRe.MatchString(region):
			bad(EnvKMSKeys, region, "want region=key-arn pairs")
		case m == nil:
			bad(EnvKMSKeys, key, "want a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); aliases and aws/s3 do not count")
		case m[1] != region:
			bad(EnvKMSKeys, key, "the key must live in region "+region)
		}
	}
	for _, r := range c.OwnRoleARNs {
		if !arnRe.MatchString(r) || !strings.Contains(r, ":role/") {
			bad(EnvOwnRoleARNs, r, "want IAM role ARNs")
		}
	}
	if c.TopicARN != "" && !strings.HasPrefix(c.TopicARN, "arn:") {
		bad(EnvTopicARN, c.TopicARN, "want an SNS topic ARN")
	}
	if c.MacKeyARN != "" && !kmsKeyRe.MatchString(c.MacKeyARN) {
		bad(EnvMacKeyARN, c.MacKeyARN, "want a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")
	}
	if c.HoldMax > 0 && c.HoldDuration > c.HoldMax {
		bad(EnvHoldMinutes, c.HoldDuration.String(), "a revert's hold may not exceed the hold maximum ("+EnvHoldMaxHours+")")
	}
	if c.Language != "ja" && c.Language != "en" {
		bad(EnvLanguage, c.Language, "want ja or en")
	}
	if c.AccessKeyAction != AccessKeyDelete && c.AccessKeyAction != AccessKeyDeactivate {
		bad(EnvAccessKeyAction, c.AccessKeyAction, "want delete or deactivate")
	}
	return errors.Join(errs...)
}

// Mode is the mode of a rule: its configured one, else its default.
func (c *Config) Mode(rule string, def Mode) Mode {
	if m, ok := c.Modes[rule]; ok {
		return m
	}
	return def
}

// Trusts reports whether account is the guarded account or a trusted one.
func (c *Config) Trusts(account string) bool {
	return account == c.Account || slices.Contains(c.TrustedAccounts, account)
}

// Allowed returns the configured allowed principals, or the default: the
// account's IAM Identity Center roles, so GCAS switch-role keeps working.
func (c *Config) Allowed() []string {
	if len(c.AllowedPrincipals) > 0 {
		return c.AllowedPrincipals
	}
	return []string{fmt.Sprintf("arn:%s:iam::%s:role/aws-reserved/sso.amazonaws.com/*", c.Partition, c.Account)}
}

// Env renders the configuration as the environment variables FromEnv reads,
// so the CDK app and tests produce exactly what functions parse.
func (c *Config) Env() map[string]string {
	env := map[string]string{
		EnvAccount:         c.Account,
		EnvPartition:       c.Partition,
		EnvHomeRegion:      c.HomeRegion,
		EnvLanguage:        c.Language,
		EnvAccessKeyAction: c.AccessKeyAction,
		EnvMaskActor:       strconv.FormatBool(c.MaskActor),
		EnvDeleteLoginProf: strconv.FormatBool(c.DeleteLoginProf),
		EnvFixPreexisting:  strconv.FormatBool(c.FixPreexisting),
	}
	// Unset durations keep FromEnv's defaults rather than writing a zero it rejects.
	if c.LeaseDuration > 0 {
		env[EnvLeaseSeconds] = strconv.Itoa(int(c.LeaseDuration / time.Second))
	}
	if c.HoldDuration > 0 {
		env[EnvHoldMinutes] = strconv.Itoa(int(c.HoldDuration / time.Minute))
	}
	if c.HoldMax > 0 {
		env[EnvHoldMaxHours] = strconv.Itoa(int(c.HoldMax / time.Hour))
	}
	set := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	set(EnvModes, FormatModes(c.Modes))
	set(EnvTrustedAccounts, strings.Join(c.TrustedAccounts, ","))
	set(EnvTrustedOrg, c.TrustedOrg)
	set(EnvAllowedPrincipals, strings.Join(c.AllowedPrincipals, ","))
	set(EnvKMSKeys, formatMap(c.KMSKeys))
	set(EnvS3Keys, c.S3Keys)
	set(EnvAuditTable, c.AuditTable)
	set(EnvTopicARN, c.TopicARN)
	set(EnvExemptionsParam, c.ExemptionsParam)
	set(EnvOwnRoleARNs, strings.Join(c.OwnRoleARNs, ","))
	set(EnvSystemName, c.SystemName)
	set(EnvEnvironment, c.Environment)
	set(EnvContact, c.Contact)
	set(EnvMacKeyARN, c.MacKeyARN)
	if !c.DeployedAt.IsZero() {
		env[EnvDeployedAt] = c.DeployedAt.Format(time.RFC3339Nano)
	}
	return env
}

// ParseModes reads "rule=mode,rule=mode".
func ParseModes(s string, knownRules []string) (map[string]Mode, error) {
	kv, err := parseMap(s)
	if err != nil {
		return nil, err
	}
	modes := make(map[string]Mode, len(kv))
	for rule, v := range kv {
		if knownRules != nil && !slices.Contains(knownRules, rule) {
			return nil, fmt.Errorf("no rule named %q (rules: %s)", rule, strings.Join(knownRules, ", "))
		}
		m, err := ParseMode(v)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", rule, err)
		}
		modes[rule] = m
	}
	return modes, nil
}

// FormatModes is the inverse of ParseModes, sorted for stable output.
func FormatModes(m map[string]Mode) string {
	kv := make(map[string]string, len(m))
	for k, v := range m {
		kv[k] = string(v)
	}
	return formatMap(kv)
}

func parseMap(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range splitList(s) {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("item %q is not key=value", item)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("key %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// ParseHoldMax reads a GCGUARD_HOLD_MAX_HOURS value: whole hours, 1 to 168.
func ParseHoldMax(v string) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 7*24 {
		return 0, errors.New("want whole hours from 1 to 168")
	}
	return time.Duration(n) * time.Hour, nil
}
