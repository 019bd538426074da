package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// badFiles are the files of testdata/bad, each with the exact error Parse
// gives and whether the JSON Schema catches it too (see schema_test.go).
var badFiles = []struct {
	file, want string
	schema     schemaVerdict
}{
	{"syntax.yaml", `syntax.yaml:4:1: invalid YAML: ',' or ']' must be specified`, schemaUnreadable},
	{"duplicate-key.yaml", `duplicate-key.yaml:8:1: duplicate key "name" (first at line 2)`, schemaUnreadable},
	{"empty.yaml", `empty.yaml:1:1: the file is empty; a scenario has a name, orgs and steps`, schemaFails},
	{"missing-name.yaml", `missing-name.yaml:1:1: name: missing name: name the scenario in lower-case words joined by hyphens, e.g. weekly-delta`, schemaFails},
	{"unknown-field.yaml", `unknown-field.yaml:14:7: steps[2].delta-sync.leaverz: unknown field "leaverz"; did you mean "leavers"?`, schemaFails},
	{"unknown-fault-field.yaml", `unknown-fault-field.yaml:10:9: steps[0].faults[0].copys: unknown field "copys"; did you mean "copies"?`, schemaFails},
	{"unknown-override-field.yaml", `unknown-override-field.yaml:9:9: steps[0].overrides[0].replace: unknown field "replace" (known: set, add, unset, webhooks)`, schemaFails},
	{"wrong-type.yaml", `wrong-type.yaml:5:16: orgs[0].employees: want a whole number, got "many"`, schemaFails},
	{"quoted-number.yaml", `quoted-number.yaml:5:16: orgs[0].employees: want a whole number, got "50"`, schemaFails},
	{"unknown-action.yaml", `unknown-action.yaml:8:5: steps[0].reconnect: unknown field "reconnect" (a step's action is one of invite, initial-sync, delta-sync, realtime-sync, terminate, eod or event; its other fields are at, faults, concurrency, layout and overrides)`, schemaFails},
	{"no-action.yaml", `no-action.yaml:9:5: steps[1]: step does nothing; give it one action: invite, initial-sync, delta-sync, realtime-sync, terminate, eod or event`, schemaFails},
	{"two-actions.yaml", `two-actions.yaml:9:5: steps[0]: step has both invite and terminate; a step does one thing`, schemaFails},
	{"unknown-org.yaml", `unknown-org.yaml:8:25: steps[1].initial-sync.org: unknown org "crop"; did you mean "corp"?`, schemaPasses},
	{"duplicate-org.yaml", `duplicate-org.yaml:6:9: orgs[1].id: duplicate org id "corp" (orgs[0] has it too)`, schemaPasses},
	{"bad-at.yaml", `bad-at.yaml:7:9: steps[0].at: bad time "day 1 25:00": hour 25 is out of range (00 to 23)`, schemaFails},
	{"backwards.yaml", `backwards.yaml:9:9: steps[1].at: day 1 09:30:00 is before the step above it (day 1 10:00:00); time only goes forward`, schemaPasses},
	{"unknown-fault.yaml", `unknown-fault.yaml:9:15: steps[0].faults[0].type: unknown fault type "dorp"; did you mean "drop"?`, schemaFails},
	{"bad-selector.yaml", `bad-selector.yaml:9:33: steps[0].faults[0].webhooks[0]: bad webhook selector "0": want a position (1 is the step's first webhook), first, last or all`, schemaFails},
	{"selector-out-of-range.yaml", `selector-out-of-range.yaml:9:36: steps[0].faults[0].webhooks[1]: webhook 5 is out of range: this step sends 4 webhooks (1 sync.events.initiated, 3 sync.events.employee.add/initial)`, schemaPasses},
	{"bad-signature.yaml", `bad-signature.yaml:9:38: steps[0].faults[0].signature: unknown signature variant "forged" (want missing, empty, wrong-key, near-miss or truncated)`, schemaFails},
	{"bad-case.yaml", `bad-case.yaml:9:35: steps[0].faults[0].case: unknown header case "camel" (want canonical or upper)`, schemaFails},
	{"bad-delay.yaml", `bad-delay.yaml:9:30: steps[0].faults[0].delay: 90 has no unit; write a duration such as 90s, 2m or 1h30m`, schemaFails},
	{"bad-layout.yaml", `bad-layout.yaml:3:9: layout: unknown layout "pretty" (want compact, python or indented)`, schemaFails},
	{"employees-range.yaml", `employees-range.yaml:5:16: orgs[0].employees: employees must be from 1 to 100000, got 0`, schemaFails},
	{"bad-event-kind.yaml", `bad-event-kind.yaml:7:19: steps[0].event.kind: unknown event kind "connection.events.accept"; did you mean "connection.events.accepted"?`, schemaFails},
	{"too-many-leavers.yaml", `too-many-leavers.yaml:8:38: steps[1].delta-sync.leavers: 6 leavers, but org "corp" has 5 active employees by then`, schemaPasses},
	{"override-nomatch.yaml", `override-nomatch.yaml:10:14: steps[0].overrides[0].set: set body[0].nmae=Zoë matches nothing in the webhooks it applies to (sync.events.employee.add/initial): path "body[0].nmae" matches nothing: body[0] has no key "nmae" (keys: aadhar, bankDetails, …`, schemaPasses},
}

type schemaVerdict int

const (
	schemaFails      schemaVerdict = iota // the schema rejects the file too
	schemaPasses                          // only Parse can tell (references, time, positions, paths)
	schemaUnreadable                      // not YAML that converts to JSON
)

func TestParseBadFiles(t *testing.T) {
	listed := map[string]bool{}
	for _, tt := range badFiles {
		listed[tt.file] = true
		data, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(tt.file, data)
		var fe *FileError
		switch {
		case !errors.As(err, &fe):
			t.Errorf("%s: want a *FileError, got %v", tt.file, err)
		case !errors.Is(err, ErrInvalid):
			t.Errorf("%s: error does not wrap ErrInvalid", tt.file)
		case !matches(err, tt.want):
			t.Errorf("%s:\n got: %s\nwant: %s", tt.file, err, tt.want)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected error in badFiles", f)
		}
	}
}

// TestParseErrors covers the rules the bad files do not.
func TestParseErrors(t *testing.T) {
	const head = "name: x\norgs:\n  - {id: corp, employees: 30}\n  - {id: small, employees: 1, omit: [pan]}\nsteps:\n"
	tests := []struct{ name, steps, want string }{
		{"second document", "  - invite: {org: corp}\n---\nname: y\n", "t.yaml:8:1: a second YAML document: a file holds one scenario"},
		{"three actions", "  - {invite: {org: corp}, eod: {}, terminate: {org: corp}}\n", "t.yaml:6:36: steps[0]: step has invite, terminate and eod; a step does one thing"},
		{"action without org", "  - invite:\n", "t.yaml:6:5: steps[0].invite.org: missing org: say which org, e.g. org: corp"},
		{"a list for a mapping", "  - invite: [corp]\n", "t.yaml:6:13: steps[0].invite: want a mapping (key: value lines), got a list"},
		{"a float count", "  - delta-sync: {org: corp, joiners: 1.5}\n", "t.yaml:6:38: steps[0].delta-sync.joiners: want a whole number, got 1.5"},
		{"negative count", "  - delta-sync: {org: corp, joiners: -1}\n", "t.yaml:6:38: steps[0].delta-sync.joiners: joiners must be from 0 to 100000, got -1"},
		{"one employee changed twice", "  - delta-sync: {org: small, promotions: 1, leavers: 1}\n", "t.yaml:6:5: steps[0].delta-sync: 2 changes (promotions, transfers, manager-changes and leavers), but org \"small\" has 1 active employees by then, and each change is to a different one"},
		{"empty realtime", "  - realtime-sync: {org: corp}\n", "t.yaml:6:5: steps[0].realtime-sync: a realtime-sync reports at least one change: set joiners, promotions, transfers, manager-changes or leavers"},
		{"signature without variant", "  - invite: {org: corp}\n    faults: [{type: signature}]\n", "t.yaml:7:14: steps[0].faults[0]: a signature fault needs signature: missing, empty, wrong-key, near-miss or truncated"},
		{"signature on a drop", "  - invite: {org: corp}\n    faults: [{type: drop, signature: empty}]\n", "t.yaml:7:38: steps[0].faults[0].signature: signature is for faults of type signature, not drop"},
		{"lower case", "  - invite: {org: corp}\n    faults: [{type: header-case, case: lower}]\n", "t.yaml:7:40: steps[0].faults[0].case: lower is how Tartan spells the header already; want canonical or upper"},
		{"delay without delay", "  - invite: {org: corp}\n    faults: [{type: delay}]\n", "t.yaml:7:14: steps[0].faults[0]: a delay fault needs a delay of more than 0, e.g. delay: 2m"},
		{"copies on a drop", "  - invite: {org: corp}\n    faults: [{type: drop, copies: 2}]\n", "t.yaml:7:35: steps[0].faults[0].copies: copies is for faults of type duplicate or duplicate-concurrent, not drop"},
		{"reorder of one", "  - invite: {org: corp}\n    faults: [{type: reorder}]\n", "t.yaml:7:14: steps[0].faults[0]: reorder changes the order of the webhooks it selects, and it selects 1"},
		{"eod overrides", "  - eod:\n    overrides: [{set: message=x}]\n", "t.yaml:7:5: steps[0].overrides: an eod re-sends the identical bytes of failed webhooks; it takes no overrides"},
		{"eod faults", "  - eod:\n    faults: [{type: drop}]\n", "t.yaml:7:5: steps[0].faults: an eod re-sends failed webhooks as they were; it takes no faults"},
		{"eod step concurrency", "  - eod:\n    concurrency: 4\n", "t.yaml:7:18: steps[0].concurrency: an eod's concurrency goes under eod, e.g. eod: {concurrency: 4}"},
		{"empty override", "  - invite: {org: corp}\n    overrides: [{webhooks: [1]}]\n", "t.yaml:7:17: steps[0].overrides[0]: override does nothing; give it one of set: PATH=VALUE, add: PATH=VALUE or unset: PATH"},
		{"two operations", "  - invite: {org: corp}\n    overrides: [{set: a=1, unset: b}]\n", "t.yaml:7:17: steps[0].overrides[0]: override has both set and unset; write one override per change"},
		{"bad path", "  - invite: {org: corp}\n    overrides: [{unset: 'body[0'}]\n", "t.yaml:7:25: steps[0].overrides[0].unset: bad path \"body[0\": missing ]…"},
		{"wrong value type", "  - initial-sync: {org: corp}\n    overrides: [{set: webhookCounter=two}]\n", "t.yaml:7:23: steps[0].overrides[0].set: override webhookCounter: the value there is a number, and \"two\" is not JSON…"},
		{"omitted key", "  - initial-sync: {org: small}\n    overrides: [{set: 'body[0].pan=X', webhooks: [2]}]\n", "t.yaml:7:23: steps[0].overrides[0].set: set body[0].pan=X matches nothing in the webhooks it applies to (sync.events.employee.add/initial): path \"body[0].pan\" matches nothing: body[0] has no key \"pan\" (keys: aadhar, bankDetails, bloodGroup, companyName, costCenter, countryCode, currentAddress, department, dependentDetails, designation, dob, doj, email, employeeId, employeeMetadata, employmentType, fatherName, gender, grade, groupName, id, jobLocation, manager, managerEmail, managerEmail2, managerEmail3, managerEmail4, managerEmail5, maritalStatus, mobileNumber, name, nationality, permanentAddress, personalEmail, status, terminationDate, uan)"},
		{"employee kind as event", "  - event: {kind: sync.events.employee.update, org: corp}\n", "t.yaml:6:19: steps[0].event.kind: sync.events.employee.update is sent by initial-sync, delta-sync and realtime-sync steps, not by event"},
		{"remark before a sync", "  - event: {kind: record.employee.remark, org: corp}\n", "t.yaml:6:5: steps[0].event: org \"corp\" has no employees to remark on yet: sync it first"},
		{"unknown alias", "  - invite: *nothing\n", "t.yaml:6:13: steps[0].invite: alias *nothing refers to no anchor &nothing above it"},
		{"delay of a number", "  - invite: {org: corp}\n    faults: [{type: delay, delay: soon}]\n", "t.yaml:7:35: steps[0].faults[0].delay: \"soon\" is not a duration; write e.g. 90s, 2m or 1h30m"},
	}
	for _, tt := range tests {
		_, err := Parse("t.yaml", []byte(head+tt.steps))
		if !matches(err, tt.want) {
			t.Errorf("%s:\n got: %v\nwant: %s", tt.name, err, tt.want)
		}
	}
}

// matches reports whether err reads want, or starts with want less its
// final "…" (for messages that end with another package's words).
func matches(err error, want string) bool {
	if err == nil {
		return false
	}
	if prefix, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(err.Error(), prefix)
	}
	return err.Error() == want
}

func TestParseTopLevelErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"- a\n- b\n", "t.yaml:1:1: want a mapping (key: value lines), got a list"},
		{"name: x\n", "t.yaml:1:1: orgs: a scenario needs at least one org, e.g. orgs: [{id: corp, employees: 50}]"},
		{"name: x\norgs: [{id: c, employees: 1}]\nsteps: ~\n", "t.yaml:3:1: steps: a scenario needs at least one step"},
		{"name: Weekly Delta\n", `t.yaml:1:7: name: name "Weekly Delta" is not lower-case words joined by hyphens (e.g. weekly-delta) of at most 64 characters`},
		{"name: x\nseed: -1\n", "t.yaml:2:7: seed: want a whole number of 0 or more, got -1"},
		{"name: x\nfile: y.yaml\n", `t.yaml:2:1: file: unknown field "file" (known: name, description, seed, layout, orgs, steps)`},
		{"name: x\norgs: [{id: c, employees: 1, omit: [id]}]\n", "t.yaml:2:37: orgs[0].omit[0]: id identifies an employee; Tartan always delivers it"},
		{"name: x\norgs: [{id: c, employees: 1, codes: roman}]\n", `t.yaml:2:37: orgs[0].codes: unknown codes "roman" (want numeric or alphanumeric, or leave it out to let the seed choose)`},
		{"name: x\norgs: [{id: 'a b', employees: 1}]\n", `t.yaml:2:13: orgs[0].id: org id "a b": use letters, digits, - and _ (at most 64 characters)`},
	}
	for _, tt := range tests {
		_, err := Parse("t.yaml", []byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got: %v\nwant: %s", tt.in, err, tt.want)
		}
	}
}

func TestParseExample(t *testing.T) {
	sc, err := ParseFile(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.File != filepath.Join("testdata", "example.yaml") || sc.Name != "example-onboarding" || sc.Seed != 42 {
		t.Errorf("File %q, Name %q, Seed %d", sc.File, sc.Name, sc.Seed)
	}
	for i, st := range sc.Steps {
		if st.Line < 1 {
			t.Errorf("steps[%d] has no Line", i)
		}
	}
	if got := sc.Steps[0].Line; got != 37 {
		t.Errorf("steps[0].Line = %d, want 37", got)
	}
	last := sc.Steps[len(sc.Steps)-1]
	if last.EOD == nil || *last.EOD != (EOD{}) {
		t.Errorf("a bare eod: is an EOD with defaults, got %+v", last.EOD)
	}
	if f := sc.Steps[3].Faults[0]; f.Type != "delay" || f.Delay != Duration(2*time.Minute) {
		t.Errorf("delay fault: %+v", f)
	}
	if !slices.Equal(sc.Orgs[0].Omit, []string{"bloodGroup", "dependentDetails"}) || sc.Orgs[0].Codes != "alphanumeric" {
		t.Errorf("org: %+v", sc.Orgs[0])
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("a parsed scenario validates: %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	sc, err := Parse("d.yaml", []byte(`
name: defaults
orgs: [{id: corp, employees: 25}]
steps:
  - initial-sync: {org: corp}
    faults:
      - {type: duplicate, webhooks: [2]}
      - {type: duplicate-concurrent, webhooks: [3], copies: 3}
      - {type: drop, webhooks: [first]}
  - eod:
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Layout != "compact" {
		t.Errorf("Layout %q, want compact", sc.Layout)
	}
	var copies []int
	for _, f := range sc.Steps[0].Faults {
		copies = append(copies, f.Copies)
	}
	if !slices.Equal(copies, []int{1, 3, 0}) {
		t.Errorf("copies %v, want [1 3 0]", copies)
	}
	if sc.Steps[0].At != "" || sc.Steps[1].EOD == nil {
		t.Errorf("steps: %+v", sc.Steps)
	}
}

func TestParseAnchorsAndMerges(t *testing.T) {
	sc, err := Parse("a.yaml", []byte(`
name: anchors
orgs: [{id: corp, employees: 25}]
steps:
  - at: day 1 10:00
    initial-sync: &corp {org: corp}
    faults: &forged
      - {type: signature, signature: near-miss, webhooks: [1]}
  - at: +1h
    realtime-sync: {<<: *corp, promotions: 1}
    faults: *forged
`))
	if err != nil {
		t.Fatal(err)
	}
	if d := sc.Steps[1].RealtimeSync; d.Org != "corp" || d.Promotions != 1 || sc.Steps[1].Faults[0].Signature != "near-miss" {
		t.Errorf("aliases: %+v %+v", d, sc.Steps[1].Faults)
	}
	_, err = Parse("a.yaml", []byte("name: anchors\norgs: [{id: corp, employees: 25}]\nsteps:\n  - invite: {<<: {org: corp, orgz: x}}\n"))
	if err == nil || err.Error() != `a.yaml:4:30: steps[0].invite.orgz: unknown field "orgz"; did you mean "org"?` {
		t.Errorf("merged unknown field: %v", err)
	}
}

func TestParseFileErrors(t *testing.T) {
	_, err := ParseFile(filepath.Join("testdata", "no-such.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: %v", err)
	}
	_, err = Parse("big.yaml", []byte(strings.Repeat("#", maxFileSize+1)))
	if err == nil || err.Error() != "big.yaml:1:1: the file is 1048577 bytes; a scenario file has at most 1048576" {
		t.Errorf("big file: %v", err)
	}
}

func TestFileErrorFormat(t *testing.T) {
	tests := []struct {
		e    FileError
		want string
	}{
		{FileError{"w.yaml", 14, 7, "steps[2].delta-sync.leaverz", `unknown field "leaverz"`}, `w.yaml:14:7: steps[2].delta-sync.leaverz: unknown field "leaverz"`},
		{FileError{"w.yaml", 4, 1, "", "invalid YAML: x"}, `w.yaml:4:1: invalid YAML: x`},
		{FileError{"", 12, 0, "steps[3]", "m"}, `line 12: steps[3]: m`},
		{FileError{"", 0, 0, "name", "m"}, `name: m`},
		{FileError{"g.yaml", 0, 0, "", "m"}, `g.yaml: m`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestValidateBuiltInGo(t *testing.T) {
	sc := &Scenario{
		Name: "go-built",
		Orgs: []Org{{ID: "corp", Employees: 30}},
		Steps: []Step{
			{At: "day 1 10:00", InitialSync: &OrgRef{Org: "corp"}},
			{At: "day 1 23:59", EOD: &EOD{}, Line: 9},
		},
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	sc.Steps[1].Invite = &OrgRef{Org: "corp"}
	err := sc.Validate()
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 9 || err.Error() != "line 9: steps[1]: step has both invite and eod; a step does one thing" {
		t.Errorf("got %v", err)
	}
	sc.Steps[1] = Step{DeltaSync: &OrgDelta{Org: "corp"}, Overrides: []Override{{Set: "body[0].newRecords=x"}}}
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), `the value there is a number, and "x" is not JSON`) {
		t.Errorf("override value check: %v", err)
	}
}
