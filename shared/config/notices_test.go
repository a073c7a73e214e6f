package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gcguard/gcguard/shared/config"
)

// TestNoticeLines: the system name, environment and contact every notice
// shows are read from the environment, round-trip through Env, and a
// multi-line or oversized value is refused with its variable named.
func TestNoticeLines(t *testing.T) {
	env := map[string]string{
		config.EnvAccount:     "123456789012",
		config.EnvSystemName:  " 住民記録システム ",
		config.EnvEnvironment: "本番",
		config.EnvContact:     "〇〇市 情報政策課（内線 1234）",
	}
	c, err := config.FromEnv(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SystemName != "住民記録システム" || c.Environment != "本番" || c.Contact != "〇〇市 情報政策課（内線 1234）" {
		t.Errorf("read %q %q %q", c.SystemName, c.Environment, c.Contact)
	}
	back := c.Env()
	for _, k := range []string{config.EnvSystemName, config.EnvEnvironment, config.EnvContact} {
		if back[k] != strings.TrimSpace(env[k]) {
			t.Errorf("Env()[%s] = %q", k, back[k])
		}
	}

	delete(env, config.EnvSystemName)
	c, err = config.FromEnv(func(k string) string { return env[k] }, nil)
	if err != nil || c.SystemName != "" {
		t.Fatalf("unset system name: %q, %v", c.SystemName, err)
	}
	if _, ok := c.Env()[config.EnvSystemName]; ok {
		t.Error("an unset line is written back")
	}

	for _, bad := range []string{"line one\nline two", strings.Repeat("長", config.NoticeLineMax+1)} {
		env[config.EnvContact] = bad
		_, err := config.FromEnv(func(k string) string { return env[k] }, nil)
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Field != config.EnvContact {
			t.Errorf("%.20q: err %v, want a FieldError naming %s", bad, err, config.EnvContact)
		}
	}
}
