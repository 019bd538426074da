package main

import (
	"os"
	"testing"
)

// childEnv set to 1 makes the test binary tartansim itself, with the
// command line it is started with: the crash specs start it as a child
// process and kill it, so they need no build step and run the very code
// under test.
const childEnv = "TARTANSIM_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}
