package wire

// Object is a JSON object that keeps the order of its keys. The zero value is
// an empty object ready to use. An Object is not safe for concurrent mutation.
type Object struct {
	keys []string
	vals []any
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string { return o.keys }

// At returns the i-th key and value.
func (o *Object) At(i int) (string, any) { return o.keys[i], o.vals[i] }

// Add appends key with value v without looking for an existing key; use it to
// build objects whose keys are known to be distinct. It returns o for chaining.
func (o *Object) Add(key string, v any) *Object {
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	return o
}

// Set replaces the value of key in place, keeping its position, or appends
// key when it is absent.
func (o *Object) Set(key string, v any) {
	if i := o.index(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.Add(key, v)
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	if i := o.index(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Has reports whether key is present.
func (o *Object) Has(key string) bool { return o.index(key) >= 0 }

// Delete removes key, keeping the order of the others. It reports whether
// key was present.
func (o *Object) Delete(key string) bool {
	i := o.index(key)
	if i < 0 {
		return false
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	return true
}

// Move places key at position pos (clamped to the object's bounds), keeping
// the relative order of the other keys. It reports whether key was present.
func (o *Object) Move(key string, pos int) bool {
	i := o.index(key)
	if i < 0 {
		return false
	}
	v := o.vals[i]
	o.Delete(key)
	pos = max(0, min(pos, len(o.keys)))
	o.keys = append(o.keys, "")
	o.vals = append(o.vals, nil)
	copy(o.keys[pos+1:], o.keys[pos:])
	copy(o.vals[pos+1:], o.vals[pos:])
	o.keys[pos], o.vals[pos] = key, v
	return true
}

// Clone returns a deep copy of o. Raw values are shared, since they are
// never modified in place.
func (o *Object) Clone() *Object {
	c := NewObject(len(o.keys))
	for i, k := range o.keys {
		c.Add(k, Clone(o.vals[i]))
	}
	return c
}

// Clone returns a deep copy of a document tree.
func Clone(v any) any {
	switch t := v.(type) {
	case *Object:
		return t.Clone()
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

func (o *Object) index(key string) int {
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Raw is JSON text inserted verbatim by the encoder. The producer is
// responsible for it being valid JSON in the layout being written (for
// Indented, at the depth where it is placed). Raw lets a hot path encode a
// record once and reuse its bytes.
type Raw []byte
