package scenarios

import (
	"embed"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tartansim/tartansim/show"
)

//go:embed builtin/*.yaml
var builtinFiles embed.FS

// builtinNames is the catalogue in the order Builtins lists it: from a
// first connection, through a week and a day of syncs, to the faults a
// consumer must survive, its end, attacks, quirks and several corporates.
// Each name has a file builtin/NAME.yaml.
var builtinNames = []string{
	"onboarding",
	"weekly-delta",
	"realtime-day",
	"eod-retry",
	"duplicates",
	"out-of-order",
	"termination",
	"signature-attacks",
	"payload-quirks",
	"multi-org",
}

// builtins are parsed once, when the package is initialised; a built-in
// that does not parse is a bug of tartansim, so it panics.
var builtins = parseBuiltins()

func parseBuiltins() []*Scenario {
	out := make([]*Scenario, 0, len(builtinNames))
	for _, name := range builtinNames {
		file := "builtin/" + name + ".yaml"
		data, err := builtinFiles.ReadFile(file)
		if err != nil {
			panic(fmt.Sprintf("scenarios: built-in %s: %v", name, err))
		}
		sc, err := Parse(file, data)
		if err != nil {
			panic(fmt.Sprintf("scenarios: built-in %s does not parse: %v", name, err))
		}
		if sc.Name != name {
			panic(fmt.Sprintf("scenarios: %s names itself %q", file, sc.Name))
		}
		out = append(out, sc)
	}
	return out
}

// ErrUnknownScenario is wrapped by Lookup's and Load's error for a name
// that is neither a built-in nor a file.
var ErrUnknownScenario = error(&show.Refusal{Pkg: "scenarios", Why: "unknown scenario"})

// Builtins returns the built-in scenarios in catalogue order: onboarding,
// weekly-delta, realtime-day, eod-retry, duplicates, out-of-order,
// termination, signature-attacks, payload-quirks, multi-org. Each is a
// fresh copy the caller may change. Their YAML sources (in the package's
// builtin folder) double as commented examples of the format.
func Builtins() []*Scenario {
	out := make([]*Scenario, len(builtins))
	for i, sc := range builtins {
		out[i] = sc.clone()
	}
	return out
}

// Lookup returns a fresh copy of the built-in scenario called name. An
// unknown name is an error wrapping ErrUnknownScenario that lists the known
// ones.
func Lookup(name string) (*Scenario, error) {
	i := slices.Index(builtinNames, name)
	if i < 0 {
		guess := ""
		if g := closest(name, builtinNames); g != "" {
			guess = fmt.Sprintf("; did you mean %q?", g)
		}
		return nil, fmt.Errorf("%w %q%s (built-ins: %s)", ErrUnknownScenario, name, guess, strings.Join(builtinNames, ", "))
	}
	return builtins[i].clone(), nil
}

// Load returns the scenario nameOrPath names: a path to a scenario file
// when it ends in .yaml or .yml or contains a slash, otherwise a built-in
// (see Lookup). File errors are as ParseFile's.
func Load(nameOrPath string) (*Scenario, error) {
	ext := strings.ToLower(filepath.Ext(nameOrPath))
	if ext == ".yaml" || ext == ".yml" || strings.ContainsAny(nameOrPath, `/\`) {
		return ParseFile(nameOrPath)
	}
	sc, err := Lookup(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("%w; a scenario file's name ends in .yaml or .yml", err)
	}
	return sc, nil
}

// clone returns a deep copy of s.
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Orgs = slices.Clone(s.Orgs)
	for i := range c.Orgs {
		c.Orgs[i].Omit = slices.Clone(s.Orgs[i].Omit)
	}
	c.Steps = slices.Clone(s.Steps)
	for i := range c.Steps {
		st := &c.Steps[i]
		st.Invite = clonePtr(st.Invite)
		st.InitialSync = clonePtr(st.InitialSync)
		st.DeltaSync = clonePtr(st.DeltaSync)
		st.RealtimeSync = clonePtr(st.RealtimeSync)
		st.Terminate = clonePtr(st.Terminate)
		st.EOD = clonePtr(st.EOD)
		st.Event = clonePtr(st.Event)
		st.Faults = slices.Clone(st.Faults)
		for j := range st.Faults {
			st.Faults[j].Webhooks = slices.Clone(st.Faults[j].Webhooks)
		}
		st.Overrides = slices.Clone(st.Overrides)
		for j := range st.Overrides {
			st.Overrides[j].Webhooks = slices.Clone(st.Overrides[j].Webhooks)
		}
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
