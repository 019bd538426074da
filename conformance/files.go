package conformance

import (
	"bytes"
	"embed"
	"strconv"
	"strings"
	"text/template"

	"github.com/tartansim/tartansim/scenarios"
	"github.com/tartansim/tartansim/show"
)

// files holds each check's scenario, checks/<id in lower case>.yaml.
//
//go:embed checks/*.yaml
var files embed.FS

// File is the name of the check's scenario file in the embedded catalogue,
// e.g. "checks/sig-valid.yaml".
func (c Check) File() string { return "checks/" + strings.ToLower(c.ID) + ".yaml" }

// Scenario returns the scenario the check plays with seed: its file, with
// {{hex .Seed}} replaced by the seed in hexadecimal (so that runs with
// other seeds never share a requestId the file spells out).
func (c Check) Scenario(seed uint64) (*scenarios.Scenario, error) {
	text, err := files.ReadFile(c.File())
	if err != nil {
		return nil, show.Refuse("conformance", "check %s has no scenario file: %w", c.ID, err)
	}
	tmpl, err := template.New(c.File()).Option("missingkey=error").
		Funcs(template.FuncMap{"hex": func(n uint64) string { return strconv.FormatUint(n, 16) }}).
		Parse(string(text))
	if err != nil {
		return nil, show.Refuse("conformance", "%s: %w", c.File(), err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct{ Seed uint64 }{seed}); err != nil {
		return nil, show.Refuse("conformance", "%s: %w", c.File(), err)
	}
	sc, err := scenarios.Parse(c.File(), b.Bytes())
	if err != nil {
		return nil, show.Refuse("conformance", "check %s: %w", c.ID, err)
	}
	return sc, nil
}
