package deliverylog_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
)

// calls records every Write call made to it, as a file would see them.
type calls struct {
	mu     sync.Mutex
	writes [][]byte
	syncs  int
	err    error // returned by every Write, once set
	sync   error // returned by Sync
}

func (c *calls) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	if c.err != nil {
		return 0, c.err
	}
	return len(p), nil
}

func (c *calls) Sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.syncs++
	return c.sync
}

// lines is how many lines the Write calls so far carried; each call must
// hold whole lines only, and at most FlushLines of them.
func (c *calls) lines() int {
	GinkgoHelper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, w := range c.writes {
		Expect(w).To(HaveSuffix("\n"), "a Write call ends in the middle of a line")
		k := bytes.Count(w, []byte("\n"))
		Expect(k).To(BeNumerically("<=", deliverylog.FlushLines), "a Write call held more than FlushLines lines")
		n += k
	}
	return n
}

func (c *calls) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func entry(seq int64) deliverylog.Attempt {
	return deliverylog.Attempt{Source: "load", Delivery: seq, Kind: "load", Headers: map[string][]string{"tartan-signature": {"ab"}}, Body: `{"n":1}`, Status: 200}
}

var _ = Describe("a delivery log Writer", func() {
	It("hands a line to the file within FlushInterval, with no Flush", func() {
		c := &calls{}
		w := deliverylog.NewWriter(c)
		w.Write(entry(1))
		// Generous on a loaded machine, and still far short of "never".
		Eventually(c.lines, 20*deliverylog.FlushInterval, deliverylog.FlushInterval/10).Should(Equal(1))
		Expect(w.Close()).To(Succeed())
	})

	It("never holds more than FlushLines lines, and writes whole lines only", func() {
		c := &calls{}
		w := deliverylog.NewWriter(c)
		total := 3*deliverylog.FlushLines + 5
		for i := range total {
			w.Write(entry(int64(i)))
			Expect(c.lines()).To(BeNumerically(">=", i+1-(deliverylog.FlushLines-1)), "after %d lines", i+1)
		}
		Expect(w.Flush()).To(Succeed())
		Expect(c.lines()).To(Equal(total))
	})

	It("writes concurrent entries as whole lines that read back", func() {
		var buf bytes.Buffer
		w := deliverylog.NewWriter(&buf)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					w.Write(entry(int64(g*100 + i)))
				}
			})
		}
		wg.Wait()
		Expect(w.Close()).To(Succeed())
		r := deliverylog.NewReader(&buf, "log")
		seen := map[int64]bool{}
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			seen[e.Delivery] = true
		}
		Expect(seen).To(HaveLen(800))
	})

	It("keeps the first failed write, writes nothing more and returns it from Err, Flush and Close", func() {
		full := errors.New("no space left on device")
		c := &calls{err: full}
		w := deliverylog.NewWriter(c)
		Expect(w.Err()).To(Succeed())
		for i := range deliverylog.FlushLines + 1 {
			w.Write(entry(int64(i)))
		}
		Expect(w.Err()).To(MatchError(full), "the FlushLines-th line was written, and failed")
		for i := range 2 * deliverylog.FlushLines {
			w.Write(entry(int64(i)))
		}
		Expect(w.Flush()).To(MatchError(full))
		Expect(w.Close()).To(MatchError(full))
		Expect(c.calls()).To(Equal(1), "one failed write, then none")
		Expect(c.syncs).To(BeZero(), "a failed log is not synced")
	})

	It("syncs the file on Close, and then refuses writes", func() {
		c := &calls{}
		w := deliverylog.NewWriter(c)
		w.Write(entry(1))
		Expect(w.Close()).To(Succeed())
		Expect(c.lines()).To(Equal(1))
		Expect(c.syncs).To(Equal(1))
		w.Write(entry(2))
		Expect(w.Err()).To(MatchError(deliverylog.ErrClosed))
		Expect(c.lines()).To(Equal(1))
	})

	It("takes a file that cannot be synced (a pipe, a terminal) for one that needs no sync", func() {
		c := &calls{sync: &syscallErr{syscall.EINVAL}}
		w := deliverylog.NewWriter(c)
		w.Write(entry(1))
		Expect(w.Close()).To(Succeed())

		c = &calls{sync: errors.New("input/output error")}
		w = deliverylog.NewWriter(c)
		Expect(w.Close()).To(MatchError("input/output error"))
	})
})

// syscallErr wraps an errno as os.File.Sync does (in an *os.PathError).
type syscallErr struct{ errno syscall.Errno }

func (e *syscallErr) Error() string { return "sync: " + e.errno.Error() }
func (e *syscallErr) Unwrap() error { return e.errno }
