package scenarios

// The checks of a step's faults and overrides, against the webhooks the
// step will send (see hooks): a path that matches nothing, a selector out
// of range, a fault's field that belongs to another type.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/wire"
)

func (c *checker) checkSelectors(field string, sels []string, h hooks) *FileError {
	for k, s := range sels {
		f := fmt.Sprintf("%s[%d]", field, k)
		if !validSelector(s) {
			return c.fail(f, "bad webhook selector %q: want a position (1 is the step's first webhook), first, last or all", s)
		}
		if n, err := strconv.Atoi(s); err == nil && h.exact && n > len(h.kinds) {
			return c.fail(f, "webhook %d is out of range: this step sends %s", n, countWords(h.kinds))
		}
	}
	return nil
}

func (c *checker) checkFaults(p string, st *Step, h hooks) *FileError {
	for j := range st.Faults {
		ft := &st.Faults[j]
		f := fmt.Sprintf("%s.faults[%d]", p, j)
		isDup := ft.Type == FaultDuplicate || ft.Type == FaultDuplicateConcurrent
		switch {
		case ft.Type == "":
			return c.fail(f+".type", "missing type (want %s)", orList(faultTypes))
		case !slices.Contains(faultTypes, string(ft.Type)):
			return c.fail(f+".type", "unknown fault type %q%s", ft.Type, hint(string(ft.Type), faultTypes))
		case ft.Type == FaultSignature && ft.Signature == "":
			return c.fail(f, "a signature fault needs signature: %s", orList(signatureVariants))
		case ft.Signature != "" && ft.Type != FaultSignature:
			return c.fail(f+".signature", "signature is for faults of type signature, not %s", ft.Type)
		case ft.Signature != "" && !slices.Contains(signatureVariants, ft.Signature):
			return c.fail(f+".signature", "unknown signature variant %q (want %s)", ft.Signature, orList(signatureVariants))
		case ft.Type == FaultHeaderCase && ft.Case == "":
			return c.fail(f, "a header-case fault needs case: %s", orList(headerCases))
		case ft.Case != "" && ft.Type != FaultHeaderCase:
			return c.fail(f+".case", "case is for faults of type header-case, not %s", ft.Type)
		case ft.Case == "lower":
			return c.fail(f+".case", "lower is how Tartan spells the header already; want %s", orList(headerCases))
		case ft.Case != "" && !slices.Contains(headerCases, ft.Case):
			return c.fail(f+".case", "unknown header case %q (want %s)", ft.Case, orList(headerCases))
		case ft.Type == FaultDelay && ft.Delay <= 0:
			return c.fail(f, "a delay fault needs a delay of more than 0, e.g. delay: 2m")
		case ft.Delay != 0 && ft.Type != FaultDelay:
			return c.fail(f+".delay", "delay is for faults of type delay, not %s", ft.Type)
		case ft.Copies != 0 && !isDup:
			return c.fail(f+".copies", "copies is for faults of type duplicate or duplicate-concurrent, not %s", ft.Type)
		case ft.Copies < 0 || ft.Copies > maxCopies:
			return c.fail(f+".copies", "copies must be from 1 to %d, got %d", maxCopies, ft.Copies)
		}
		if err := c.checkSelectors(f+".webhooks", ft.Webhooks, h); err != nil {
			return err
		}
		if (ft.Type == FaultReorder || ft.Type == FaultShuffle) && h.exact {
			if sel, _ := selectWebhooks(ft.Webhooks, len(h.kinds)); len(sel) < 2 {
				return c.fail(f, "%s changes the order of the webhooks it selects, and it selects %d", ft.Type, len(sel))
			}
		}
	}
	return nil
}

func (c *checker) checkOverrides(p string, st *Step, h hooks) *FileError {
	for j, o := range st.Overrides {
		f := fmt.Sprintf("%s.overrides[%d]", p, j)
		var ops []string
		for _, op := range []struct {
			name, text string
		}{{"set", o.Set}, {"add", o.Add}, {"unset", o.Unset}} {
			if op.text != "" {
				ops = append(ops, op.name)
			}
		}
		switch len(ops) {
		case 0:
			return c.fail(f, "override does nothing; give it one of set: PATH=VALUE, add: PATH=VALUE or unset: PATH")
		case 1:
		default:
			return c.fail(f, "override has both %s; write one override per change", andList(ops))
		}
		ov, err := o.parse()
		if err != nil {
			return c.fail(f+"."+ops[0], "%s", plain(err))
		}
		if err := c.checkSelectors(f+".webhooks", o.Webhooks, h); err != nil {
			return err
		}
		if problem := tryOverride(ov, h.selected(o.Webhooks), c.omitted(st)); problem != "" {
			return c.fail(f+"."+ops[0], "%s", problem)
		}
	}
	return nil
}

// omitted returns the record keys the step's org leaves out. (They matter
// to employee webhooks only: an invite or a terminate has no records.)
func (c *checker) omitted(st *Step) []string {
	_, id := st.action()
	if o := c.orgs[id]; o != nil {
		return o.org.Omit
	}
	return nil
}

// tryOverride applies ov to a sample webhook of each of kinds and returns
// what is wrong when it applies to none of them: a path like body[0].name
// legitimately matches employee webhooks but not sync.events.initiated.
func tryOverride(ov wire.Override, kinds, omit []string) string {
	var (
		noMatch error
		depth   = -1
		other   error
	)
	for _, k := range kinds {
		err := ov.Apply(sampleDoc(k, omit))
		var nm *wire.NoMatchError
		switch {
		case err == nil:
			return ""
		case errors.As(err, &nm):
			if len(nm.At) >= depth { // the kind the path went furthest into
				noMatch, depth = err, len(nm.At)
			}
		case other == nil:
			other = err
		}
	}
	if other != nil {
		return plain(other)
	}
	if noMatch == nil {
		return ""
	}
	return fmt.Sprintf("%s matches nothing in the webhooks it applies to (%s): %s", ov, strings.Join(kinds, ", "), plain(noMatch))
}

// plain drops a package prefix from an error of another package, for
// messages that already say where they are.
func plain(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"wire: ", "fixtures: ", "sender: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

// samples holds one realistic document of each kind of the catalogue, to
// try overrides on. The same seed always gives the same documents.
var samples struct {
	once sync.Once
	docs map[string]*wire.Object
}

// sampleDoc returns a fresh copy of the sample document of kind, with the
// record keys in omit left out of employee records.
func sampleDoc(kind string, omit []string) *wire.Object {
	samples.once.Do(func() {
		g := fixtures.New(fixtures.NewFaker(fixtures.DefaultSeed))
		v := g.Vendor()
		samples.docs = map[string]*wire.Object{}
		for _, k := range fixtures.Catalogue() {
			samples.docs[k.ID()] = g.Sample(k, v).Document()
		}
	})
	doc := samples.docs[kind].Clone()
	if len(omit) == 0 || !strings.HasPrefix(kind, "sync.events.employee.") {
		return doc
	}
	body, _ := doc.Get("body")
	records, _ := body.([]any)
	for _, r := range records {
		if rec, ok := r.(*wire.Object); ok {
			for _, key := range omit {
				rec.Delete(key)
			}
		}
	}
	return doc
}
