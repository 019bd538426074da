package scenarios

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuiltins(t *testing.T) {
	got := Builtins()
	var names []string
	for _, sc := range got {
		names = append(names, sc.Name)
	}
	if !slices.Equal(names, builtinNames) {
		t.Errorf("Builtins() = %v, want %v", names, builtinNames)
	}
	files, err := fs.Glob(builtinFiles, "builtin/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !slices.Contains(builtinNames, name) {
			t.Errorf("%s is not in the catalogue order", f)
		}
	}
	if len(files) != len(builtinNames) {
		t.Errorf("%d files for %d names", len(files), len(builtinNames))
	}
	for _, sc := range got {
		if sc.Description == "" || sc.File != "builtin/"+sc.Name+".yaml" || sc.Layout == "" {
			t.Errorf("%s: Description %q, File %q, Layout %q", sc.Name, sc.Description, sc.File, sc.Layout)
		}
		if err := sc.Validate(); err != nil {
			t.Errorf("%s: %v", sc.Name, err)
		}
		if last := sc.Steps[len(sc.Steps)-1]; last.EOD == nil {
			t.Errorf("%s: does not end with an eod, so failures would stay pending", sc.Name)
		}
	}
}

// TestBuiltinShapes pins what each built-in promises in its comments.
func TestBuiltinShapes(t *testing.T) {
	count := func(name string, f func(Step) bool) int {
		sc, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, st := range sc.Steps {
			if f(st) {
				n++
			}
		}
		return n
	}
	hasFault := func(typ string) func(Step) bool {
		return func(st Step) bool {
			return slices.ContainsFunc(st.Faults, func(f FaultSpec) bool { return string(f.Type) == typ })
		}
	}
	if sc, _ := Lookup("onboarding"); sc.Orgs[0].Employees != 105 {
		t.Errorf("onboarding has %d employees, want 105", sc.Orgs[0].Employees)
	}
	if n := count("realtime-day", func(st Step) bool { return st.RealtimeSync != nil }); n != 8 {
		t.Errorf("realtime-day has %d realtime syncs, want 8", n)
	}
	if n := count("signature-attacks", hasFault("signature")); n != 2 {
		t.Errorf("signature-attacks: %d steps with signature faults", n)
	}
	if sc, _ := Lookup("multi-org"); len(sc.Orgs) != 3 || sc.Steps[len(sc.Steps)-1].EOD.Concurrency != 8 {
		t.Errorf("multi-org: %d orgs", len(sc.Orgs))
	}
	for name, typ := range map[string]string{"eod-retry": "ack-lost", "duplicates": "duplicate-concurrent", "out-of-order": "shuffle"} {
		if count(name, hasFault(typ)) == 0 {
			t.Errorf("%s has no %s fault", name, typ)
		}
	}
	if count("termination", func(st Step) bool { return st.Terminate != nil }) != 1 {
		t.Error("termination does not terminate")
	}
	if count("payload-quirks", func(st Step) bool { return st.Event != nil && st.Event.Kind == "connection.events.accepted" }) != 1 {
		t.Error("payload-quirks sends no connection.events.accepted")
	}
}

func TestBuiltinCopiesAreFresh(t *testing.T) {
	a, _ := Lookup("eod-retry")
	a.Orgs[0].Employees = 1
	a.Steps[1].Faults[0].Webhooks[0] = "9"
	a.Steps[1].InitialSync.Org = "other"
	b, _ := Lookup("eod-retry")
	if b.Orgs[0].Employees != 70 || b.Steps[1].Faults[0].Webhooks[0] != "2" || b.Steps[1].InitialSync.Org != "corp" {
		t.Errorf("a change to one copy shows in another: %+v", b.Steps[1])
	}
}

func TestBuiltinLookupAndLoad(t *testing.T) {
	_, err := Lookup("eod-retyr")
	want := `scenarios: unknown scenario "eod-retyr"; did you mean "eod-retry"? (built-ins: onboarding, weekly-delta, realtime-day, eod-retry, duplicates, out-of-order, termination, signature-attacks, payload-quirks, multi-org)`
	if !errors.Is(err, ErrUnknownScenario) || err.Error() != want {
		t.Errorf("Lookup:\n got: %v\nwant: %s", err, want)
	}
	if _, err := Load("nothing"); !errors.Is(err, ErrUnknownScenario) || !strings.HasSuffix(err.Error(), "; a scenario file's name ends in .yaml or .yml") {
		t.Errorf("Load(nothing): %v", err)
	}
	if sc, err := Load("termination"); err != nil || sc.Name != "termination" {
		t.Errorf("Load(termination): %v", err)
	}
	if sc, err := Load(filepath.Join("testdata", "example.yaml")); err != nil || sc.Name != "example-onboarding" {
		t.Errorf("Load(example): %v", err)
	}
	_, err = Load(filepath.Join("testdata", "bad", "unknown-org.yaml"))
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != filepath.Join("testdata", "bad", "unknown-org.yaml") || fe.Line != 8 {
		t.Errorf("Load(bad file): %v", err)
	}
	if _, err := Load("missing.yml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing.yml): %v", err)
	}
}
