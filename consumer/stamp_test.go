package consumer_test

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/consumer"
)

var _ = Describe("the exported ordering rule", func() {
	type st struct {
		ts, session string
		counter     int64
	}
	DescribeTable("Stamp.OlderThan",
		func(s, t st, older bool) {
			a := consumer.NewStamp(s.ts, s.session, s.counter)
			b := consumer.NewStamp(t.ts, t.session, t.counter)
			Expect(a.OlderThan(b)).To(Equal(older))
		},
		Entry("an earlier time is older", st{"2025-05-26 03:18:30", "s1", 9}, st{"2025-05-26 03:18:31", "s1", 1}, true),
		Entry("a later time is not", st{"2025-05-26 03:18:31", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 9}, false),
		Entry("unknown is older than known", st{"", "s1", 9}, st{"2025-05-26 03:18:30", "s1", 1}, true),
		Entry("unparseable is unknown", st{"2025-05-26T03:18:30Z", "s1", 9}, st{"2025-05-26 03:18:30", "s1", 1}, true),
		Entry("known is not older than unknown", st{"2025-05-26 03:18:30", "s1", 1}, st{"", "s1", 9}, false),
		Entry("same time, same session: lower counter is older", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 2}, true),
		Entry("same time, same session: higher counter is not", st{"2025-05-26 03:18:30", "s1", 2}, st{"2025-05-26 03:18:30", "s1", 1}, false),
		Entry("both unknown, same session: counter decides", st{"", "s1", 1}, st{"", "s1", 2}, true),
		Entry("same time, other session: a tie is not older", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s2", 2}, false),
		Entry("same time, no session: a tie is not older", st{"2025-05-26 03:18:30", "", 1}, st{"2025-05-26 03:18:30", "", 2}, false),
		Entry("equal stamps: a tie is not older", st{"2025-05-26 03:18:30", "s1", 1}, st{"2025-05-26 03:18:30", "s1", 1}, false),
	)

	DescribeTable("Counter reads what it can into a zero Counter and never fails",
		func(in string, want consumer.Counter) {
			var c consumer.Counter
			Expect(json.Unmarshal([]byte(in), &c)).To(Succeed())
			Expect(c).To(Equal(want))
		},
		Entry("an integer", `7`, consumer.Counter(7)),
		Entry("a numeric string", `"12"`, consumer.Counter(12)),
		Entry("a fraction reads as 0", `1.5`, consumer.Counter(0)),
		Entry("text reads as 0", `"abc"`, consumer.Counter(0)),
		Entry("null reads as 0", `null`, consumer.Counter(0)),
		Entry("an object reads as 0", `{}`, consumer.Counter(0)),
	)
})
