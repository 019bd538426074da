package sender_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tartansim/tartansim/sender"
)

// pythonVerifier is Tartan's documented verification snippet, run over the
// body decoded as UTF-8 text (newline="" keeps CR LF as sent). For each
// (file, signature) pair it prints the digest and whether == accepts it.
const pythonVerifier = `
import hashlib, hmac, os, sys
app_key = os.environ["TARTAN_APP_KEY"]
args = sys.argv[1:]
for path, signature in zip(args[0::2], args[1::2]):
    with open(path, encoding="utf-8", newline="") as f:
        payload = f.read()
    digest = hmac.new(app_key.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()
    print(digest, "accept" if digest == signature else "reject")
`

// nodeVerifier is what a Node consumer does: HMAC over the raw Buffer and a
// constant-time comparison.
const nodeVerifier = `
const crypto = require("crypto"), fs = require("fs");
const key = Buffer.from(process.env.TARTAN_APP_KEY, "utf8");
const args = process.argv.slice(1);
for (let i = 0; i < args.length; i += 2) {
  const digest = crypto.createHmac("sha256", key).update(fs.readFileSync(args[i])).digest("hex");
  const a = Buffer.from(digest, "utf8"), b = Buffer.from(args[i + 1], "utf8");
  const ok = a.length === b.length && crypto.timingSafeEqual(a, b);
  console.log(digest + " " + (ok ? "accept" : "reject"));
}
`

// TestCompatWithPythonAndNode runs real verifiers, as separate processes,
// over the bodies in testdata/compat: both must compute Sign's digest,
// accept the valid signature and reject a near miss.
func TestCompatWithPythonAndNode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "compat", "*.json"))
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 bodies in testdata/compat, got %d (%v)", len(files), err)
	}
	checkCompatBodies(t, files)

	verifiers := []struct {
		name, bin string
		args      []string
	}{
		{"python", "python3", []string{"-c", pythonVerifier}},
		{"node", "node", []string{"-e", nodeVerifier}},
	}
	keys := []string{"app-key-123", "clé-अमित-🔑"}

	for _, v := range verifiers {
		t.Run(v.name, func(t *testing.T) {
			bin, err := exec.LookPath(v.bin)
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s is not installed, and CI must run this check (.ci/run installs it): %v", v.bin, err)
				}
				t.Skipf("%s is not installed, so this verifier cannot be checked: %v", v.bin, err)
			}
			for _, key := range keys {
				t.Run(key, func(t *testing.T) {
					args := slices.Clone(v.args)
					var want []string
					for _, file := range files {
						body, err := os.ReadFile(file)
						if err != nil {
							t.Fatal(err)
						}
						valid := sender.Sign([]byte(key), body)
						near, _ := sender.SignatureValue([]byte(key), body, sender.SignatureNearMiss)
						args = append(args, file, valid, file, near)
						want = append(want, valid+" accept", valid+" reject")
					}

					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					cmd := exec.CommandContext(ctx, bin, args...)
					cmd.Env = append(os.Environ(), "TARTAN_APP_KEY="+key, "PYTHONUTF8=1", "PYTHONIOENCODING=utf-8")
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					out, err := cmd.Output()
					if err != nil {
						t.Fatalf("%s: %v\n%s", v.bin, err, stderr.String())
					}
					got := strings.Split(strings.TrimSpace(string(out)), "\n")
					if len(got) != len(want) {
						t.Fatalf("%s printed %d lines, want %d:\n%s", v.bin, len(got), len(want), out)
					}
					for i := range want {
						if got[i] != want[i] {
							t.Errorf("%s, %s signature: %s says %q, want %q",
								files[i/2], []string{"valid", "near-miss"}[i%2], v.name, got[i], want[i])
						}
					}
				})
			}
		})
	}
}

// checkCompatBodies makes sure the testdata still has the layouts it is
// meant to cover, so that the compatibility check cannot pass vacuously.
func checkCompatBodies(t *testing.T, files []string) {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "compat", name))
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) {
			t.Fatalf("%s is not UTF-8", name)
		}
		return string(b)
	}
	if s := read("compact.json"); strings.Contains(s, ", ") || strings.Contains(s, "\n") || !strings.Contains(s, "Zoë") {
		t.Error("compact.json should be compact JSON with raw non-ASCII text")
	}
	if s := read("python-dumps.json"); !strings.Contains(s, `", "`) || !strings.Contains(s, `": `) ||
		!strings.Contains(s, `\u00eb`) || !strings.Contains(s, `\u0905`) || strings.ContainsFunc(s, func(r rune) bool { return r > 127 }) {
		t.Error(`python-dumps.json should use ", " and ": " and escape all non-ASCII as \uXXXX`)
	}
	if s := read("indented.json"); !strings.Contains(s, "\n  \"") || !strings.Contains(s, "Zoë D'Souza") || !strings.Contains(s, "अमित") {
		t.Error("indented.json should be 2-space indented with raw UTF-8 names")
	}
	if s := read("indented-crlf.json"); !strings.Contains(s, "\r\n  \"") {
		t.Error("indented-crlf.json should use CR LF line ends")
	}
	if s := read("html-chars.json"); !strings.Contains(s, "&") || !strings.Contains(s, "<") || !strings.Contains(s, `\"`) || !strings.Contains(s, "'") {
		t.Error(`html-chars.json should contain &, <, \" and '`)
	}
	if len(files) != 5 {
		t.Errorf("testdata/compat has %d bodies; update checkCompatBodies", len(files))
	}
}
