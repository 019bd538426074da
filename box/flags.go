package box

import (
	"errors"
	"fmt"
	"net/http"
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

// fieldError is a refused request: the field at fault ("" when it is no
// field's) and why, in words for people.
type fieldError struct {
	Field string
	Why   string
	// NotFound makes it a 404 (an unknown org or employee) instead of 400;
	// Status, when set, is the status instead.
	NotFound bool
	Status   int
}

// Error is the answer's message: "field why", or why alone.
func (e *fieldError) Error() string {
	if e.Field == "" {
		return e.Why
	}
	return e.Field + " " + e.Why
}

// Reason is Error: it names no package.
func (e *fieldError) Reason() string { return e.Error() }

func (e *fieldError) status() int {
	switch {
	case e.Status != 0:
		return e.Status
	case e.NotFound:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// refusal turns an error of the Go API into the refusal the HTTP handlers
// answer, in words of its own: no error text of the Go API reaches them.
func refusal(err error) *fieldError {
	var (
		fe *fieldError
		de *fixtures.DeltaError
	)
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &de):
		if de.Asked < 0 {
			return &fieldError{Field: de.Key, Why: fmt.Sprintf("must be a whole number from 0 to %d", maxCount)}
		}
		return &fieldError{Field: de.Key, Why: fmt.Sprintf("is %d, but only %d active employees are left for it: each change is to a different employee", de.Asked, de.Can)}
	case errors.Is(err, ErrUnknownOrg):
		return &fieldError{Field: "org", Why: "is not a corporate connected to you", NotFound: true}
	case errors.Is(err, ErrNotAccepted):
		return &fieldError{Field: "org", Why: "has not accepted the invite yet"}
	case errors.Is(err, ErrTerminated):
		return &fieldError{Field: "org", Why: "has terminated the connection"}
	case errors.Is(err, ErrSyncInProgress):
		return &fieldError{Field: "org", Why: "has a sync in progress"}
	case errors.Is(err, ErrClosed):
		return &fieldError{Why: "The box is closed.", Status: http.StatusServiceUnavailable}
	}
	return &fieldError{Why: "The box could not do that."}
}
