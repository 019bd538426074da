package deliverylog_test

import (
	"errors"
	"io"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/deliverylog"
)

const whole = `{"seq":1,"headers":{},"body":"{}"}`

// readAll reads in as a log: the sequence numbers read, the torn line, and
// the error that ended it (nil at a clean end).
func readAll(in string) ([]int64, *deliverylog.Torn, error) {
	r := deliverylog.NewReader(strings.NewReader(in), "log.ndjson")
	var seqs []int64
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			if t, ok := r.Torn(); ok {
				return seqs, &t, nil
			}
			return seqs, nil, nil
		}
		if err != nil {
			return seqs, nil, err
		}
		seqs = append(seqs, e.Delivery)
	}
}

var _ = Describe("a delivery log Reader", func() {
	DescribeTable("salvages a log whose last line a crash tore",
		func(in string, n int, torn deliverylog.Torn) {
			seqs, t, err := readAll(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs).To(HaveLen(n))
			Expect(t).To(HaveValue(Equal(torn)))
		},
		Entry("cut in the middle of a line", whole+"\n"+whole+"\n"+whole[:9], 2, deliverylog.Torn{Line: 3, Bytes: 9}),
		Entry("cut after one byte", whole+"\n{", 1, deliverylog.Torn{Line: 2, Bytes: 1}),
		Entry("cut in the first line", whole[:20], 0, deliverylog.Torn{Line: 1, Bytes: 20}),
		Entry("after blank lines", whole+"\n\n"+whole[:5], 1, deliverylog.Torn{Line: 3, Bytes: 5}),
		Entry("cut before its carriage return's newline", whole+"\r\n"+whole[:30]+"\r", 1, deliverylog.Torn{Line: 2, Bytes: 31}),
		Entry("a tail of zeros, as a machine crash leaves it", whole+"\n\x00\x00\x00", 1, deliverylog.Torn{Line: 2, Bytes: 3}),
	)

	DescribeTable("reads a log that ends cleanly, and reports no torn line",
		func(in string, n int) {
			seqs, t, err := readAll(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(seqs).To(HaveLen(n))
			Expect(t).To(BeNil())
		},
		Entry("empty", "", 0),
		Entry("every line ended", whole+"\n"+whole+"\n", 2),
		Entry("the last line whole, its newline missing", whole+"\n"+whole, 2),
	)

	DescribeTable("refuses a bad line that is not the torn last one, naming the file and line",
		func(in, want string) {
			_, _, err := readAll(in)
			Expect(err).To(MatchError(deliverylog.ErrBadLog))
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("a bad line in the middle", whole+"\n"+whole[:9]+"\n"+whole+"\n", "log.ndjson:2: "),
		Entry("a bad last line that ends in a newline", whole+"\n"+whole[:9]+"\n", "log.ndjson:2: "),
		Entry("an unended last line that parses but has no headers", whole+"\n{\"seq\":2}", "log.ndjson:2: no headers"),
	)
})
