package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tartansim/tartansim/box"
	"github.com/tartansim/tartansim/sender"
)

// envAPIKey holds the key the consumer's calls to the mock Tartan API must
// carry.
const envAPIKey = "TARTAN_API_KEY"

// DemoAPIKey is the API key of the mock Tartan API when none is given. Like
// DemoKey it is public and protects nothing; it exists so that serve works
// with no flags on loopback.
const DemoAPIKey = "tartansim-demo-api-key"

// apiFlags are serve's flags for the mock Tartan API.
type apiFlags struct {
	apiKey      string
	apiKeyFile  string
	acceptAfter string
	employees   int
	apiFaults   string
}

func (f *apiFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.apiKey, "api-key", "", "the key the consumer's calls to the mock Tartan API carry, for local use ($"+envAPIKey+" or --api-key-file are safer); default: the public demo key "+DemoAPIKey)
	fl.StringVar(&f.apiKeyFile, "api-key-file", "", "read the API key from this file (trailing newline ignored)")
	fl.IntVar(&f.employees, "employees", box.DefaultEmployees, fmt.Sprintf("how many employees each corporate the mock Tartan API simulates has, 1 to %d (an invite's corporate_reference_data.employees sizes its own)", box.MaxEmployees))
	fl.StringVar(&f.apiFaults, "api-faults", "", "faults armed on the mock Tartan API from the start: faults separated by ';', each the keys of POST /_tartansim/api/faults as key=value separated by ',' (docs/api.md), e.g. endpoint=employee_list,status=429,retryAfter=2s,next=3")
	fl.StringVar(&f.acceptAfter, "accept-after", box.DefaultAcceptAfter.String(), "how long after an invite the simulated corporate accepts and its initial sync starts: a duration (0s: at once), or never (only from the control API)")
}

// key returns the API key: --api-key, --api-key-file, $TARTAN_API_KEY or
// the demo key, and whether it is the demo key. It is never printed.
func (f *apiFlags) key() (string, bool, error) {
	switch {
	case f.apiKey != "" && f.apiKeyFile != "":
		return "", false, usageErr("--api-key and --api-key-file both given; use one")
	case f.apiKey != "":
		return f.apiKey, false, nil
	case f.apiKeyFile != "":
		b, err := os.ReadFile(f.apiKeyFile)
		if err != nil {
			return "", false, usageErr("cannot read --api-key-file %s: %v", f.apiKeyFile, plainIOError(err))
		}
		k := strings.TrimRight(string(b), "\r\n")
		if k == "" {
			return "", false, usageErr("--api-key-file %s is empty", f.apiKeyFile)
		}
		return k, false, nil
	case os.Getenv(envAPIKey) != "":
		return os.Getenv(envAPIKey), false, nil
	}
	return DemoAPIKey, true, nil
}

// accept reads --accept-after.
func (f *apiFlags) accept() (time.Duration, error) {
	if f.acceptAfter == "never" {
		return box.Never, nil
	}
	d, err := time.ParseDuration(f.acceptAfter)
	if err != nil || d < 0 {
		return 0, usageErr("--accept-after %q is not a duration like 30s or 0s, or never", f.acceptAfter)
	}
	return d, nil
}

// boxOptions translates the flags of the mock Tartan API into the box's
// options; an API key that is the app key is refused, as Tartan issues
// two keys.
func (a *app) boxOptions(f apiFlags, apiKey string, seed uint64) ([]box.Option, error) {
	accept, err := f.accept()
	if err != nil {
		return nil, err
	}
	if f.employees < 1 || f.employees > box.MaxEmployees {
		return nil, usageErr("--employees is %d, but a corporate has 1 to %d employees", f.employees, box.MaxEmployees)
	}
	if appKey, ok, _ := a.common.appKey(); ok && string(appKey) == apiKey {
		return nil, usageErr("the API key is the app key that signs webhooks; Tartan issues two keys, so give serve two different ones")
	}
	tlsConfig, _ := a.common.tlsConfig() // serveOptions has checked it
	opts := []box.Option{box.Seed(seed), box.AcceptAfter(accept), box.Employees(f.employees), box.SenderOptions(sender.Timeout(a.common.timeout), sender.TLSConfig(tlsConfig))}
	if f.apiFaults != "" {
		faults, err := box.ParseAPIFaults(f.apiFaults)
		if err != nil {
			return nil, usageErr("--api-faults %q: %s.", f.apiFaults, plain(err))
		}
		opts = append(opts, box.ArmAPIFaults(faults...))
	}
	return opts, nil
}

// apiKeyWords says which key the API's calls carry, for serve's first
// lines; the key is never printed.
func apiKeyWords(demo bool) string {
	if demo {
		return "the public demo key of docs/api.md (set " + envAPIKey + " for your own)"
	}
	return "your API key"
}
