// Package deployconfig is the CDK app's name for the account's configuration
// file. The file model and its validation live in shared/deployfile so the
// CLI (`gcguard config check`, `--config FILE`) reads the file exactly as a
// synth does; this package keeps the names the infra code uses.
package deployconfig

import "github.com/gcguard/gcguard/shared/deployfile"

// USEast1 is where IAM events reach EventBridge.
const USEast1 = deployfile.USEast1

type (
	File        = deployfile.File
	Notices     = deployfile.Notices
	Chatbot     = deployfile.Chatbot
	KeyChoice   = deployfile.KeyChoice
	S3KeyGrants = deployfile.S3KeyGrants
	Canary      = deployfile.Canary
	Notifier    = deployfile.Notifier
	FieldError  = deployfile.FieldError
	Resources   = deployfile.Resources
)

// IAM event sources.
const (
	SourceEventBridge = deployfile.SourceEventBridge
	SourceLogs        = deployfile.SourceLogs
)

// Defaults.
const (
	DefaultRetentionDays = deployfile.DefaultRetentionDays
	DefaultCanaryHours   = deployfile.DefaultCanaryHours
	DefaultHoldMaxHours  = deployfile.DefaultHoldMaxHours
)

// Load reads, defaults and validates the file.
func Load(path string, rules []string) (*File, error) { return deployfile.Load(path, rules) }

// Parse is Load without the file.
func Parse(raw []byte, rules []string) (*File, error) { return deployfile.Parse(raw, rules) }
