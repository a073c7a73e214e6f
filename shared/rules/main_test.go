package rules_test

import (
	"os"
	"testing"

	_ "github.com/gcguard/gcguard/shared/rules" // every rule registered, as in the sweep
	"github.com/gcguard/gcguard/shared/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { os.Exit(testkit.MotoMain(m, &moto)) }
