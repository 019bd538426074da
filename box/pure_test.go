package box

import (
	"net/url"
	"testing"
	"time"

	"github.com/tartansim/tartansim/wire"
)

func TestConnectionTime(t *testing.T) {
	for _, c := range []struct {
		utc  time.Time
		want string
	}{
		{time.Date(2025, 7, 10, 7, 41, 0, 0, time.UTC), "10th July, 01:11 PM"},
		{time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC), "2nd March, 12:00 AM"}, // past midnight in India
		{time.Date(2026, 1, 21, 3, 0, 0, 0, time.UTC), "21st January, 08:30 AM"},
		{time.Date(2026, 1, 23, 6, 30, 0, 0, time.UTC), "23rd January, 12:00 PM"},
		{time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), "11th January, 05:30 AM"},
		{time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC), "12th January, 05:30 AM"},
		{time.Date(2026, 1, 13, 0, 0, 0, 0, time.UTC), "13th January, 05:30 AM"},
	} {
		if got := connectionTime(c.utc); got != c.want {
			t.Errorf("connectionTime(%s) = %q, want %q", c.utc, got, c.want)
		}
	}
}

func TestISOTime(t *testing.T) {
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), "2026-03-02T09:00:00.000Z"},
		{time.Date(2026, 3, 2, 14, 30, 0, 123_456_789, wire.IST), "2026-03-02T09:00:00.123Z"},
	} {
		if got := isoTime(c.in); got != c.want {
			t.Errorf("isoTime(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-03-03", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), true},
		{"2026-03-03 12:00:00", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), true},
		{"2026-03-03T17:30:00+05:30", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), true},
		{"2026-03-03T12:00:00.5Z", time.Date(2026, 3, 3, 12, 0, 0, 5e8, time.UTC), true},
		{"2026-13-01", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := parseTime(c.in)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("parseTime(%q) = %s, %v; want %s, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestPaginate(t *testing.T) {
	for _, c := range []struct {
		total, number, size int
		start, end          int
		info                pageInfo
	}{
		{105, 1, 25, 0, 25, pageInfo{5, 105, 25, true, false}},
		{105, 5, 25, 100, 105, pageInfo{5, 105, 5, false, true}},
		{105, 6, 25, 105, 105, pageInfo{5, 105, 0, false, true}},
		{0, 1, 25, 0, 0, pageInfo{0, 0, 0, false, false}},
		{10, 1, 10, 0, 10, pageInfo{1, 10, 10, false, false}},
		{10, 1 << 62, 100, 10, 10, pageInfo{1, 10, 0, false, true}},
	} {
		start, end, info := paginate(c.total, page{c.number, c.size})
		if start != c.start || end != c.end || info != c.info {
			t.Errorf("paginate(%d, page %d of %d) = %d, %d, %+v; want %d, %d, %+v", c.total, c.number, c.size, start, end, info, c.start, c.end, c.info)
		}
	}
}

func TestParsePage(t *testing.T) {
	for _, c := range []struct {
		query string
		want  page
		field string
	}{
		{"", page{1, 25}, ""},
		{"page=3&page_size=100", page{3, 100}, ""},
		{"page=0", page{}, "page"},
		{"page=1.5", page{}, "page"},
		{"page_size=0", page{}, "page_size"},
		{"page_size=101", page{}, "page_size"},
	} {
		q, _ := url.ParseQuery(c.query)
		got, err := parsePage(q, DefaultPageSize)
		field := ""
		if fe, ok := err.(*fieldError); ok {
			field = fe.Field
		}
		if got != c.want || field != c.field {
			t.Errorf("parsePage(%q) = %+v, field %q; want %+v, field %q", c.query, got, field, c.want, c.field)
		}
	}
}

func TestFilter(t *testing.T) {
	rec := wire.NewObject(4).Add("status", "Not Active").Add("employeeId", "TRT-0042").Add("gender", nil).Add("name", "Zoë D'Souza")
	for _, c := range []struct {
		in      string
		ok      bool
		matches bool
	}{
		{"status:not active", true, true},
		{"STATUS:NOT ACTIVE", true, true},
		{"status:Active", true, false},
		{"employeeid:trt-0042", true, true},
		{"gender:null", true, true},
		{"name:zoë d'souza", true, true},
		{"manager:x", true, false}, // a field the record does not carry
		{"status", false, false},
		{":active", false, false},
		{"salary:1", false, false},
	} {
		f, err := parseFilter(c.in)
		if (err == nil) != c.ok {
			t.Errorf("parseFilter(%q): err %v, want ok %v", c.in, err, c.ok)
			continue
		}
		if err == nil && f.matches(rec) != c.matches {
			t.Errorf("parseFilter(%q).matches = %v, want %v", c.in, !c.matches, c.matches)
		}
	}
}

func TestSchedules(t *testing.T) {
	weekly := Weekly(time.Monday, 3, 18)
	daily := Daily(23, 59, wire.IST)
	for _, c := range []struct {
		name     string
		next     func(time.Time) time.Time
		from, to time.Time
	}{
		{"weekly from a Monday morning", weekly, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 3, 18, 0, 0, time.UTC)},
		{"weekly from before the run", weekly, time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 3, 18, 0, 0, time.UTC)},
		{"weekly at the run", weekly, time.Date(2026, 3, 2, 3, 18, 0, 0, time.UTC), time.Date(2026, 3, 9, 3, 18, 0, 0, time.UTC)},
		{"weekly from a Saturday", weekly, time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 3, 18, 0, 0, time.UTC)},
		{"daily IST", daily, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 18, 29, 0, 0, time.UTC)},
		{"daily IST after it", daily, time.Date(2026, 3, 2, 18, 30, 0, 0, time.UTC), time.Date(2026, 3, 3, 18, 29, 0, 0, time.UTC)},
	} {
		if got := c.next(c.from); !got.Equal(c.to) {
			t.Errorf("%s: next(%s) = %s, want %s", c.name, c.from, got.UTC(), c.to)
		}
	}
}
