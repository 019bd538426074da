package show

import (
	"fmt"
	"io"
	"strings"
)

// Plural counts n of a thing for people: "1 webhook", "12 webhooks", "2
// deliveries" (a word ending in y takes ies).
func Plural(n int, word string) string {
	switch {
	case n == 1:
		return "1 " + word
	case strings.HasSuffix(word, "y"):
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Printer writes a report for people to an io.Writer and keeps the first
// write that failed: the writes after it are skipped, and Err returns it,
// so that a reporter can say once, at its end, that its report is
// incomplete. It is not safe for concurrent use.
type Printer struct {
	w   io.Writer
	err error
}

// NewPrinter returns a Printer that writes to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Printf writes as fmt.Fprintf does, unless a write failed before.
func (p *Printer) Printf(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

// Write writes b, unless a write failed before; it makes a Printer an
// io.Writer, for an encoder.
func (p *Printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

// Err returns the first write that failed, or nil.
func (p *Printer) Err() error { return p.err }
