package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
)

// sentCount reads "sent N" from a load-shaped text report.
func sentCount(stdout string) int {
	GinkgoHelper()
	m := regexp.MustCompile(`(?m)^sent (\d+) `).FindStringSubmatch(stdout)
	Expect(m).NotTo(BeNil(), stdout)
	n, err := strconv.Atoi(m[1])
	Expect(err).NotTo(HaveOccurred())
	return n
}

// devFull skips a spec on a system without /dev/full.
func devFull() string {
	GinkgoHelper()
	if _, err := os.Stat("/dev/full"); err != nil {
		Skip("no /dev/full on this system")
	}
	return "/dev/full"
}

var _ = Describe("a delivery log cut short", Label("record"), func() {
	It("replays a log whose last line a crash tore, warning once with the file, line and bytes dropped", func() {
		srv := newReceivedSink()
		file := filepath.Join(GinkgoT().TempDir(), "rec.ndjson")
		r := tartansim("", "load", "--target", srv.URL, "--key", secretKey, "--events", "40", "--rate", "4000",
			"--orgs", "2", "--employees", "10", "--record", file, "--quiet")
		Expect(r.code).To(Equal(0), r.output())
		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Count(data, []byte("\n"))).To(Equal(40))
		Expect(os.WriteFile(file, data[:len(data)-30], 0o644)).To(Succeed()) // as kill -9 in mid-write leaves it
		last := bytes.LastIndexByte(data[:len(data)-1], '\n')
		warning := "tartansim: warning: " + file + ":40: dropped the torn last line (" + strconv.Itoa(len(data)-30-last-1) +
			" bytes), as a crash of the process writing the log leaves it; every line before it is read.\n"

		dry := tartansim("", "replay", file, "--dry-run", "--target", srv.URL)
		Expect(dry.code).To(Equal(0), dry.output())
		Expect(dry.stdout).To(ContainSubstring(file + ": 39 complete deliveries (0 forged)"))
		Expect(dry.stderr).To(Equal(warning))

		srv.reset()
		re := tartansim("", "replay", file, "--target", srv.URL, "--rate", "4000")
		Expect(re.code).To(Equal(0), re.output())
		Expect(re.stdout).To(ContainSubstring("sent 39  ok 39"))
		Expect(re.stderr).To(Equal(warning))
		Expect(srv.received()).To(Equal(39))
	})

	It("still refuses a torn line that is not the last: corruption, exit 2 with the file and line", func() {
		file := filepath.Join(GinkgoT().TempDir(), "bad.ndjson")
		line := `{"headers":{},"body":"{}"}`
		Expect(os.WriteFile(file, []byte(line+"\n"+line[:10]+"\n"+line+"\n"), 0o644)).To(Succeed())
		r := tartansim("", "replay", file, "--dry-run")
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(ContainSubstring("bad.ndjson:2: "))
	})

	It("stops load --record at the first failed write: one sentence, exit 2, and the report of what was sent", func() {
		full := devFull()
		srv := newReceivedSink()
		r := tartansim("", "load", "--target", srv.URL, "--key", secretKey, "--events", "5000", "--rate", "4000",
			"--concurrency", "4", "--orgs", "2", "--employees", "10", "--record", full, "--quiet")
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(MatchRegexp(`^tartansim: cannot write --record /dev/full: no space left on device; the run stopped at that first failed write, after \d+ sends, and the report of what was sent is above \(seed \d+\)\.\n$`))
		sent := sentCount(r.stdout)
		Expect(sent).To(BeNumerically("<=", deliverylog.FlushLines+4), "a write is due after FlushLines sends at the latest; then only those in flight")
		Expect(r.stderr).To(ContainSubstring("after " + strconv.Itoa(sent) + " sends"))
		Expect(srv.received()).To(Equal(sent))
	})

	It("stops run --record at the first failed write: one sentence, exit 2, and the report of what was sent", func() {
		full := devFull()
		srv := newReceivedSink()
		r := tartansim("", "run", "weekly-delta", "--day", "0", "--target", srv.URL, "--key", secretKey, "--record", full)
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(MatchRegexp(`^tartansim: cannot write --record /dev/full: no space left on device; the run stopped at that first failed write, after 1 send, and the report of what was sent is above \(seed \d+\)\.\n$`),
			"the invite is the first step, and its line the first write")
		Expect(r.stdout).To(ContainSubstring("invite corp"))
		Expect(r.stdout).NotTo(ContainSubstring("initial-sync"), "the run stopped before the next step")
		Expect(r.stdout).To(ContainSubstring("1 scenario(s)"))
	})

	It("writes --html in one piece, and when it cannot, says so after the report, exit 2", func() {
		dir := GinkgoT().TempDir()
		page := filepath.Join(dir, "report.html")
		Expect(os.WriteFile(page, []byte("the previous report"), 0o644)).To(Succeed())
		r := tartansim("", "load", "--events", "50", "--rate", "4000", "--orgs", "2", "--employees", "10", "--html", page, "--quiet")
		Expect(r.code).To(Equal(0), r.output())
		data, err := os.ReadFile(page)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(HavePrefix("<!DOCTYPE html>"))
		Expect(string(data)).To(HaveSuffix("</html>\n"))
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1), "no temporary file is left behind")

		missing := filepath.Join(dir, "no-such-dir", "report.html")
		r = tartansim("", "load", "--events", "50", "--rate", "4000", "--orgs", "2", "--employees", "10", "--html", missing, "--quiet")
		Expect(r.code).To(Equal(2), r.output())
		oneSentence(r)
		Expect(r.stderr).To(Equal("tartansim: cannot write --html " + missing + ": no such file, so the run's report is incomplete.\n"))
		Expect(r.stdout).To(ContainSubstring("sent 50  ok 50"), "the rest of the report is printed")
	})

	It("says so when the --json report cannot be written, exit 2", func() {
		var errb bytes.Buffer
		code := run(context.Background(), []string{"load", "--events", "20", "--rate", "4000", "--orgs", "2", "--employees", "10", "--json"},
			strings.NewReader(""), failingWriter{}, &errb)
		Expect(code).To(Equal(2), errb.String())
		Expect(errb.String()).To(Equal("tartansim: cannot write the --json report: no space left on device, so the run's report is incomplete.\n"))
	})

	It("says so when the report of run or conformance cannot be written, text or JSON, exit 2", func() {
		for _, c := range []struct {
			args []string
			what string
		}{
			{[]string{"run", "onboarding", "--day", "0"}, "the report"},
			{[]string{"run", "onboarding", "--day", "0", "--json"}, "the --json report"},
			{[]string{"conformance", "--label-filter", "SIG-VALID"}, "the report"},
			{[]string{"conformance", "--label-filter", "SIG-VALID", "--json"}, "the --json report"},
		} {
			var errb bytes.Buffer
			code := run(context.Background(), c.args, strings.NewReader(""), failingWriter{}, &errb)
			Expect(code).To(Equal(2), "%v: %s", c.args, errb.String())
			Expect(errb.String()).To(Equal("tartansim: cannot write "+c.what+": no space left on device, so the run's report is incomplete.\n"), "%v", c.args)
		}
	})
})

// failingWriter is a stdout on a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: errors.New("no space left on device")}
}
