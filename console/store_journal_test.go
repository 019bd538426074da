package console

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("a journal in the store", Label("store"), func() {
	It("keeps its entries in order across a reopen, apart from other journals, until reset", func() {
		path := filepath.Join(GinkgoT().TempDir(), "console.db")
		st, err := OpenStore(path)
		Expect(err).NotTo(HaveOccurred())
		box, other := st.Journal("box"), st.Journal("other")
		Expect(box.Load()).To(BeEmpty())
		Expect(box.Append([]byte("one"), []byte("two"))).To(Succeed())
		Expect(other.Append([]byte("elsewhere"))).To(Succeed())
		Expect(box.Append([]byte("three"))).To(Succeed())
		Expect(box.Append()).To(Succeed())
		Expect(st.Close()).To(Succeed())

		st, err = OpenStore(path)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(st.Close)
		Expect(st.Journal("box").Load()).To(Equal([][]byte{[]byte("one"), []byte("two"), []byte("three")}))
		Expect(st.Journal("box").Reset()).To(Succeed())
		Expect(st.Journal("box").Load()).To(BeEmpty())
		Expect(st.Journal("box").Reset()).To(Succeed(), "resetting an empty journal")
		Expect(st.Journal("other").Load()).To(Equal([][]byte{[]byte("elsewhere")}))
		Expect(st.Journal("box").Append([]byte("anew"))).To(Succeed())
		Expect(st.Journal("box").Load()).To(Equal([][]byte{[]byte("anew")}))
	})
})
