package console

import (
	"encoding/binary"

	"github.com/tartansim/tartansim/show"
	bolt "go.etcd.io/bbolt"
)

// bucketJournals holds one nested bucket per journal name: entry number
// (big-endian, from 1) -> the entry's bytes.
var bucketJournals = []byte("journals")

// Journal is an append-only list of entries kept in the store beside the
// log, under a name of its own: the mock Tartan API keeps its corporates'
// history in one ("box"), so that they are there again after a restart.
// Its methods are safe for concurrent use.
type Journal struct {
	store *Store
	name  []byte
}

// Journal returns the store's journal called name (made when first
// appended to).
func (s *Store) Journal(name string) *Journal { return &Journal{store: s, name: []byte(name)} }

// Journal returns the journal called name in the console's store.
func (s *Server) Journal(name string) *Journal { return s.store.Journal(name) }

// Load returns every entry appended, oldest first.
func (j *Journal) Load() ([][]byte, error) {
	var out [][]byte
	err := j.store.db.View(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketJournals)
		if all == nil {
			return nil
		}
		b := all.Bucket(j.name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	if err != nil {
		return nil, show.Refuse("console", "reading the journal %s: %w", j.name, err)
	}
	return out, nil
}

// Append adds entries after the others, in one transaction, synced
// before it returns.
func (j *Journal) Append(entries ...[]byte) error {
	if len(entries) == 0 {
		return nil
	}
	err := j.store.db.Update(func(tx *bolt.Tx) error {
		all, err := tx.CreateBucketIfNotExists(bucketJournals)
		if err != nil {
			return err
		}
		b, err := all.CreateBucketIfNotExists(j.name)
		if err != nil {
			return err
		}
		for _, e := range entries {
			n, _ := b.NextSequence()
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], n)
			if err := b.Put(k[:], e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return show.Refuse("console", "writing the journal %s: %w", j.name, err)
	}
	return nil
}

// Reset forgets every entry.
func (j *Journal) Reset() error {
	err := j.store.db.Update(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketJournals)
		if all == nil || all.Bucket(j.name) == nil {
			return nil
		}
		return all.DeleteBucket(j.name)
	})
	if err != nil {
		return show.Refuse("console", "resetting the journal %s: %w", j.name, err)
	}
	return nil
}
