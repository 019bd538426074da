package box_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tartansim/tartansim/box"
)

// decisionRows is box.Decisions as docs/api.md's table writes it.
func decisionRows() []string {
	rows := []string{"| topic | our rule |", "|---|---|"}
	for _, d := range box.Decisions {
		rows = append(rows, "| "+d.Topic+" | "+strings.ReplaceAll(d.Rule, "|", `\|`)+" |")
	}
	return rows
}

// The docs' table of our decisions is box.Decisions, row for row: one
// change in decisions.go, and this test says what the docs must become.
func TestDecisionsTableInDocs(t *testing.T) {
	raw, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## Our decisions, in one table\n")
	if !ok {
		t.Fatal("docs/api.md has no section \"Our decisions, in one table\"")
	}
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if strings.HasPrefix(line, "|") {
			got = append(got, line)
		}
	}
	want := decisionRows()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/api.md's table of decisions is not box.Decisions; it should read:\n\n%s\n", strings.Join(want, "\n"))
	}
}
