package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/wire"
)

// Limits on a scenario's numbers.
const (
	maxEmployees   = 100_000
	maxConcurrency = 1000
	maxCopies      = 100
	maxNameLen     = 64
)

var (
	namePattern  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	orgIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
)

// stepActions are a step's action fields, in the order of Step.
var stepActions = []string{"invite", "initial-sync", "delta-sync", "realtime-sync", "terminate", "eod", "event"}

// Values of the fields that take a word from a list.
var (
	faultTypes = []string{
		string(FaultDrop), string(FaultAckLost), string(FaultDuplicate), string(FaultDuplicateConcurrent), string(FaultDelay),
		string(FaultReorder), string(FaultShuffle), string(FaultTamper), string(FaultSignature), string(FaultHeaderCase), string(FaultUnknownField),
	}
	codeStyles = []string{"numeric", "alphanumeric"}
	// A signature or header-case fault takes any variant or case but the
	// one Tartan sends: valid, lower.
	signatureVariants = sender.SignatureNames()[1:]
	headerCases       = []string{sender.HeaderCanonical.String(), sender.HeaderUpper.String()}
)

// Validate checks a scenario as Parse checks a file, for scenarios built in
// Go: every rule of the format, every reference and every override. It
// changes nothing, so defaults stay unapplied (Layout "" means compact,
// Copies 0 means 1). An error is a *FileError with Line 0 unless the step
// at fault has a Line.
func (s *Scenario) Validate() error {
	c := &checker{s: s, file: s.File, locate: func(field string) (int, int) {
		var i int
		if _, err := fmt.Sscanf(field, "steps[%d]", &i); err == nil && i >= 0 && i < len(s.Steps) {
			return s.Steps[i].Line, 0
		}
		return 0, 0
	}}
	if err := c.check(); err != nil {
		return err
	}
	return nil
}

// checker checks a scenario, following its orgs from step to step.
type checker struct {
	s      *Scenario
	file   string
	locate func(field string) (line, col int)
	orgs   map[string]*orgState
	ids    []string
}

// orgState is what the steps so far did to an org.
type orgState struct {
	org     *Org
	active  int  // employees not (yet) leavers
	synced  bool // had an initial sync
	records bool // had a sync, so that its employees exist
}

func (c *checker) fail(field, format string, args ...any) *FileError {
	line, col := c.locate(field)
	return &FileError{File: c.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (c *checker) check() *FileError {
	s := c.s
	switch {
	case s.Name == "":
		return c.fail("name", "missing name: name the scenario in lower-case words joined by hyphens, e.g. weekly-delta")
	case !namePattern.MatchString(s.Name) || len(s.Name) > maxNameLen:
		return c.fail("name", "name %q is not lower-case words joined by hyphens (e.g. weekly-delta) of at most %d characters", s.Name, maxNameLen)
	}
	if err := c.layout("layout", s.Layout); err != nil {
		return err
	}
	if err := c.checkOrgs(); err != nil {
		return err
	}
	if len(s.Steps) == 0 {
		return c.fail("steps", "a scenario needs at least one step")
	}
	var prev Moment
	for i := range s.Steps {
		m, err := c.checkStep(i, prev)
		if err != nil {
			return err
		}
		prev = m
	}
	return nil
}

func (c *checker) layout(field, name string) *FileError {
	if name == "" {
		return nil
	}
	if _, err := wire.ParseLayout(name); err != nil {
		var names []string
		for _, l := range wire.Layouts() {
			names = append(names, l.String())
		}
		return c.fail(field, "unknown layout %q (want %s)", name, orList(names))
	}
	return nil
}

func (c *checker) checkOrgs() *FileError {
	if len(c.s.Orgs) == 0 {
		return c.fail("orgs", "a scenario needs at least one org, e.g. orgs: [{id: corp, employees: 50}]")
	}
	c.orgs = map[string]*orgState{}
	for i := range c.s.Orgs {
		o := &c.s.Orgs[i]
		p := fmt.Sprintf("orgs[%d]", i)
		switch {
		case o.ID == "":
			return c.fail(p+".id", "missing id: give the org an id for steps to refer to, e.g. id: corp")
		case !orgIDPattern.MatchString(o.ID) || len(o.ID) > maxNameLen:
			return c.fail(p+".id", "org id %q: use letters, digits, - and _ (at most %d characters)", o.ID, maxNameLen)
		case c.orgs[o.ID] != nil:
			return c.fail(p+".id", "duplicate org id %q (orgs[%d] has it too)", o.ID, slices.Index(c.ids, o.ID))
		case o.Employees < 1 || o.Employees > maxEmployees:
			return c.fail(p+".employees", "employees must be from 1 to %d, got %d", maxEmployees, o.Employees)
		case o.Codes != "" && !slices.Contains(codeStyles, o.Codes):
			return c.fail(p+".codes", "unknown codes %q (want %s, or leave it out to let the seed choose)", o.Codes, orList(codeStyles))
		}
		for k, key := range o.Omit {
			f := fmt.Sprintf("%s.omit[%d]", p, k)
			if key == "id" || key == "employeeId" {
				return c.fail(f, "%s identifies an employee; Tartan always delivers it", key)
			}
			if !slices.Contains(fixtures.RecordKeys, key) {
				return c.fail(f, "unknown record key %q%s", key, hint(key, fixtures.RecordKeys))
			}
		}
		c.orgs[o.ID] = &orgState{org: o, active: o.Employees}
		c.ids = append(c.ids, o.ID)
	}
	return nil
}

func (c *checker) checkStep(i int, prev Moment) (Moment, *FileError) {
	st := &c.s.Steps[i]
	p := fmt.Sprintf("steps[%d]", i)
	m, problem := stepMoment(st.At, prev)
	if problem != "" {
		return 0, c.fail(p+".at", "%s", problem)
	}
	acts := st.actionNames()
	switch len(acts) {
	case 0:
		return 0, c.fail(p, "step does nothing; give it one action: %s", orList(stepActions))
	case 1:
	default:
		both := andList(acts)
		if len(acts) == 2 {
			both = "both " + both
		}
		err := c.fail(p, "step has %s; a step does one thing", both)
		err.Line, err.Column = c.lastOf(p, acts)
		return 0, err
	}
	if st.Concurrency < 0 || st.Concurrency > maxConcurrency {
		return 0, c.fail(p+".concurrency", "concurrency must be from 0 to %d, got %d", maxConcurrency, st.Concurrency)
	}
	if err := c.layout(p+".layout", st.Layout); err != nil {
		return 0, err
	}
	h, err := c.checkAction(p, st, acts[0])
	if err != nil {
		return 0, err
	}
	if err := c.checkFaults(p, st, h); err != nil {
		return 0, err
	}
	return m, c.checkOverrides(p, st, h)
}

// lastOf returns the position of whichever of the step's fields comes last
// in the file.
func (c *checker) lastOf(p string, fields []string) (line, col int) {
	for _, f := range fields {
		l, k := c.locate(p + "." + f)
		if l > line || (l == line && k > col) {
			line, col = l, k
		}
	}
	return line, col
}

// actionNames lists the actions a step has, in the order of Step.
func (st *Step) actionNames() []string {
	var out []string
	for i, set := range []bool{st.Invite != nil, st.InitialSync != nil, st.DeltaSync != nil,
		st.RealtimeSync != nil, st.Terminate != nil, st.EOD != nil, st.Event != nil} {
		if set {
			out = append(out, stepActions[i])
		}
	}
	return out
}

// checkAction checks the step's action and returns the webhooks it sends.
func (c *checker) checkAction(p string, st *Step, act string) (hooks, *FileError) {
	f := p + "." + act
	switch act {
	case "invite":
		_, err := c.orgRef(f+".org", st.Invite.Org)
		return exactHooks(fixtures.EventConnectionRequested), err
	case "terminate":
		_, err := c.orgRef(f+".org", st.Terminate.Org)
		return exactHooks(fixtures.EventConnectionTerminated), err
	case "initial-sync":
		o, err := c.orgRef(f+".org", st.InitialSync.Org)
		if err != nil {
			return hooks{}, err
		}
		// A later initial sync (after a new invitation) sends what the org
		// has by then, which the runner decides: its count is not known.
		h := hooks{exact: !o.synced, kinds: []string{fixtures.EventSyncInitiated}}
		h.kinds = appendBatches(h.kinds, addInitial, o.org.Employees)
		o.synced, o.records = true, true
		return h, nil
	case "delta-sync":
		return c.checkDelta(f, st.DeltaSync, false)
	case "realtime-sync":
		return c.checkDelta(f, st.RealtimeSync, true)
	case "eod":
		switch {
		case st.EOD.Concurrency < 0 || st.EOD.Concurrency > maxConcurrency:
			return hooks{}, c.fail(f+".concurrency", "concurrency must be from 0 to %d, got %d", maxConcurrency, st.EOD.Concurrency)
		case st.Concurrency != 0:
			return hooks{}, c.fail(p+".concurrency", "an eod's concurrency goes under eod, e.g. eod: {concurrency: %d}", st.Concurrency)
		case st.Layout != "":
			return hooks{}, c.fail(p+".layout", "an eod re-sends the identical bytes of failed webhooks; it takes no layout")
		case len(st.Overrides) > 0:
			return hooks{}, c.fail(p+".overrides", "an eod re-sends the identical bytes of failed webhooks; it takes no overrides")
		case len(st.Faults) > 0:
			return hooks{}, c.fail(p+".faults", "an eod re-sends failed webhooks as they were; it takes no faults")
		}
		return hooks{}, nil
	default: // event
		e := st.Event
		if e.Kind == "" {
			return hooks{}, c.fail(f+".kind", "missing kind: name an event of the catalogue, e.g. kind: connection.events.accepted")
		}
		k, lerr := fixtures.LookupKind(e.Kind)
		if lerr != nil {
			return hooks{}, c.fail(f+".kind", "unknown event kind %q%s", e.Kind, hint(e.Kind, eventKinds()))
		}
		if k.Event == fixtures.EventEmployeeAdd || k.Event == fixtures.EventEmployeeUpdate {
			return hooks{}, c.fail(f+".kind", "%s is sent by initial-sync, delta-sync and realtime-sync steps, not by event", k.ID())
		}
		o, err := c.orgRef(f+".org", e.Org)
		if err != nil {
			return hooks{}, err
		}
		if k.Event == fixtures.EventEmployeeRemark && !o.records {
			return hooks{}, c.fail(f, "org %q has no employees to remark on yet: sync it first", e.Org)
		}
		return exactHooks(k.ID()), nil
	}
}

func (c *checker) checkDelta(f string, d *OrgDelta, realtime bool) (hooks, *FileError) {
	o, err := c.orgRef(f+".org", d.Org)
	if err != nil {
		return hooks{}, err
	}
	counts := []struct {
		name string
		n    int
	}{{"joiners", d.Joiners}, {"promotions", d.Promotions}, {"transfers", d.Transfers}, {"manager-changes", d.ManagerChanges}, {"leavers", d.Leavers}}
	total := 0
	for _, n := range counts {
		if n.n < 0 || n.n > maxEmployees {
			return hooks{}, c.fail(f+"."+n.name, "%s must be from 0 to %d, got %d", n.name, maxEmployees, n.n)
		}
		total += n.n
	}
	changes := total - d.Joiners
	switch {
	case realtime && total == 0:
		return hooks{}, c.fail(f, "a realtime-sync reports at least one change: set joiners, promotions, transfers, manager-changes or leavers")
	case d.Leavers > o.active:
		return hooks{}, c.fail(f+".leavers", "%d leavers, but org %q has %d active employees by then", d.Leavers, d.Org, o.active)
	case changes > 0 && o.active == 0:
		return hooks{}, c.fail(f, "org %q has no active employees left to change", d.Org)
	case changes > o.active:
		return hooks{}, c.fail(f, "%d changes (promotions, transfers, manager-changes and leavers), but org %q has %d active employees by then, and each change is to a different one", changes, d.Org, o.active)
	}
	o.active += d.Joiners - d.Leavers
	o.records = true
	h := hooks{exact: true, kinds: []string{fixtures.EventSyncInitiated}}
	h.kinds = appendBatches(h.kinds, addDelta, d.Joiners)
	h.kinds = appendBatches(h.kinds, fixtures.EventEmployeeUpdate, changes)
	return h, nil
}

// orgRef finds the org a step names.
func (c *checker) orgRef(field, id string) (*orgState, *FileError) {
	if id == "" {
		return nil, c.fail(field, "missing org: say which org, e.g. org: %s", c.ids[0])
	}
	o, ok := c.orgs[id]
	if !ok {
		return nil, c.fail(field, "unknown org %q%s", id, hint(id, c.ids))
	}
	return o, nil
}

// eventKinds lists the kinds an event step may send: the catalogue, less
// the employee batches that syncs send.
func eventKinds() []string {
	var out []string
	for _, k := range fixtures.Catalogue() {
		if k.Event != fixtures.EventEmployeeAdd && k.Event != fixtures.EventEmployeeUpdate {
			out = append(out, k.ID())
		}
	}
	return out
}

// hint suggests the closest of known, or lists them all.
func hint(s string, known []string) string {
	if guess := closest(s, known); guess != "" {
		return fmt.Sprintf("; did you mean %q?", guess)
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
}

// closest returns the name of known nearest to s, if it is a likely typo.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(s, k); d < bestD && d < len(s) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99 // not a typo, and not worth the work
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// orList writes "a, b or c"; andList writes "a, b and c".
func orList(xs []string) string  { return joinLast(xs, " or ") }
func andList(xs []string) string { return joinLast(xs, " and ") }

func joinLast(xs []string, last string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + last + xs[len(xs)-1]
}
