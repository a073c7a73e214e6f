package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gcguard/gcguard/shared/config"
)

var knownRules = []string{"accesskey", "iamuser", "roletrust", "bucket", "accountpab"}

const (
	keyTokyo = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyOsaka = "arn:aws:kms:ap-northeast-3:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
)

// fullEnv sets every variable FromEnv reads.
func fullEnv() map[string]string {
	return map[string]string{
		config.EnvAccount:           "123456789012",
		config.EnvPartition:         "aws",
		config.EnvHomeRegion:        "ap-northeast-1",
		config.EnvModes:             "accesskey=enforce, iamuser=NOTIFY,bucket=off",
		config.EnvTrustedAccounts:   "210987654321, 111122223333",
		config.EnvTrustedOrg:        "o-a1b2c3d4e5",
		config.EnvAllowedPrincipals: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*,arn:aws:iam::123456789012:role/ops-*",
		config.EnvKMSKeys:           "ap-northeast-1=" + keyTokyo + ",ap-northeast-3=" + keyOsaka,
		config.EnvAuditTable:        "gcguard-audit",
		config.EnvTopicARN:          "arn:aws:sns:ap-northeast-1:123456789012:gcguard",
		config.EnvExemptionsParam:   "/gcguard/exemptions",
		config.EnvOwnRoleARNs:       "arn:aws:iam::123456789012:role/gcguard-accesskey,arn:aws:iam::123456789012:role/gcguard-*",
		config.EnvLanguage:          "en",
		config.EnvMaskActor:         "true",
		config.EnvAccessKeyAction:   "deactivate",
		config.EnvDeleteLoginProf:   "TRUE",
		config.EnvDeployedAt:        "2026-11-24T09:00:00.25+09:00",
		config.EnvFixPreexisting:    "false",
		config.EnvLeaseSeconds:      "45",
		config.EnvHoldMinutes:       "120",
		config.EnvMacKeyARN:         "arn:aws:kms:ap-northeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
		config.EnvHoldMaxHours:      "12",
	}
}

func getenv(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

func TestFromEnvHappyPath(t *testing.T) {
	c, err := config.FromEnv(getenv(fullEnv()), knownRules)
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Config{
		Account: "123456789012", Partition: "aws", HomeRegion: "ap-northeast-1",
		Modes:             map[string]config.Mode{"accesskey": config.Enforce, "iamuser": config.Notify, "bucket": config.Off},
		TrustedAccounts:   []string{"210987654321", "111122223333"},
		TrustedOrg:        "o-a1b2c3d4e5",
		AllowedPrincipals: []string{"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*", "arn:aws:iam::123456789012:role/ops-*"},
		KMSKeys:           map[string]string{"ap-northeast-1": keyTokyo, "ap-northeast-3": keyOsaka},
		AuditTable:        "gcguard-audit", TopicARN: "arn:aws:sns:ap-northeast-1:123456789012:gcguard", ExemptionsParam: "/gcguard/exemptions",
		OwnRoleARNs: []string{"arn:aws:iam::123456789012:role/gcguard-accesskey", "arn:aws:iam::123456789012:role/gcguard-*"},
		Language:    "en", MaskActor: true, AccessKeyAction: config.AccessKeyDeactivate, DeleteLoginProf: true,
		FixPreexisting: false,
		LeaseDuration:  45 * time.Second, HoldDuration: 120 * time.Minute,
		MacKeyARN: "arn:aws:kms:ap-northeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", HoldMax: 12 * time.Hour,
	}
	wantDeployed := time.Date(2026, 11, 24, 0, 0, 0, 250e6, time.UTC)
	if !c.DeployedAt.Equal(wantDeployed) {
		t.Errorf("DeployedAt = %v, want %v", c.DeployedAt, wantDeployed)
	}
	got := *c
	got.DeployedAt = time.Time{}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("FromEnv =\n%+v\nwant\n%+v", &got, want)
	}
	if c.Mode("accesskey", config.Notify) != config.Enforce || c.Mode("roletrust", config.Enforce) != config.Enforce {
		t.Errorf("Mode: configured or default not honoured")
	}
	if !c.Trusts("123456789012") || !c.Trusts("111122223333") || c.Trusts("999999999999") {
		t.Errorf("Trusts wrong")
	}
	if got := c.Allowed(); !reflect.DeepEqual(got, want.AllowedPrincipals) {
		t.Errorf("Allowed() = %v", got)
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := config.FromEnv(getenv(map[string]string{config.EnvAccount: " 123456789012 "}), knownRules)
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != "123456789012" || c.Partition != config.DefaultPartition || c.HomeRegion != config.DefaultHomeRegion ||
		c.Language != config.DefaultLanguage || c.AccessKeyAction != config.AccessKeyDelete ||
		c.LeaseDuration != config.DefaultLease || c.HoldDuration != config.DefaultHold || len(c.Modes) != 0 ||
		!c.DeployedAt.IsZero() || c.MaskActor || c.DeleteLoginProf || c.FixPreexisting {
		t.Errorf("defaults: %+v", c)
	}
	if got := c.Allowed(); len(got) != 1 || got[0] != "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*" {
		t.Errorf("default allowed principals: %v", got)
	}
}

// fieldErrors flattens a joined error into its FieldErrors.
func fieldErrors(err error) []*config.FieldError {
	var out []*config.FieldError
	var walk func(error)
	walk = func(e error) {
		var fe *config.FieldError
		if errors.As(e, &fe) && fe == e {
			out = append(out, fe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, field, value string
	}{
		{"account too short", config.EnvAccount, "12345"},
		{"account missing", config.EnvAccount, ""},
		{"partition", config.EnvPartition, "gcp"},
		{"home region", config.EnvHomeRegion, "tokyo"},
		{"mode value", config.EnvModes, "accesskey=maybe"},
		{"mode for an unknown rule", config.EnvModes, "acesskey=enforce"},
		{"mode not key=value", config.EnvModes, "accesskey"},
		{"mode given twice", config.EnvModes, "accesskey=off,accesskey=enforce"},
		{"trusted account", config.EnvTrustedAccounts, "21098765432"},
		{"trusted account is the guarded one", config.EnvTrustedAccounts, "123456789012"},
		{"trusted org", config.EnvTrustedOrg, "org-1"},
		{"allowed principal not an ARN", config.EnvAllowedPrincipals, "alice"},
		{"allowed principal not IAM", config.EnvAllowedPrincipals, "arn:aws:s3:::bucket/x"},
		{"kms key alias", config.EnvKMSKeys, "ap-northeast-1=arn:aws:kms:ap-northeast-1:123456789012:alias/gcguard"},
		{"kms aws/s3", config.EnvKMSKeys, "ap-northeast-1=alias/aws/s3"},
		{"kms key in another region", config.EnvKMSKeys, "ap-northeast-3=" + keyTokyo},
		{"kms bad region", config.EnvKMSKeys, "tokyo=" + keyTokyo},
		{"kms not key=value", config.EnvKMSKeys, keyTokyo},
		{"own role is a user", config.EnvOwnRoleARNs, "arn:aws:iam::123456789012:user/gcguard"},
		{"own role not an ARN", config.EnvOwnRoleARNs, "gcguard-accesskey"},
		{"topic", config.EnvTopicARN, "gcguard-topic"},
		{"language", config.EnvLanguage, "fr"},
		{"access key action", config.EnvAccessKeyAction, "rotate"},
		{"mask actor", config.EnvMaskActor, "yes please"},
		{"delete login profile", config.EnvDeleteLoginProf, "sometimes"},
		{"fix preexisting", config.EnvFixPreexisting, "2"},
		{"deployed at is a date", config.EnvDeployedAt, "2026-11-24"},
		{"lease not a number", config.EnvLeaseSeconds, "thirty"},
		{"lease too short", config.EnvLeaseSeconds, "4"},
		{"lease too long", config.EnvLeaseSeconds, "901"},
		{"hold zero", config.EnvHoldMinutes, "0"},
		{"hold over a week", config.EnvHoldMinutes, "10081"},
		{"hold beyond the hold maximum", config.EnvHoldMinutes, "721"},
		{"hold maximum zero", config.EnvHoldMaxHours, "0"},
		{"hold maximum over a week", config.EnvHoldMaxHours, "169"},
		{"mac key is an alias", config.EnvMacKeyARN, "alias/gcguard-mac"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := fullEnv()
			env[tc.field] = tc.value
			c, err := config.FromEnv(getenv(env), knownRules)
			if err == nil {
				t.Fatalf("accepted %s=%q: %+v", tc.field, tc.value, c)
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FieldError: %v", err)
			}
			all := fieldErrors(err)
			if len(all) == 0 {
				t.Fatalf("no FieldError in %v", err)
			}
			for _, fe := range all {
				if fe.Field != tc.field {
					t.Errorf("error names %s, want only %s: %v", fe.Field, tc.field, err)
				}
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestFromEnvReportsEveryBadField(t *testing.T) {
	env := fullEnv()
	env[config.EnvLanguage] = "fr"
	env[config.EnvLeaseSeconds] = "1"
	env[config.EnvAccount] = "x"
	_, err := config.FromEnv(getenv(env), knownRules)
	got := map[string]bool{}
	for _, fe := range fieldErrors(err) {
		got[fe.Field] = true
	}
	// Parse errors are reported before validation runs; the lease is one.
	if !got[config.EnvLeaseSeconds] {
		t.Errorf("lease not reported: %v", err)
	}
	env[config.EnvLeaseSeconds] = "30"
	_, err = config.FromEnv(getenv(env), knownRules)
	got = map[string]bool{}
	for _, fe := range fieldErrors(err) {
		got[fe.Field] = true
	}
	if !got[config.EnvLanguage] || !got[config.EnvAccount] {
		t.Errorf("want both language and account reported: %v", err)
	}
}

func TestEnvRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"every field", fullEnv()},
		{"defaults only", map[string]string{config.EnvAccount: "123456789012"}},
		{"UTC deploy time", map[string]string{config.EnvAccount: "123456789012", config.EnvDeployedAt: "2026-11-24T00:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.FromEnv(getenv(tc.env), knownRules)
			if err != nil {
				t.Fatal(err)
			}
			env := c.Env()
			back, err := config.FromEnv(getenv(env), knownRules)
			if err != nil {
				t.Fatalf("FromEnv(Env()) = %v (env %v)", err, env)
			}
			if !back.DeployedAt.Equal(c.DeployedAt) {
				t.Errorf("DeployedAt %v came back as %v (env %q)", c.DeployedAt, back.DeployedAt, env[config.EnvDeployedAt])
			}
			a, b := *c, *back
			a.DeployedAt, b.DeployedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("round trip changed the configuration:\n%+v\n%+v", a, b)
			}
			if again := back.Env(); !reflect.DeepEqual(again, env) {
				t.Errorf("Env() not stable:\n%v\n%v", env, again)
			}
		})
	}
}

func TestParseModes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		known   []string
		want    map[string]config.Mode
		wantErr string
	}{
		{"", knownRules, map[string]config.Mode{}, ""},
		{"accesskey=Enforce, iamuser = off", knownRules, map[string]config.Mode{"accesskey": config.Enforce, "iamuser": config.Off}, ""},
		{"anything=notify", nil, map[string]config.Mode{"anything": config.Notify}, ""},
		{"nosuchrule=enforce", knownRules, nil, `no rule named "nosuchrule"`},
		{"accesskey=on", knownRules, nil, "rule accesskey"},
		{"accesskey=", knownRules, nil, "not key=value"},
		{"=enforce", knownRules, nil, "not key=value"},
	} {
		got, err := config.ParseModes(tc.in, tc.known)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseModes(%q) error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseModes(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := config.ParseModes(config.FormatModes(got), tc.known); err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("FormatModes round trip of %v: %v, %v", got, back, err)
		}
	}
	if got := config.FormatModes(map[string]config.Mode{"iamuser": config.Notify, "accesskey": config.Off}); got != "accesskey=off,iamuser=notify" {
		t.Errorf("FormatModes not sorted: %q", got)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]config.Mode{"off": config.Off, " NOTIFY ": config.Notify, "Enforce": config.Enforce} {
		if got, err := config.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "on", "dry-run"} {
		if _, err := config.ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) accepted", in)
		}
	}
}

func TestFieldErrorUnwraps(t *testing.T) {
	inner := errors.New("inner")
	fe := &config.FieldError{Field: "F", Value: "v", Err: inner}
	if !errors.Is(fe, inner) || !strings.Contains(fe.Error(), `F="v"`) {
		t.Errorf("FieldError %q does not wrap or name its field", fe)
	}
}
