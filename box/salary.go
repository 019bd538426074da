package box

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

// Salary details v2: GET /api/v2/salary_details/{employee_id}/ answers an
// employee's CTC and monthly pay, from the same simulated corporate as its
// records. Tartan documents the answer's keys; the amounts are ours: whole
// rupees, made from the employee's org, code and grade (so a promotion
// changes them), in proportions an Indian payslip has.

// salaryTypes are the documented values of type.
var salaryTypes = []string{"ctc", "monthly", "ctc_monthly"}

// MaxSalaryMonths is the most months one salary_details call covers.
const MaxSalaryMonths = 36

// salary is an employee's annual CTC, broken down, in whole rupees.
type salary struct {
	gross, basic, hra, da, medical, travel, flexi, gratuity, special int
	bonusJoining, bonusPerformance                                   int
	pf, esi, professionalTax                                         int
}

// salaryOf makes e's salary at org: the same employee, org and grade give
// the same amounts.
func salaryOf(orgID string, e *fixtures.Employee) salary {
	h := fnv.New64a()
	_, _ = h.Write([]byte(orgID + "/" + e.EmployeeID + "/" + e.Grade))
	n := h.Sum64()
	level := 1
	if i := strings.LastIndexByte(e.Grade, '-'); i >= 0 && i+1 < len(e.Grade) {
		level = max(1, int(e.Grade[i+1]-'0'))
	}
	var s salary
	s.gross = (300_000 + level*250_000 + int(n%200)*1_000) / 1000 * 1000
	s.basic = s.gross * 40 / 100
	s.hra = s.basic / 2
	s.da = s.gross * 5 / 100
	s.medical = 15_000
	s.travel = 19_200
	s.flexi = s.gross * 5 / 100
	s.gratuity = s.basic * 481 / 10_000
	s.special = max(0, s.gross-s.basic-s.hra-s.da-s.medical-s.travel-s.flexi-s.gratuity)
	if n>>8%4 == 0 {
		s.bonusJoining = 50_000
	}
	s.bonusPerformance = s.gross / 10
	s.pf = min(s.basic*12/100, 21_600)
	if s.gross/12 <= 21_000 {
		s.esi = s.gross * 75 / 10_000
	}
	s.professionalTax = 2_400
	return s
}

// amounts is one object of the answer, built from name: amount pairs,
// leaving out the keys the org's field set leaves out (prefix.name).
type amounts struct {
	fs     fixtures.FieldSet
	prefix string
	obj    *wire.Object
}

func (a amounts) add(name string, v int) amounts {
	if a.fs.Has(a.prefix + "." + name) {
		a.obj.Add(name, v)
	}
	return a
}

// nest adds a nested object of name, when it keeps a key.
func (a amounts) nest(name string, fill func(amounts)) amounts {
	in := amounts{fs: a.fs, prefix: a.prefix + "." + name, obj: wire.NewObject(9)}
	fill(in)
	if in.obj.Len() > 0 {
		a.obj.Add(name, in.obj)
	}
	return a
}

// ctc is the answer's ctc object.
func (s salary) ctc(fs fixtures.FieldSet) *wire.Object {
	a := amounts{fs: fs, prefix: "ctc", obj: wire.NewObject(16)}
	a.add("basic", s.basic).add("hra", s.hra).add("dearnessAllowance", s.da).add("gratuity", s.gratuity).
		add("medicalAllowance", s.medical).add("travelAllowance", s.travel).add("specialAllowance", s.special).
		add("flexiBasketAllowance", s.flexi).
		nest("bonus", func(b amounts) {
			b.add("joining", s.bonusJoining).add("referral", 0).add("retention", 0).add("performance", s.bonusPerformance).
				add("relocation", 0).add("misc", 0)
		}).
		nest("deductions", func(d amounts) {
			d.add("pf", s.pf).add("esi", s.esi).add("professionalTax", s.professionalTax).add("labourWelfareFund", 0).add("misc", 0)
		}).
		add("grossPay", s.gross).add("raw", s.gross)
	return a.obj
}

// month is the answer's monthly entry for month m of year y.
func (s salary) month(fs fixtures.FieldSet, y int, m time.Month) *wire.Object {
	earn := []int{s.basic / 12, s.da / 12, s.hra / 12, s.medical / 12, s.travel / 12, s.special / 12, s.flexi / 12}
	gross := 0
	for _, v := range earn {
		gross += v
	}
	tds := max(0, (s.gross-700_000)/120)
	perf := 0
	if m == time.March { // the year's performance bonus, paid with March
		perf = s.bonusPerformance
	}
	a := amounts{fs: fs, prefix: "monthly", obj: wire.NewObject(16)}
	a.obj.Add("month", int(m)).Add("year", y)
	a.add("basic", earn[0]).add("dearnessAllowance", earn[1]).add("hra", earn[2]).add("medicalAllowance", earn[3]).
		add("travelAllowance", earn[4]).add("specialAllowance", earn[5]).add("flexiBasketAllowance", earn[6]).
		add("gratuity", s.gratuity/12).add("otherAllowance", 0).
		nest("deductions", func(d amounts) {
			d.add("pf", s.pf/12).add("esi", s.esi/12).add("professionalTax", 200).add("labourWelfareFund", 0).add("tds", tds).
				add("medicalClaimDeduction", 0).add("groupTermInsuranceDeductions", 0).add("earlyWageDeduction", 0).add("misc", 0)
		}).
		nest("bonus", func(b amounts) {
			b.add("joining", 0).add("referral", 0).add("retention", 0).add("performance", perf).add("relocation", 0).add("misc", 0)
		}).
		add("grossPay", gross+perf).add("Reimbursements", 0)
	return a.obj
}

// salaryQuery is salary_details' query.
type salaryQuery struct {
	org, vendor  string
	ctc, monthly bool
	from, to     time.Time // first days of months, UTC; zero: the default
}

// parseSalaryQuery reads the query, checking its fields in a fixed order.
func parseSalaryQuery(q url.Values) (salaryQuery, error) {
	sq := salaryQuery{org: strings.TrimSpace(q.Get("org")), vendor: strings.TrimSpace(q.Get("vendor_org"))}
	switch {
	case sq.org == "":
		return sq, &fieldError{Field: "org", Why: "is required"}
	case sq.vendor == "":
		return sq, &fieldError{Field: "vendor_org", Why: "is required"}
	}
	switch strings.ToLower(strings.TrimSpace(q.Get("type"))) {
	case "ctc":
		sq.ctc = true
	case "monthly":
		sq.monthly = true
	case "ctc_monthly":
		sq.ctc, sq.monthly = true, true
	default:
		return sq, &fieldError{Field: "type", Why: "is required: one of " + strings.Join(salaryTypes, ", ")}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from_date", &sq.from}, {"to_date", &sq.to}} {
		s := strings.TrimSpace(q.Get(f.name))
		if s == "" {
			continue
		}
		t, err := time.Parse("01-2006", s)
		if err != nil {
			return sq, &fieldError{Field: f.name, Why: "must be MM-YYYY, e.g. 04-2025"}
		}
		*f.dst = t
	}
	if !sq.from.IsZero() && !sq.to.IsZero() && sq.to.Before(sq.from) {
		return sq, &fieldError{Field: "to_date", Why: "is before from_date"}
	}
	return sq, nil
}

// months are the months the answer covers: from..to, by default the three
// complete months before now, never after the last complete month, never
// before the employee joined or after they left. More than
// MaxSalaryMonths is a *fieldError.
func (sq salaryQuery) months(now time.Time, e *fixtures.Employee) ([]time.Time, error) {
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	from, to := sq.from, sq.to
	if to.IsZero() || to.After(last) {
		to = last
	}
	if from.IsZero() {
		from = to.AddDate(0, -2, 0)
	}
	if from.AddDate(0, MaxSalaryMonths, 0).Before(to.AddDate(0, 1, 0)) {
		return nil, &fieldError{Field: "from_date", Why: fmt.Sprintf("asks for more than %d months: narrow from_date and to_date", MaxSalaryMonths)}
	}
	if d, err := time.Parse(fixtures.DateLayout, e.DOJ); err == nil {
		from = later(from, time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC))
	}
	if d, err := time.Parse(fixtures.DateLayout, e.TerminationDate); err == nil {
		if end := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC); end.Before(to) {
			to = end
		}
	}
	var out []time.Time
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (b *Box) serveSalary(w http.ResponseWriter, r *http.Request) {
	sq, err := parseSalaryQuery(r.URL.Query())
	if err == nil && sq.vendor != b.vendor.OrgID {
		err = &fieldError{Field: "vendor_org", Why: "is not your organisation", NotFound: true}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("employee_id")
	rid := b.requestID()
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.known(sq.org)
	if err != nil {
		writeError(w, err)
		return
	}
	e := o.employee(id)
	if e == nil {
		writeDoc(w, http.StatusNotFound, wire.NewObject(3).Add("requestId", rid).Add("message", msgEmployeeNotFound).Add("field", "employee_id"))
		return
	}
	s := salaryOf(o.id, e)
	data := wire.NewObject(2)
	if sq.ctc {
		data.Add("ctc", s.ctc(o.fs))
	}
	if sq.monthly {
		ms, err := sq.months(b.cfg.clock.Now().UTC(), e)
		if err != nil {
			writeError(w, err)
			return
		}
		list := make([]any, len(ms))
		for i, m := range ms {
			list[i] = s.month(o.fs, m.Year(), m.Month())
		}
		data.Add("monthly", list)
	}
	writeDoc(w, http.StatusOK, wire.NewObject(3).Add("requestId", rid).Add("message", msgSalaryFetched).Add("data", data))
}

// employee finds an employee a sync has sent, by the record's id or else
// its employeeId, as the HRMS holds them now; nil when none. b.mu held.
func (o *org) employee(id string) *fixtures.Employee {
	for _, byID := range []bool{true, false} {
		for i := range o.source {
			e := &o.source[i]
			if (byID && e.ID == id) || (!byID && e.EmployeeID == id) {
				if _, sent := o.db[e.EmployeeID]; sent {
					return e
				}
			}
		}
	}
	return nil
}
