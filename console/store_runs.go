package console

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tartansim/tartansim/show"
	bolt "go.etcd.io/bbolt"
)

// bucketRuns holds the runs: id (a big-endian number) -> Run (JSON).
var bucketRuns = []byte("runs")

// runKey is the key of run id ("12"); false for an id that is no number.
func runKey(id string) ([]byte, bool) {
	var n uint64
	if _, err := fmt.Sscan(id, &n); err != nil || n == 0 {
		return nil, false
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:], true
}

// putRun writes r over what the store held of it, then drops the oldest
// runs beyond keep, in one transaction.
func (s *Store) putRun(r Run, keep int) error {
	k, ok := runKey(r.ID)
	if !ok {
		return show.Refuse("console", "the run id %q is not a number", r.ID)
	}
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if err := b.Put(k, js); err != nil {
			return err
		}
		var keys [][]byte // oldest first: the keys are the ids, big-endian
		_ = b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
		for _, k := range keys[:max(0, len(keys)-keep)] {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// runs returns the stored runs, oldest first.
func (s *Store) runs() ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).ForEach(func(_, v []byte) error {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: %s: a run cannot be read", ErrStoreDamaged, s.path)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// interruptedNote is the note of a run the server stopped under.
var interruptedNote = sentence("the server stopped while this run went on; what it sent is in the log")

// loadRuns reads the stored runs into memory. A run the store holds as
// running went on when the server last stopped without finishing it (the
// process was killed): it is interrupted now, and stored so.
func (s *Server) loadRuns() error {
	stored, err := s.store.runs()
	if err != nil {
		return err
	}
	for i := range stored {
		r := &stored[i]
		if r.State == RunRunning {
			r.State, r.Note = RunInterrupted, interruptedNote
			r.Version++
			if err := s.store.putRun(*r, keptRuns); err != nil {
				return show.Refuse("console", "storing an interrupted run: %w", err)
			}
		}
		if n, err := strconv.Atoi(r.ID); err == nil {
			s.runs.n = max(s.runs.n, n)
		}
		s.runs.list = append(s.runs.list, r)
	}
	return nil
}
