package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/tartansim/tartansim/fixtures"
	"github.com/tartansim/tartansim/judge"
	"github.com/tartansim/tartansim/sender"
	"github.com/tartansim/tartansim/show"
	"github.com/tartansim/tartansim/wire"
)

// Environment variables: a flag beats its variable.
const (
	envTarget  = "TARTAN_TARGET_URL"
	envKey     = "TARTAN_APP_KEY"
	envProbe   = "TARTAN_PROBE_URL"
	envTimeout = "TARTAN_TIMEOUT"
	envSeed    = "TARTAN_SEED"
	envSettle  = "TARTAN_SETTLE"
	envEvents  = "TARTAN_EVENTS"
)

// DemoKey signs for the built-in reference consumer when no key is given. It
// is public and protects nothing; real consumers need the real app key.
const DemoKey = "tartansim-demo-key"

// commonFlags are the flags docs/commands.md lists. Each command registers the
// ones it reads, so no flag is accepted and then ignored.
type commonFlags struct {
	target    string
	key       string
	keyFile   string
	probe     string
	timeout   time.Duration
	seed      uint64
	layout    string
	cacert    string
	insecure  bool
	cert      string // --cert: the client certificate for mTLS
	certKey   string // --client-key: its private key
	json      bool
	settle    string // --settle, parsed by settleValue
	events    string // --events, a list; eventsSet once given
	eventsSet bool
	sub       fixtures.Subscription
	fs        *pflag.FlagSet // the running command's flags
}

// Names of the common flags, for register.
const (
	flagTarget  = "target"
	flagKey     = "key" // --key and --key-file
	flagProbe   = "probe"
	flagTimeout = "timeout"
	flagSeed    = "seed"
	flagLayout  = "layout"
	flagTLS     = "cacert" // --cacert, --insecure, --cert and --client-key
	flagJSON    = "json"
	flagSettle  = "settle"
	flagEvents  = "events"
)

// register adds the named common flags to fs.
func (c *commonFlags) register(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		switch n {
		case flagTarget:
			fs.StringVar(&c.target, "target", "", "the consumer's webhook URL ($"+envTarget+"); default: the built-in reference consumer")
		case flagKey:
			fs.StringVar(&c.key, "key", "", "the app key that signs, for local use ($"+envKey+" or --key-file are safer)")
			fs.StringVar(&c.keyFile, "key-file", "", "read the app key from this file (trailing newline ignored)")
		case flagProbe:
			fs.StringVar(&c.probe, "probe", "", "the consumer's state probe URL ($"+envProbe+"); see docs/probe.md")
		case flagTimeout:
			fs.DurationVar(&c.timeout, "timeout", sender.DefaultTimeout, "per-delivery timeout; a slower delivery has failed ($"+envTimeout+")")
		case flagSeed:
			fs.Uint64Var(&c.seed, "seed", 0, "seed that reproduces the same bytes ($"+envSeed+"); default: random, printed")
		case flagLayout:
			fs.StringVar(&c.layout, "layout", wire.DefaultLayout.String(), "byte layout of the JSON body: "+layoutNames())
		case flagTLS:
			fs.StringVar(&c.cacert, "cacert", "", "trust this PEM CA bundle for https targets (staging)")
			fs.BoolVar(&c.insecure, "insecure", false, "do not verify the target's TLS certificate (only when asked)")
			fs.StringVar(&c.cert, "cert", "", "present this PEM client certificate to https targets that require one (mTLS)")
			fs.StringVar(&c.certKey, "client-key", "", "the PEM private key of --cert (default: read from the --cert file)")
		case flagJSON:
			fs.BoolVar(&c.json, "json", false, "print machine-readable JSON instead of text")
		case flagEvents:
			fs.Var(eventsValue{c: c}, "events", "the subscription: send only these events, catalogue IDs or event names, comma-separated ($"+envEvents+"); default: all")
		case flagSettle:
			fs.StringVar(&c.settle, "settle", judge.DefaultSettle.String(), "how long state judgements wait for a consumer that applies later to converge ($"+envSettle+"); 0 judges at once")
		default:
			panic("unknown common flag " + n)
		}
	}
}

func layoutNames() string {
	var names []string
	for _, l := range wire.Layouts() {
		names = append(names, l.String())
	}
	return strings.Join(names, ", ")
}

// Why a value is refused, completing "--flag "value" …".
const (
	whyDuration = "is not a duration like 10s or 500ms"
	whyTimeout  = "is not positive: give how long a delivery may take, like 10s or 500ms"
	whySeed     = "is not a whole number from 0 to 18446744073709551615"
)

// fromEnv fills what the flags left unset from the environment, for the
// flags the running command has, and refuses a value that makes no sense,
// from a flag or a variable, with one sentence that names it.
func (c *commonFlags) fromEnv() error {
	has := func(name string) bool { return c.fs != nil && c.fs.Lookup(name) != nil }
	fromEnv := func(flag, env string) (string, bool) {
		v := os.Getenv(env)
		return v, v != "" && has(flag) && !c.fs.Changed(flag)
	}
	if has("target") && !c.fs.Changed("target") {
		c.target = os.Getenv(envTarget)
	}
	if has("probe") && !c.fs.Changed("probe") {
		c.probe = os.Getenv(envProbe)
	}
	if v, ok := fromEnv("timeout", envTimeout); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			return badEnv(envTimeout, v, whyDuration)
		case d <= 0:
			return badEnv(envTimeout, v, whyTimeout)
		}
		c.timeout = d
	} else if has("timeout") && c.timeout <= 0 {
		return badFlag("timeout", c.fs.Lookup("timeout").Value.String(), whyTimeout)
	}
	if v, ok := fromEnv("seed", envSeed); ok {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return badEnv(envSeed, v, whySeed)
		}
		c.seed = n
		c.fs.Lookup("seed").Changed = true
	}
	if v, ok := fromEnv("settle", envSettle); ok {
		if _, why := parseSettle(v); why != "" {
			return badEnv(envSettle, v, why)
		}
		c.settle = v
	} else if has("settle") {
		if _, why := parseSettle(c.settle); why != "" {
			return badFlag("settle", c.settle, why)
		}
	}
	if has("events") {
		if err := c.readEvents(); err != nil {
			return err
		}
	}
	if c.key != "" && c.keyFile != "" {
		return usageErr("--key and --key-file both given; use one")
	}
	return nil
}

// readEvents parses --events (or $TARTAN_EVENTS) into c.sub. An unknown
// name is a usage error that lists the catalogue.
func (c *commonFlags) readEvents() error {
	list, from := c.events, "--events"
	if !c.eventsSet {
		list, from = os.Getenv(envEvents), envEvents
	}
	sub, err := fixtures.ParseSubscription(list)
	var unknown *fixtures.UnknownEventError
	switch {
	case errors.As(err, &unknown):
		return usageErr("%s: %s", from, unknown.Why())
	case err != nil:
		return usageErr("%s: %v", from, err)
	}
	c.sub = sub
	return nil
}

// eventsValue is --events. With count set (load and replay, where
// --events counted sends before it named the subscription), a whole number
// is still the count, as --count says plainly; anything else is the list.
type eventsValue struct {
	c     *commonFlags
	count *int64
}

func (v eventsValue) String() string {
	if v.c == nil {
		return ""
	}
	return v.c.events
}

func (v eventsValue) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && v.count != nil {
		if n < 1 {
			return &valueError{Why: "is not a count: give 1 or more"}
		}
		*v.count = n
		return nil
	}
	v.c.events, v.c.eventsSet = s, true
	return nil
}

func (v eventsValue) Type() string { return "LIST" }

// registerEventsOrCount adds --events (the subscription, or a whole number
// for the count, as it once was) and --count N to fs, for load and replay.
func (c *commonFlags) registerEventsOrCount(fs *pflag.FlagSet, count *int64, countHelp string) {
	fs.Var(eventsValue{c: c, count: count}, "events", "the subscription: send only these events, catalogue IDs or event names, comma-separated ($"+envEvents+"); default: all. A whole number is the older spelling of --count")
	fs.Int64Var(count, "count", *count, countHelp)
}

// settleValue is --settle (or $TARTAN_SETTLE), which fromEnv has checked:
// the settle budget, 0 to judge at once.
func (c *commonFlags) settleValue() time.Duration {
	d, _ := parseSettle(c.settle)
	return d
}

// settling is --settle as the judge takes it: 0 judges at once.
func (c *commonFlags) settling() judge.Settling {
	if d := c.settleValue(); d > 0 {
		return judge.Settling{Budget: d}
	}
	return judge.Settling{Budget: judge.JudgeAtOnce}
}

// parseSettle reads a settle budget; for a value that is not one, why
// completes a sentence that starts with the value.
func parseSettle(v string) (d time.Duration, why string) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, whyDuration + " (0 judges at once)"
	case d < 0:
		return 0, "is negative: give how long to wait, like 10s, or 0 to judge at once"
	}
	return d, ""
}

// valueError is the error of a flag's own Set (a pflag.Value of ours) for
// a value it refuses: Why completes "--flag "value" …".
type valueError struct{ Why string }

func (e *valueError) Error() string { return e.Why }

// flagValueError turns pflag's error for a value it could not parse into
// the usage error that names the flag and says what it wants, in one
// sentence: --day "soon" is not a duration like 10s or 500ms. ok is false
// for an error of another kind.
func flagValueError(err error) (_ error, ok bool) {
	var inv *pflag.InvalidValueError
	if !errors.As(err, &inv) {
		return nil, false
	}
	f := inv.GetFlag()
	var own *valueError
	why := "is refused: " + plain(errors.Unwrap(inv))
	switch {
	case errors.As(inv, &own):
		why = own.Why
	case f.Value.Type() == "duration":
		why = whyDuration
	case f.Value.Type() == "int" || f.Value.Type() == "int64":
		why = "is not a whole number"
	case f.Value.Type() == "uint64":
		why = "is not a whole number, 0 or more"
	case f.Value.Type() == "float64":
		why = "is not a number"
	case f.Value.Type() == "bool":
		why = "is not true or false"
	}
	if f.Name == flagSeed {
		why = whySeed
	}
	return badFlag(f.Name, inv.GetValue(), why), true
}

// seedValue returns the seed to use: the one given, or a random one.
func (c *commonFlags) seedValue() uint64 {
	if c.fs.Changed("seed") {
		return c.seed
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) % 1_000_000_000
}

func (c *commonFlags) layoutValue() (wire.Layout, error) {
	l, err := wire.ParseLayout(c.layout)
	if err != nil {
		return 0, usageErr("--layout %q: want one of %s", c.layout, layoutNames())
	}
	return l, nil
}

// errNoKey is the one sentence for a missing key.
var errNoKey = usageErr("no app key: set %s, or pass --key-file FILE (or --key KEY for local use)", envKey)

// appKey returns the key from --key, --key-file or the environment, in that
// order, and whether one was given. The key is never printed.
func (c *commonFlags) appKey() ([]byte, bool, error) {
	switch {
	case c.key != "":
		return []byte(c.key), true, nil
	case c.keyFile != "":
		b, err := os.ReadFile(c.keyFile)
		if err != nil {
			return nil, false, usageErr("cannot read --key-file %s: %v", c.keyFile, plainIOError(err))
		}
		k := strings.TrimRight(string(b), "\r\n")
		if k == "" {
			return nil, false, usageErr("--key-file %s is empty", c.keyFile)
		}
		return []byte(k), true, nil
	case os.Getenv(envKey) != "":
		return []byte(os.Getenv(envKey)), true, nil
	}
	return nil, false, nil
}

// keyFor returns the app key for a command that talks to target: the key
// given (see appKey) or, for the built-in consumer (target ""), the public
// demo key. An external target with no key is errNoKey when need is set, and
// a nil key otherwise. It prints the warning of keyFileWarning.
func (a *app) keyFor(target string, need bool) ([]byte, error) {
	key, ok, err := a.common.appKey()
	if err != nil {
		return nil, err
	}
	switch {
	case ok:
	case target == "":
		key = []byte(DemoKey)
	case need:
		return nil, errNoKey
	}
	if w := a.common.keyFileWarning(); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
	return key, nil
}

// keyFileWarning says when a file holding a secret can be read by others:
// --key-file, and the file with the private key of --cert (--client-key,
// or --cert itself). One line per file, or "".
func (c *commonFlags) keyFileWarning() string {
	files := []struct{ flag, path string }{{"--key-file", c.keyFile}}
	if flag, path := c.clientKeyFile(); path != "" {
		if data, err := os.ReadFile(path); err == nil && hasPEM(data, "PRIVATE KEY") {
			files = append(files, struct{ flag, path string }{flag, path})
		}
	}
	var lines []string
	for _, f := range files {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("warning: %s %s can be read by other users (mode %04o); chmod 600 it", f.flag, f.path, st.Mode().Perm()))
	}
	return strings.Join(lines, "\n")
}

// clientKeyFile names the flag and the file that hold the private key of
// --cert: --client-key, or else --cert itself; "" for none.
func (c *commonFlags) clientKeyFile() (flag, path string) {
	if c.certKey != "" {
		return "--client-key", c.certKey
	}
	return "--cert", c.cert
}

// checkTarget validates a target URL with the sender's own rule: one
// sentence when it is malformed.
func checkTarget(raw, flag string) error {
	if _, err := sender.New(raw); err != nil {
		return badURL(flag, raw)
	}
	return nil
}

// badURL is the sentence for a malformed target URL given with flag.
func badURL(flag, raw string) error {
	return usageErr("%s %q is not an http:// or https:// URL", flag, show.URL(raw))
}

// tlsConfig builds the TLS configuration for https targets from --cacert
// and --insecure (whom to trust) and --cert and --client-key (who we are,
// for a target that requires client certificates). With none of them it is
// nil: the system roots, no client certificate. An unreadable or unusable
// file is a usage error in one sentence that never quotes the file's
// contents.
func (c *commonFlags) tlsConfig() (*tls.Config, error) {
	if c.cacert == "" && !c.insecure && c.cert == "" && c.certKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: c.insecure} //nolint:gosec // only when asked, documented
	if c.cacert != "" {
		pem, err := os.ReadFile(c.cacert)
		if err != nil {
			return nil, usageErr("cannot read --cacert %s: %v", c.cacert, plainIOError(err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErr("--cacert %s holds no PEM certificate", c.cacert)
		}
		cfg.RootCAs = pool
	}
	if c.cert != "" || c.certKey != "" {
		cert, err := c.clientCertificate()
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// clientCertificate loads --cert and its key: from --client-key, or from
// the --cert file itself when it holds both.
func (c *commonFlags) clientCertificate() (tls.Certificate, error) {
	if c.cert == "" {
		return tls.Certificate{}, usageErr("--client-key %s needs --cert FILE, the certificate it belongs to", c.certKey)
	}
	certPEM, err := os.ReadFile(c.cert)
	if err != nil {
		return tls.Certificate{}, usageErr("cannot read --cert %s: %v", c.cert, plainIOError(err))
	}
	_, keyFile := c.clientKeyFile()
	keyPEM := certPEM
	if c.certKey != "" {
		if keyPEM, err = os.ReadFile(c.certKey); err != nil {
			return tls.Certificate{}, usageErr("cannot read --client-key %s: %v", c.certKey, plainIOError(err))
		}
	}
	if !hasPEM(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, usageErr("--cert %s holds no PEM certificate", c.cert)
	}
	if !hasPEM(keyPEM, "PRIVATE KEY") {
		if c.certKey == "" {
			return tls.Certificate{}, usageErr("--cert %s holds no private key; pass --client-key FILE", c.cert)
		}
		return tls.Certificate{}, usageErr("--client-key %s holds no PEM private key", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// crypto/tls's messages name no file and may suggest swapping
		// arguments; say which files do not go together instead.
		return tls.Certificate{}, usageErr("--cert %s and --client-key %s do not go together (%s)", c.cert, keyFile, keyPairReason(err))
	}
	return cert, nil
}

// hasPEM reports whether data holds a PEM block whose type ends with kind
// ("CERTIFICATE"; "PRIVATE KEY" matches RSA, EC and PKCS #8 keys).
func hasPEM(data []byte, kind string) bool {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return false
		}
		if strings.HasSuffix(block.Type, kind) {
			return true
		}
	}
}

// keyPairReason says briefly why a certificate and a key do not pair.
func keyPairReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "tls: ")
	switch {
	case strings.Contains(msg, "does not match"):
		return "the private key does not match the certificate"
	case strings.Contains(msg, "unknown public key algorithm"), strings.Contains(msg, "unsupported"):
		return "unsupported key type"
	case strings.Contains(msg, "failed to parse"):
		return "the private key cannot be parsed"
	}
	if i := strings.IndexAny(msg, ";"); i > 0 {
		msg = msg[:i] // crypto/tls appends advice about swapped arguments
	}
	return msg
}

func plainIOError(err error) string {
	switch {
	case os.IsNotExist(err):
		return "no such file"
	case os.IsPermission(err):
		return "permission denied"
	default:
		return err.Error()
	}
}

// newGenerator returns the generator for a run and the seed it uses.
func newGenerator(seed uint64, at time.Time, pii bool) *fixtures.Generator {
	opts := []fixtures.Option{fixtures.At(at)}
	if pii {
		opts = append(opts, fixtures.SyntheticPII())
	}
	opts = append(opts, fixtures.RunID(fixtures.RunIDFor(seed)))
	return fixtures.New(fixtures.NewFaker(seed), opts...)
}
