package deliverylog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tartansim/tartansim/show"
)

// MaxLine is the longest log line Reader accepts: 16 MiB.
const MaxLine = 16 << 20

// ErrBadLog is wrapped by every error about a log's content.
var ErrBadLog = error(&show.Refusal{Pkg: "deliverylog", Why: "bad delivery log"})

// Reader reads a log line by line, so a log of any length is read in
// bounded memory.
//
// It salvages a log whose writer crashed: a last line that does not end in
// a newline and does not parse is the one a crash tore (see FlushInterval).
// Reader drops it, ends the log there with io.EOF and reports it by Torn. A
// line that does not parse anywhere else is corruption, not a crash, and an
// error.
type Reader struct {
	sc       *bufio.Scanner
	name     string
	line     int
	open     bool // the line scanned last has no newline: the log's end
	openSize int  // its length in bytes
	torn     *Torn
}

// Torn is the torn last line of a log, which Reader dropped.
type Torn struct {
	Line  int // its number, from 1
	Bytes int // its length: the bytes dropped
}

// NewReader reads the log r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	rd := &Reader{name: name}
	rd.sc = bufio.NewScanner(r)
	rd.sc.Buffer(make([]byte, 64<<10), MaxLine)
	rd.sc.Split(rd.split)
	return rd
}

// split is bufio.ScanLines, noting a last line with no newline.
func (r *Reader) split(data []byte, atEOF bool) (int, []byte, error) {
	n, line, err := bufio.ScanLines(data, atEOF)
	if n > 0 && data[n-1] != '\n' {
		r.open, r.openSize = true, n
	}
	return n, line, err
}

// Next returns the next entry, io.EOF at the end, or an error naming the
// file and line. Blank lines are skipped; a torn last line ends the log
// (see Torn).
func (r *Reader) Next() (Attempt, error) {
	for r.sc.Scan() {
		r.line++
		b := r.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var e Attempt
		if err := json.Unmarshal(b, &e); err != nil {
			if r.open {
				r.torn = &Torn{Line: r.line, Bytes: r.openSize}
				return Attempt{}, io.EOF
			}
			return Attempt{}, fmt.Errorf("%w: %s:%d: %v", ErrBadLog, r.name, r.line, err)
		}
		if e.Headers == nil {
			return Attempt{}, fmt.Errorf("%w: %s:%d: no headers", ErrBadLog, r.name, r.line)
		}
		return e, nil
	}
	if err := r.sc.Err(); err != nil {
		return Attempt{}, fmt.Errorf("%w: %s:%d: %v", ErrBadLog, r.name, r.line+1, err)
	}
	return Attempt{}, io.EOF
}

// Torn returns the torn last line that Next dropped, once Next has returned
// io.EOF; ok is false when the log ended with a whole line.
func (r *Reader) Torn() (t Torn, ok bool) {
	if r.torn == nil {
		return Torn{}, false
	}
	return *r.torn, true
}
