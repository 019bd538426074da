package console

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tartansim/tartansim/deliverylog"
	"github.com/tartansim/tartansim/show"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrStoreLocked is wrapped by OpenStore's error when another process (a
// second serve) holds the store open.
var ErrStoreLocked = error(&show.Refusal{Pkg: "console", Why: "the store is in use by another tartansim serve"})

// ErrStoreDamaged is wrapped by OpenStore's error when the file is not a
// console store or is damaged. The file is left exactly as it was.
var ErrStoreDamaged = error(&show.Refusal{Pkg: "console", Why: "the store is damaged or is not a tartansim console store"})

// storeFormat marks a file as a console store, version 2: attempts are
// deliverylog.Attempt lines. A version 1 store (the console's own attempt
// record) is read and rewritten as version 2 when it is opened.
const (
	storeFormat   = "tartansim-console 2"
	storeFormatV1 = "tartansim-console 1"
)

// lockWait is how long OpenStore waits for another process's lock.
const lockWait = 200 * time.Millisecond

// Buckets and meta keys of the store.
var (
	bucketAttempts = []byte("attempts") // id -> deliverylog.Attempt (JSON), as the export writes it
	bucketIndex    = []byte("index")    // id -> the fields the filters read (indexValue)
	bucketPending  = []byte("pending")  // delivery id -> "": due at the next EOD batch
	bucketTries    = []byte("tries")    // delivery id -> tries (JSON): what the EOD rule reads
	bucketFields   = []byte("fields")   // field tag + value + NUL + id -> "": the filters' index
	bucketMeta     = []byte("meta")
	keyFormat      = []byte("format")
	keySettings    = []byte("settings")
	keyLastEOD     = []byte("lastEod")
	keyEODBatches  = []byte("eodBatches") // the last EOD batch's number
	keyCounts      = []byte("counts")
)

// Store keeps the console's log and settings in one file on disk, a bbolt
// database: every write is one transaction, synced before it returns, so
// after a crash (kill -9 included) the file holds every attempt written
// before it, and nothing half-written. One process at a time holds the
// file (an exclusive lock). Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
}

// Counts are the log's aggregates, kept whatever the window.
type Counts struct {
	Total int64 `json:"total"`
	// OK counts the attempts the consumer acknowledged (2xx).
	OK int64 `json:"ok"`
	// Met counts the attempts whose outcome was as expected
	// (deliverylog.Attempt.Met), Failed the others: a forged attempt
	// rightly rejected, or a failure tartansim injected, is not failed.
	Met    int64 `json:"met"`
	Failed int64 `json:"failed"`
}

// count adds a to c.
func (c *Counts) count(a *deliverylog.Attempt) {
	c.Total++
	if a.OK() {
		c.OK++
	}
	if a.Met() {
		c.Met++
	} else {
		c.Failed++
	}
}

// OpenStore opens the store at path, creating it (and its directory) when
// it does not exist. A file locked by another process is an error wrapping
// ErrStoreLocked; a file that is not a console store, or is damaged, is an
// error wrapping ErrStoreDamaged. Neither is ever overwritten.
func OpenStore(path string) (st *Store, err error) {
	if dir := dirOf(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, show.Refuse("console", "cannot create the store's folder %s: %w", dir, err)
		}
	}
	defer func() { // bbolt panics on some damaged files instead of failing
		if r := recover(); r != nil {
			st, err = nil, fmt.Errorf("%w: %s", ErrStoreDamaged, path)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrStoreLocked, path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, fmt.Errorf("%w: %s", ErrStoreDamaged, path)
	case err != nil:
		return nil, show.Refuse("console", "cannot open the store %s: %w", path, err)
	}
	st = &Store{db: db, path: path}
	if err := st.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return st, nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i]
		}
	}
	return ""
}

// init creates the buckets of a new store, or checks an existing one.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("%w: %s", ErrStoreDamaged, s.path)
			}
			var err error
			if meta, err = tx.CreateBucket(bucketMeta); err != nil {
				return err
			}
			if err := meta.Put(keyFormat, []byte(storeFormat)); err != nil {
				return err
			}
		}
		format := string(meta.Get(keyFormat))
		if format != storeFormat && format != storeFormatV1 {
			return fmt.Errorf("%w: %s", ErrStoreDamaged, s.path)
		}
		for _, b := range [][]byte{bucketAttempts, bucketIndex, bucketPending, bucketFields, bucketRuns, bucketTries} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if format == storeFormatV1 {
			return migrateV1(tx)
		}
		return nil
	})
}

// rebuild empties what the store derives from its attempts (the index,
// the filters' index, the EOD rule's tries and pending set, the counts)
// and writes it again from the attempts, oldest first.
func rebuild(tx *bolt.Tx, runs map[int64]string) error {
	for _, b := range [][]byte{bucketIndex, bucketFields, bucketPending, bucketTries} {
		if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	var c Counts
	err := tx.Bucket(bucketAttempts).ForEach(func(_, v []byte) error {
		var a deliverylog.Attempt
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		return derive(tx, &a, runs[a.Delivery], &c)
	})
	if err != nil {
		return err
	}
	js, _ := json.Marshal(c)
	return tx.Bucket(bucketMeta).Put(keyCounts, js)
}

// v1Sources are the sources of a version 1 store, by what made the
// delivery; its "resend" and "eod" take their delivery's.
var v1Sources = map[string]deliverylog.Source{"test": deliverylog.FromConsole, "scenario": deliverylog.FromRun,
	"conformance": deliverylog.FromConformance, "api": deliverylog.FromAPI}

// migrateV1 rewrites a version 1 store's attempts as deliverylog.Attempt
// lines: the sources renamed, the expectation set (forged: 4xx; a version
// 1 store did not mark injected failures, so every other attempt expects
// 2xx), the envelope's session fields read from the body; then rebuilds
// what derives from them.
func migrateV1(tx *bolt.Tx) error {
	att := tx.Bucket(bucketAttempts)
	if att == nil {
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(storeFormat))
	}
	type v1 struct {
		Source string `json:"source"`
		RunID  string `json:"runId"`
	}
	source, runs := map[int64]deliverylog.Source{}, map[int64]string{}
	var keys, vals [][]byte
	err := att.ForEach(func(k, v []byte) error {
		var old v1
		var a deliverylog.Attempt
		if err := json.Unmarshal(v, &old); err != nil {
			return err
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if src, ok := v1Sources[old.Source]; ok {
			a.Source = src
			if _, seen := source[a.Delivery]; !seen {
				source[a.Delivery], runs[a.Delivery] = src, old.RunID
			}
		} else {
			a.Source = source[a.Delivery]
		}
		a.Expect = deliverylog.Expect2xx
		if a.Forged {
			a.Expect = deliverylog.Expect4xx
		}
		env := readEnvelope([]byte(a.Body))
		a.SyncSessionID, a.WebhookCounter = env.SyncSessionID, env.WebhookCounter
		js, err := json.Marshal(a)
		if err != nil {
			return err
		}
		keys, vals = append(keys, bytes.Clone(k)), append(vals, js)
		return nil
	})
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := att.Put(k, vals[i]); err != nil {
			return err
		}
	}
	if err := rebuild(tx, runs); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyFormat, []byte(storeFormat))
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

func idKey(id int64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(id))
	return k[:]
}

// indexValue is an index record: the filtered fields (fieldsOf),
// NUL-separated. Filtering reads these small records, never the attempts,
// and decodes only the attempts that match.
func indexValue(a *deliverylog.Attempt) []byte {
	var b bytes.Buffer
	for _, f := range fieldsOf(a) {
		b.Write(bytes.ReplaceAll(f, []byte{0}, nil))
		b.WriteByte(0)
	}
	return b.Bytes()
}

// matchIndex applies f to an index record; a damaged one matches nothing.
func matchIndex(v []byte, f Filter) bool {
	var p fields
	rest := v
	for i := range p {
		var ok bool
		p[i], rest, ok = bytes.Cut(rest, []byte{0})
		if !ok {
			return false
		}
	}
	return f.match(&p)
}

// briefAt decodes the attempt under key k of the attempts bucket, without
// its bytes.
func briefAt(att *bolt.Bucket, k []byte) (deliverylog.Attempt, bool) {
	var a deliverylog.Attempt
	v := att.Get(k)
	if v == nil || json.Unmarshal(v, &a) != nil {
		return a, false
	}
	return brief(a), true
}

// put writes attempts, whose IDs are set, in one transaction, with the
// pending set and the counts that follow from them. run is the console
// run that made them, "" for none.
func (s *Store) put(run string, as []*deliverylog.Attempt) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		att, meta := tx.Bucket(bucketAttempts), tx.Bucket(bucketMeta)
		var c Counts
		if v := meta.Get(keyCounts); v != nil {
			_ = json.Unmarshal(v, &c)
		}
		for _, a := range as {
			full, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if err := att.Put(idKey(a.ID), full); err != nil {
				return err
			}
			if err := att.SetSequence(uint64(a.ID)); err != nil {
				return err
			}
			if err := derive(tx, a, run, &c); err != nil {
				return err
			}
		}
		js, _ := json.Marshal(c)
		return meta.Put(keyCounts, js)
	})
}

// derive writes what follows from attempt a, stored: its index record,
// its keys in the filters' index, the EOD rule's state, and its count in c.
func derive(tx *bolt.Tx, a *deliverylog.Attempt, run string, c *Counts) error {
	if err := tx.Bucket(bucketIndex).Put(idKey(a.ID), indexValue(a)); err != nil {
		return err
	}
	for _, prefix := range fieldPrefixes(a) {
		if err := tx.Bucket(bucketFields).Put(append(prefix, idKey(a.ID)...), nil); err != nil {
			return err
		}
	}
	c.count(a)
	return awaitEOD(tx.Bucket(bucketPending), tx.Bucket(bucketTries), a, run)
}

// tries is what the store keeps of a delivery's attempts for the EOD
// rule: whether it is forged (its first attempt says), and each attempt's
// kind and whether it was acknowledged.
type tries struct {
	Forged bool `json:"forged,omitempty"`
	// Run is the console run that made the delivery, "" for none: its
	// failures wait for the run's end.
	Run   string `json:"run,omitempty"`
	Tries []try  `json:"tries"`
}

type try struct {
	Kind deliverylog.Kind `json:"kind"`
	OK   bool             `json:"ok"`
}

// Tried is what deliverylog.DueAtEOD reads of an attempt.
func (t try) Tried() (deliverylog.Kind, bool) { return t.Kind, t.OK }

// awaitEOD adds the attempt s to its delivery's tries and applies the one
// EOD rule, deliverylog.DueAtEOD, whatever made the delivery (a test send,
// a resend, a run, the mock API): it is due at the next batch when it is
// genuine, no attempt was acknowledged, and no batch has re-sent it yet.
func awaitEOD(pend, bucket *bolt.Bucket, s *deliverylog.Attempt, run string) error {
	k := idKey(s.Delivery)
	t := tries{Forged: s.Forged, Run: run}
	if v := bucket.Get(k); v != nil {
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
	}
	t.Tries = append(t.Tries, try{Kind: deliverylog.Kind(s.Kind), OK: s.OK()})
	js, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := bucket.Put(k, js); err != nil {
		return err
	}
	if deliverylog.DueAtEOD(t.Forged, t.Tries) {
		return pend.Put(k, nil)
	}
	return pend.Delete(k)
}

// lastID is the highest attempt ID written.
func (s *Store) lastID() (int64, error) {
	var id int64
	err := s.db.View(func(tx *bolt.Tx) error {
		id = int64(tx.Bucket(bucketAttempts).Sequence())
		return nil
	})
	return id, err
}

// runOf is the console run that made delivery, "" for none.
func (s *Store) runOf(delivery int64) (string, error) {
	var t tries
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketTries).Get(idKey(delivery)); v != nil {
			return json.Unmarshal(v, &t)
		}
		return nil
	})
	return t.Run, err
}

// Get reads attempt id.
func (s *Store) Get(id int64) (deliverylog.Attempt, bool, error) {
	var a deliverylog.Attempt
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAttempts).Get(idKey(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &a)
	})
	return a, found, err
}

// Tags of the filters' index: each attempt has one key per tag, the tag,
// the field's value (at most maxIndexed bytes of it), NUL, and its ID.
const (
	tagOrg     = 'g' // orgId
	tagName    = 'n' // event
	tagKind    = 'k' // event NUL eventType: a catalogue ID
	tagOutcome = 'r' // ok or failed
	tagRequest = 'q' // requestId
	tagSession = 's' // syncSessionId
)

// maxIndexed bounds the bytes of a value in an index key; bbolt keys are
// small, and an edited payload may carry any orgId.
const maxIndexed = 256

func fieldPrefix(tag byte, v string) []byte {
	v = v[:min(len(v), maxIndexed)]
	b := make([]byte, 0, len(v)+10)
	b = append(b, tag)
	b = append(b, v...)
	return append(b, 0)
}

func fieldPrefixes(a *deliverylog.Attempt) [][]byte {
	return [][]byte{
		fieldPrefix(tagOrg, a.OrgID),
		fieldPrefix(tagName, a.Event),
		fieldPrefix(tagKind, a.Event+"\x00"+a.EventType),
		fieldPrefix(tagOutcome, string(fieldsOf(a)[fOutcome])),
		fieldPrefix(tagRequest, a.RequestID),
		fieldPrefix(tagSession, a.SyncSessionID),
	}
}

// filterPrefix is the index range that holds every attempt f can match,
// the narrowest one f names; nil when it names none (an org is a prefix,
// which the index's order cannot serve newest first: it reads the records).
func filterPrefix(f Filter) []byte {
	switch {
	case f.RequestID != "":
		return fieldPrefix(tagRequest, f.RequestID)
	case f.SyncSessionID != "":
		return fieldPrefix(tagSession, f.SyncSessionID)
	case f.Event != "":
		if event, typ, ok := strings.Cut(f.Event, "/"); ok {
			return fieldPrefix(tagKind, event+"\x00sync.events."+typ)
		}
		return fieldPrefix(tagName, f.Event)
	case f.Outcome != "":
		return fieldPrefix(tagOutcome, f.Outcome)
	}
	return nil
}

// scan calls fn with the attempts that match f, without their bytes, newest first, from the
// attempt before ID before (0: from the newest), until fn returns false.
// A filter reads only the index range of its narrowest field, so a
// filter that matches little costs little, however long the log.
func (s *Store) scan(before int64, f Filter, fn func(deliverylog.Attempt) bool) error {
	if prefix := filterPrefix(f); prefix != nil {
		return s.scanRange(prefix, before, f, fn)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketIndex).Cursor()
		var k, v []byte
		if before <= 0 {
			k, v = c.Last()
		} else {
			c.Seek(idKey(before))
			k, v = c.Prev()
		}
		att := tx.Bucket(bucketAttempts)
		for ; k != nil; k, v = c.Prev() {
			if !matchIndex(v, f) {
				continue
			}
			if a, ok := briefAt(att, k); ok && !fn(a) {
				return nil
			}
		}
		return nil
	})
}

// scanRange is scan through the filters' index: the keys that start with
// prefix, newest first, each checked against the whole of f.
func (s *Store) scanRange(prefix []byte, before int64, f Filter, fn func(deliverylog.Attempt) bool) error {
	if before <= 0 {
		before = math.MaxInt64
	}
	return s.db.View(func(tx *bolt.Tx) error {
		idx, att := tx.Bucket(bucketIndex), tx.Bucket(bucketAttempts)
		c := tx.Bucket(bucketFields).Cursor()
		k, _ := c.Seek(append(slices.Clip(prefix), idKey(before)...))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if len(k) != len(prefix)+8 {
				continue // a longer value that shares this prefix
			}
			id := k[len(k)-8:]
			if !matchIndex(idx.Get(id), f) {
				continue
			}
			if a, ok := briefAt(att, id); ok && !fn(a) {
				return nil
			}
		}
		return nil
	})
}

// each calls fn with every attempt, oldest first.
func (s *Store) each(fn func(deliverylog.Attempt) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAttempts).ForEach(func(_, v []byte) error {
			var a deliverylog.Attempt
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			return fn(a)
		})
	})
}

// pending returns the deliveries awaiting the next EOD batch, oldest first.
func (s *Store) pending() ([]int64, error) {
	var ids []int64
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			ids = append(ids, int64(binary.BigEndian.Uint64(k)))
			return nil
		})
	})
	return ids, err
}

// counts returns the aggregates.
func (s *Store) counts() (Counts, error) {
	var c Counts
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyCounts); v != nil {
			return json.Unmarshal(v, &c)
		}
		return nil
	})
	return c, err
}

// getMeta reads the JSON value under key into v; false when there is none.
func (s *Store) getMeta(key []byte, v any) (bool, error) {
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(key)
		if b == nil {
			return nil
		}
		found = true
		return json.Unmarshal(b, v)
	})
	return found, err
}

// putMeta writes v as JSON under key.
func (s *Store) putMeta(key []byte, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(key, js) })
}
