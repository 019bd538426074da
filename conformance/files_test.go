package conformance_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tartansim/tartansim/conformance"
)

var _ = Describe("the catalogue of checks", func() {
	It("has a scenario file for every check, and a check for every file", func() {
		var names []string
		Expect(fs.WalkDir(os.DirFS("."), "checks", func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, path)
			}
			return err
		})).To(Succeed())
		var want []string
		for _, c := range conformance.Checks() {
			want = append(want, c.File())
		}
		Expect(names).To(ConsistOf(want))
		for _, n := range names {
			Expect(filepath.Ext(n)).To(Equal(".yaml"))
		}
	})

	It("parses every file, for any seed, into a scenario named after its check", func() {
		for _, c := range conformance.Checks() {
			for _, seed := range []uint64{1, 42, 1<<64 - 1} {
				sc, err := c.Scenario(seed)
				Expect(err).NotTo(HaveOccurred(), c.ID)
				Expect(sc.Name).To(Equal(strings.ToLower(c.ID)))
				Expect(sc.Orgs).To(HaveLen(1), "%s plays one org of its own", c.ID)
			}
		}
	})

	It("gives every check a label of its area and a title", func() {
		for _, c := range conformance.Checks() {
			Expect([]string{conformance.LabelSignature, conformance.LabelPayload, conformance.LabelDelivery, conformance.LabelLifecycle}).To(ContainElement(c.Label), c.ID)
			Expect(c.Title).NotTo(BeEmpty(), c.ID)
		}
	})
})
