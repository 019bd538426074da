package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// asJSON converts a YAML file into the JSON value the schema sees.
func asJSON(data []byte) (any, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(j))
}

func TestSchemaAcceptsGoodFiles(t *testing.T) {
	sch := compileSchema(t)
	files := []string{filepath.Join("testdata", "example.yaml")}
	for _, name := range builtinNames {
		files = append(files, filepath.Join("builtin", name+".yaml"))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := asJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSchemaOnBadFiles(t *testing.T) {
	sch := compileSchema(t)
	for _, tt := range badFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		v, err := asJSON(data)
		if tt.schema == schemaUnreadable {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		err = sch.Validate(v)
		switch {
		case tt.schema == schemaFails && err == nil:
			t.Errorf("%s: the schema accepts it", tt.file)
		case tt.schema == schemaPasses && err != nil:
			t.Errorf("%s: the schema rejects what only Parse can tell: %v", tt.file, err)
		}
	}
}

// TestSchemaMatchesTheModel keeps schema.json in step with the Go types and
// the lists Parse checks against.
func TestSchemaMatchesTheModel(t *testing.T) {
	var s struct {
		Properties map[string]json.RawMessage
		Defs       map[string]map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	keys := func(raw json.RawMessage) []string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(xs []string) []string { xs = slices.Clone(xs); slices.Sort(xs); return xs }
	var top []string
	for k := range s.Properties {
		top = append(top, k)
	}
	if got, want := sorted(top), sorted(yamlNames(reflect.TypeOf(Scenario{}))); !slices.Equal(got, want) {
		t.Errorf("top level: schema %v, Go %v", got, want)
	}
	eod := s.Defs["eod"]["anyOf"]
	var eodAlts []map[string]json.RawMessage
	_ = json.Unmarshal(eod, &eodAlts)
	for def, typ := range map[string]any{"org": Org{}, "orgRef": OrgRef{}, "delta": OrgDelta{}, "event": SingleEvent{}, "fault": FaultSpec{}, "override": Override{}, "step": Step{}} {
		if got, want := keys(s.Defs[def]["properties"]), sorted(yamlNames(reflect.TypeOf(typ))); !slices.Equal(got, want) {
			t.Errorf("%s: schema %v, Go %v", def, got, want)
		}
	}
	if got := keys(eodAlts[1]["properties"]); !slices.Equal(got, yamlNames(reflect.TypeOf(EOD{}))) {
		t.Errorf("eod: schema %v", got)
	}

	enum := func(raw json.RawMessage) []string {
		var e struct{ Enum []string }
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		return e.Enum
	}
	prop := func(def, name string) json.RawMessage {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(s.Defs[def]["properties"], &m)
		return m[name]
	}
	var layouts, omit []string
	for _, l := range wire.Layouts() {
		layouts = append(layouts, l.String())
	}
	for _, k := range fixtures.RecordKeys {
		if k != "id" && k != "employeeId" {
			omit = append(omit, k)
		}
	}
	var omitItems struct{ Items json.RawMessage }
	_ = json.Unmarshal(prop("org", "omit"), &omitItems)
	var actions []string
	var oneOf []struct{ Required []string }
	_ = json.Unmarshal(s.Defs["step"]["oneOf"], &oneOf)
	for _, o := range oneOf {
		actions = append(actions, o.Required...)
	}
	lists := []struct {
		name          string
		schema, model []string
	}{
		{"fault types", enum(prop("fault", "type")), faultTypes},
		{"signature variants", enum(prop("fault", "signature")), signatureVariants},
		{"header cases", enum(prop("fault", "case")), headerCases},
		{"codes", enum(prop("org", "codes")), codeStyles},
		{"layouts", enum(mustJSON(s.Defs["layout"])), layouts},
		{"omit", enum(omitItems.Items), omit},
		{"event kinds", enum(prop("event", "kind")), eventKinds()},
		{"step actions", actions, stepActions},
	}
	for _, l := range lists {
		if !slices.Equal(l.schema, l.model) {
			t.Errorf("%s: schema %v, Go %v", l.name, l.schema, l.model)
		}
	}
	for _, v := range signatureVariants {
		if _, err := sender.ParseSignature(v); err != nil {
			t.Errorf("sender does not know signature %q: %v", v, err)
		}
	}
	for _, c := range headerCases {
		if _, err := sender.ParseHeaderCase(c); err != nil {
			t.Errorf("sender does not know header case %q: %v", c, err)
		}
	}
}

func mustJSON(m map[string]json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(m)
	return b
}

func TestSchemaInline(t *testing.T) {
	sch := compileSchema(t)
	const head = "name: s\norgs: [{id: corp, employees: 10}]\nsteps:\n"
	tests := []struct {
		steps string
		valid bool
	}{
		{"  - {at: '+7d', invite: {org: corp}, faults: [{type: drop, webhooks: [first]}]}\n", true},
		{"  - eod:\n", true},
		{"  - eod: {concurrency: 4}\n", true},
		{"  - eod:\n    faults: [{type: drop}]\n", false},
		{"  - eod:\n    concurrency: 4\n", false},
		{"  - invite: {org: corp}\n    faults: [{type: drop, copies: 2}]\n", false},
		{"  - invite: {org: corp}\n    faults: [{type: delay}]\n", false},
		{"  - invite: {org: corp}\n    faults: [{type: delay, delay: 90s}]\n", true},
		{"  - invite: {org: corp}\n    overrides: [{set: a=1, unset: b}]\n", false},
		{"  - realtime-sync: {org: corp}\n", false},
		{"  - {at: 'day 1 9:5', invite: {org: corp}}\n", false},
	}
	for _, tt := range tests {
		v, err := asJSON([]byte(head + tt.steps))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); (err == nil) != tt.valid {
			t.Errorf("%q: valid %v, schema says %v", tt.steps, tt.valid, err)
		}
		if _, err := Parse("s.yaml", []byte(head+tt.steps)); (err == nil) != tt.valid {
			t.Errorf("%q: valid %v, Parse says %v", tt.steps, tt.valid, err)
		}
	}
}
