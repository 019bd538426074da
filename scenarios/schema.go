package scenarios

import (
	_ "embed"
	"slices"
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of scenario files, for
// editors: with the YAML language server, a first line
//
//	# yaml-language-server: $schema=PATH/TO/schema.json
//
// gives completion and checks as you type. The schema says what a file's
// fields and values may be; Parse checks more (orgs that exist, time that
// goes forward, webhook positions that exist, overrides that match). The
// slice is a copy.
func Schema() []byte { return slices.Clone(schemaJSON) }
