package box

import (
	"fmt"
	"slices"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

// Data model flag values: what a field is to the integrator.
const (
	FlagRequired = -1
	FlagDisabled = 0
	FlagOptional = 1
)

// flagGroup is one group of data_model_flags and its fields' defaults.
type flagGroup struct {
	name   string
	fields []string
	// key is the record key the whole group stands for ("" for groups of
	// top-level keys, or of data the box never sends).
	key string
}

var flagGroups = []flagGroup{
	{name: "detail_info_fields", fields: detailFields()},
	{name: "bank_details_fields", fields: []string{"accountNumber", "ifscCode", "bankName"}, key: "bankDetails"},
	{name: "dependent_details_fields", fields: []string{"name", "relation", "dob", "email", "gender", "mobileNumber", "profession"}, key: "dependentDetails"},
	{name: "ctc_details_fields", fields: []string{"ctc", "fixedPay", "variablePay"}},
	{name: "salary_monthly_details_fields", fields: []string{"grossSalary", "netSalary", "deductions"}},
}

// requiredFields are the detail fields flagged required by default; the
// rest are optional. employeeId cannot be disabled: the consumer keys on it.
var requiredFields = []string{"id", "employeeId", "name", "status", "doj"}

// detailFields are the top-level record keys, but the nested groups.
func detailFields() []string {
	var out []string
	for _, k := range fixtures.RecordKeys {
		if k != "bankDetails" && k != "dependentDetails" {
			out = append(out, k)
		}
	}
	return out
}

// defaultFlag is a field's flag when the invite does not set it.
func defaultFlag(group, field string) int {
	if group == "detail_info_fields" && slices.Contains(requiredFields, field) {
		return FlagRequired
	}
	return FlagOptional
}

// fieldSet turns an invite's data_model_flags into the org's field set and
// its flags as data_model_flags shows them (every group, defaults filled in).
// An unknown group or field, a value not -1, 0 or 1, or employeeId
// disabled is a *fieldError naming it.
func fieldSet(in map[string]map[string]int) (fixtures.FieldSet, *wire.Object, error) {
	for g, fields := range in {
		i := slices.IndexFunc(flagGroups, func(fg flagGroup) bool { return fg.name == g })
		if i < 0 {
			return fixtures.FieldSet{}, nil, &fieldError{Field: "data_model_flags." + g, Why: "is not a group of data model flags"}
		}
		for f, v := range fields {
			name := "data_model_flags." + g + "." + f
			switch {
			case !slices.Contains(flagGroups[i].fields, f):
				return fixtures.FieldSet{}, nil, &fieldError{Field: name, Why: "is not a field of its group"}
			case v < FlagRequired || v > FlagOptional:
				return fixtures.FieldSet{}, nil, &fieldError{Field: name, Why: "must be -1, 0 or 1"}
			case v == FlagDisabled && g == "detail_info_fields" && f == "employeeId":
				return fixtures.FieldSet{}, nil, &fieldError{Field: name, Why: "cannot be disabled: records are keyed by it"}
			}
		}
	}
	var omit []string
	doc := wire.NewObject(len(flagGroups))
	for _, fg := range flagGroups {
		grp := wire.NewObject(len(fg.fields))
		off := 0
		for _, f := range fg.fields {
			v, ok := in[fg.name][f]
			if !ok {
				v = defaultFlag(fg.name, f)
			}
			grp.Add(f, v)
			if v == FlagDisabled {
				off++
				if fg.name == "detail_info_fields" {
					omit = append(omit, f)
				}
			}
		}
		if fg.key != "" && off == len(fg.fields) {
			omit = append(omit, fg.key)
		}
		doc.Add(fg.name, grp)
	}
	return fixtures.Without(omit...), doc, nil
}

// fieldError is bad input, naming the field at fault.
type fieldError struct {
	Field string
	Why   string
	// NotFound makes it a 404 (an unknown org or employee) instead of 400.
	NotFound bool
}

func (e *fieldError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Why) }
