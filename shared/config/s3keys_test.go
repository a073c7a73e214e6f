package config

import "testing"

func TestS3Keys(t *testing.T) {
	base := map[string]string{EnvAccount: "123456789012"}
	for _, tc := range []struct {
		value   string
		keep    bool
		wantErr bool
	}{
		{"", true, false},
		{S3KeysAnyCustomerManaged, true, false},
		{S3KeysGcguardOnly, false, false},
		{"gcguard", false, true},
	} {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		if tc.value != "" {
			env[EnvS3Keys] = tc.value
		}
		c, err := FromEnv(func(k string) string { return env[k] }, nil)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%q: err %v", tc.value, err)
		}
		if err != nil {
			continue
		}
		if c.KeepCustomerManagedKeys() != tc.keep {
			t.Errorf("%q: keep = %v", tc.value, c.KeepCustomerManagedKeys())
		}
		if got := c.Env()[EnvS3Keys]; got != tc.value {
			t.Errorf("%q: Env renders %q", tc.value, got)
		}
	}
}
