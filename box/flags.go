package box

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

// Data model flag values: what a field is to the integrator.
const (
	FlagRequired = -1
	FlagDisabled = 0
	FlagOptional = 1
)

// flagGroup is one group of data_model_flags: its fields in Tartan's
// names and order, each with its default.
type flagGroup struct {
	name   string
	fields []flagField
}

// flagField is one data model flag. Its name is Tartan's: a record key
// ("pan"), or a nested key with its path joined by "_"
// ("bankDetails_ifscCode", "ctc_deductions_pf"), which names the key
// "bankDetails.ifscCode" of the FieldSet (see fieldKey).
type flagField struct {
	name string
	def  int
}

// fieldKey is the FieldSet key a flag stands for: its name with "_" read
// as ".", so bankDetails_ifscCode is bankDetails.ifscCode and
// ctc_deductions_pf is ctc.deductions.pf (the salary's ctc.deductions.pf).
func fieldKey(flag string) string { return strings.ReplaceAll(flag, "_", ".") }

// flagsOf makes a group's fields, named prefix+name, all with def.
func flagsOf(prefix string, def int, names ...string) []flagField {
	out := make([]flagField, len(names))
	for i, n := range names {
		out[i] = flagField{name: prefix + n, def: def}
	}
	return out
}

// flagGroups are Tartan's five groups with the fields and defaults its
// documentation lists. Where its page was cut off (the monthly salary
// fields after monthly_gratuity), the rest are the fields of the monthly
// salary answer, named the same way, 0 like the documented ones [OURS].
var flagGroups = []flagGroup{
	{name: "detail_info_fields", fields: detailFlags()},
	{name: "bank_details_fields", fields: flagsOf("bankDetails_", FlagOptional, "bankName", "ifscCode", "accountNumber")},
	{name: "dependent_details_fields", fields: []flagField{
		{"dependentDetails_name", FlagOptional}, {"dependentDetails_relation", FlagOptional},
		{"dependentDetails_dob", FlagDisabled}, {"dependentDetails_mobileNumber", FlagOptional},
		{"dependentDetails_email", FlagDisabled}, {"dependentDetails_gender", FlagOptional},
		{"dependentDetails_profession", FlagOptional},
	}},
	{name: "ctc_details_fields", fields: slices.Concat(
		flagsOf("ctc_", FlagRequired, "basic", "hra", "specialAllowance", "medicalAllowance", "dearnessAllowance",
			"flexiBasketAllowance", "travelAllowance", "gratuity", "grossPay"),
		flagsOf("ctc_", FlagOptional, "deductions_pf", "deductions_esi", "deductions_misc", "deductions_labourWelfareFund",
			"deductions_professionalTax", "bonus_joining", "bonus_misc", "bonus_performance", "bonus_referral", "bonus_relocation"),
		flagsOf("ctc_", FlagDisabled, "bonus_retention", "raw"))},
	{name: "salary_monthly_details_fields", fields: flagsOf("monthly_", FlagDisabled,
		"basic", "dearnessAllowance", "hra", "medicalAllowance", "travelAllowance", "specialAllowance",
		"flexiBasketAllowance", "gratuity", "otherAllowance",
		"deductions_pf", "deductions_esi", "deductions_professionalTax", "deductions_labourWelfareFund", "deductions_tds",
		"deductions_medicalClaimDeduction", "deductions_groupTermInsuranceDeductions", "deductions_earlyWageDeduction", "deductions_misc",
		"bonus_joining", "bonus_referral", "bonus_retention", "bonus_performance", "bonus_relocation", "bonus_misc",
		"grossPay", "Reimbursements")},
}

// detailFlags are detail_info_fields in the order and with the defaults of
// Tartan's data_model_flags example. The record's id and countryCode are
// not among them: they are always sent [OURS].
func detailFlags() []flagField {
	out := []flagField{{"name", FlagRequired}, {"employeeId", FlagRequired}, {"status", FlagRequired}}
	out = append(out, flagsOf("", FlagOptional, "email", "doj", "employmentType")...)
	out = append(out, flagsOf("", FlagRequired, "gender", "dob")...)
	out = append(out, flagsOf("", FlagOptional, "pan", "personalEmail", "fatherName", "bloodGroup", "designation",
		"department", "mobileNumber", "manager", "maritalStatus", "nationality", "aadhar", "uan", "terminationDate", "grade",
		"groupName", "costCenter", "managerEmail", "managerEmail2", "managerEmail3", "managerEmail4", "managerEmail5",
		"companyName", "currentAddress", "permanentAddress", "jobLocation")...)
	return append(out, flagField{"employeeMetadata_marriageDate", FlagDisabled})
}

// fieldSet turns an invite's data_model_flags into the org's field set and
// its flags as data_model_flags shows them (every group, defaults filled
// in). A flag at 0, given or by default, leaves its key out: of the
// records, or of the salary. An unknown group or field, a value not -1, 0
// or 1, or employeeId disabled is a *fieldError naming it; groups and
// fields are checked in sorted order, so the same body is always refused
// naming the same field.
func fieldSet(in map[string]map[string]int) (fixtures.FieldSet, *wire.Object, error) {
	for _, g := range slices.Sorted(maps.Keys(in)) {
		i := slices.IndexFunc(flagGroups, func(fg flagGroup) bool { return fg.name == g })
		if i < 0 {
			return fixtures.FieldSet{}, nil, &fieldError{Field: "data_model_flags." + g, Why: "is not a group of data model flags"}
		}
		for _, f := range slices.Sorted(maps.Keys(in[g])) {
			v, name := in[g][f], "data_model_flags."+g+"."+f
			switch {
			case !slices.ContainsFunc(flagGroups[i].fields, func(ff flagField) bool { return ff.name == f }):
				return fixtures.FieldSet{}, nil, &fieldError{Field: name, Why: "is not a field of its group"}
			case v < FlagRequired || v > FlagOptional:
				return fixtures.FieldSet{}, nil, &fieldError{Field: name, Why: "must be -1, 0 or 1"}
			case v == FlagDisabled && f == "employeeId":
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
			v, ok := in[fg.name][f.name]
			if !ok {
				v = f.def
			}
			grp.Add(f.name, v)
			if v == FlagDisabled {
				off++
				omit = append(omit, fieldKey(f.name))
			}
		}
		if fg.name == "dependent_details_fields" && off == len(fg.fields) {
			omit = append(omit, "dependentDetails")
		}
		doc.Add(fg.name, grp)
	}
	return fixtures.Without(omit...), doc, nil
}

// flagValues walks an org's flags (as fieldSet made them), in order.
func flagValues(flags *wire.Object, f func(group, field string, v int)) {
	for i := range flags.Len() {
		g, grp := flags.At(i)
		o, _ := grp.(*wire.Object)
		for j := range o.Len() {
			k, v := o.At(j)
			n, _ := v.(int)
			f(g, k, n)
		}
	}
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
	case errors.Is(err, ErrRejected):
		return &fieldError{Field: "org", Why: "has rejected the invite"}
	case errors.Is(err, ErrNotPending):
		return &fieldError{Field: "org", Why: "has no pending invite: only an invite not yet accepted can be rejected"}
	case errors.Is(err, ErrSyncInProgress):
		return &fieldError{Field: "org", Why: "has a sync in progress"}
	case errors.Is(err, ErrClosed):
		return &fieldError{Why: "The box is closed.", Status: http.StatusServiceUnavailable}
	}
	return &fieldError{Why: "The box could not do that."}
}
