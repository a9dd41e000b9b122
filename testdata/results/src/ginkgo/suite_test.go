package ginkgoe2e

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Turbo Engine E2E")
}

var attempts int

// BeforeSuite runs once per parallel process (ginkgo -p): each process reports it.
var _ = BeforeSuite(func() {
	By("connecting to the cluster")
})

var _ = Describe("APIGraph", func() {
	It("reconciles users", func() {
		Expect(1).To(Equal(1))
	})
	It("reconciles orders", func() {
		By("waiting for Ready=True")
		Expect("DependencyNotReady").To(Equal("Reconciled"), "APIGraph orders is not Ready")
	})
	It("serves the console", FlakeAttempts(2), func() {
		attempts++
		Expect(attempts).To(BeNumerically(">", 1), "console returned 502")
	})
	PIt("scales to zero", func() {})
	It("handles a panic", func() {
		var m map[string]int
		m["x"] = 1
	})
})
