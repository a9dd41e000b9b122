package cli

import "runtime/debug"

// collectMemoryLimit is the Go runtime's soft memory limit while collecting, unless the
// user set GOMEMLIMIT. Collect streams logs through small buffers; its live heap is the
// resource lists and events (about 45 MiB at 300 pods and 10,000 events), and the rest
// is garbage from the streams, which the default GOGC=100 lets grow to twice the live
// heap. The limit makes the collector reclaim it sooner: peak RSS 191 -> about 140 MiB
// on the benchmark's 300-pod namespace (README, Benchmark). Render keeps its whole model
// live, so it runs without one.
const collectMemoryLimit = 72 << 20

// limitCollectMemory applies collectMemoryLimit and returns a function that restores
// the previous limit.
func limitCollectMemory(g *globals) (restore func()) {
	if g.getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(collectMemoryLimit)
	return func() { debug.SetMemoryLimit(prev) }
}
