package config

// s3Keys: which default-encryption keys a bucket may keep.
const (
	EnvS3Keys = "GCGUARD_S3_KEYS"
	// S3KeysAnyCustomerManaged (default): an enabled customer-managed key
	// of the bucket's account and region is kept; gcguard's key is set
	// only where the bucket has no such key.
	S3KeysAnyCustomerManaged = "any-customer-managed"
	// S3KeysGcguardOnly: every bucket uses the region's gcguard key.
	S3KeysGcguardOnly = "gcguard-only"
)

// KeepCustomerManagedKeys reports whether a bucket's own enabled
// customer-managed key of the same account and region is compliant.
func (c *Config) KeepCustomerManagedKeys() bool { return c.S3Keys != S3KeysGcguardOnly }

func validS3Keys(v string) bool {
	return v == "" || v == S3KeysAnyCustomerManaged || v == S3KeysGcguardOnly
}
