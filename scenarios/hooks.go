package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
)

// Kind IDs of the employee batches (see fixtures.Kind.ID).
const (
	addInitial = fixtures.EventEmployeeAdd + "/initial"
	addDelta   = fixtures.EventEmployeeAdd + "/delta"
)

// hooks are the webhooks a step sends, as far as they are known before
// the scenario runs: the kind ID of each, in order. When exact is false the
// count is not known (an org's second initial sync sends what it has by
// then), and kinds says which kinds the step may send. An EOD has none: it
// takes neither faults nor overrides.
type hooks struct {
	kinds []string
	exact bool
}

func exactHooks(kind string) hooks { return hooks{kinds: []string{kind}, exact: true} }

// appendBatches appends one kind per batch of at most fixtures.MaxRecords
// records.
func appendBatches(kinds []string, kind string, records int) []string {
	for n := 0; n < records; n += fixtures.MaxRecords {
		kinds = append(kinds, kind)
	}
	return kinds
}

// selects reports whether selectors (FaultSpec.Webhooks, Override.Webhooks)
// select the webhook at 1-based position pos of a step that sends n
// webhooks. No selectors select every webhook, as does "all"; "first" and
// "last" select the first and the n-th; a number selects that position.
// Positions outside 1..n are never selected.
func selects(selectors []string, pos, n int) bool {
	if pos < 1 || pos > n {
		return false
	}
	if len(selectors) == 0 {
		return true
	}
	for _, s := range selectors {
		switch s {
		case "all":
			return true
		case "first":
			if pos == 1 {
				return true
			}
		case "last":
			if pos == n {
				return true
			}
		default:
			if k, err := strconv.Atoi(s); err == nil && k == pos {
				return true
			}
		}
	}
	return false
}

// validSelector reports whether s is a position (without leading zeros),
// "first", "last" or "all".
func validSelector(s string) bool {
	if s == "first" || s == "last" || s == "all" {
		return true
	}
	return s != "" && s[0] != '0' && len(s) < 10 && isDigits(s)
}

// selected returns the kinds of the webhooks that sels select, each once.
func (h hooks) selected(sels []string) []string {
	var out []string
	for i, k := range h.kinds {
		if (!h.exact || selects(sels, i+1, len(h.kinds))) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// countWords describes a step's webhooks, e.g. "4 webhooks (1
// sync.events.initiated, 3 sync.events.employee.add/initial)".
func countWords(kinds []string) string {
	if len(kinds) == 1 {
		return "1 webhook (" + kinds[0] + ")"
	}
	var parts []string
	for i := 0; i < len(kinds); {
		j := i
		for j < len(kinds) && kinds[j] == kinds[i] {
			j++
		}
		parts = append(parts, fmt.Sprintf("%d %s", j-i, kinds[i]))
		i = j
	}
	return fmt.Sprintf("%d webhooks (%s)", len(kinds), strings.Join(parts, ", "))
}
