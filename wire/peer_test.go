package wire

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The Python layout is what json.dumps writes, and the Indented and Compact
// layouts are what JSON.stringify writes: checked against the real programs,
// byte for byte, on a document full of hard text.
func TestLayoutsMatchPeers(t *testing.T) {
	doc := Encode(sample(), Compact)
	peers := []struct {
		layout Layout
		name   string
		args   []string
	}{
		{Python, "python3", []string{"-c", "import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))"}},
		{Indented, "node", []string{"-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s),null,2)))"}},
		{Compact, "node", []string{"-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s))))"}},
	}
	for _, p := range peers {
		t.Run(p.layout.String()+"/"+p.name, func(t *testing.T) {
			if _, err := exec.LookPath(p.name); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s is not installed, and CI must run this check (.ci/run installs it)", p.name)
				}
				t.Skipf("%s is not installed", p.name)
			}
			cmd := exec.Command(p.name, p.args...)
			cmd.Stdin = strings.NewReader(string(doc))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			if got := string(Encode(sample(), p.layout)); got != string(out) {
				t.Fatalf("%s layout differs from %s:\n ours %s\n%s %s", p.layout, p.name, got, p.name, out)
			}
		})
	}
}
