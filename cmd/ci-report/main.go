// Command ci-report collects what a failed Kubernetes e2e run leaves behind and reports it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/org/k8s-e2e-report/internal/cli"
)

func main() {
	stopProfiles := profiles()
	code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfiles()
	os.Exit(code)
}

// profiles writes pprof profiles for `make bench` and whoever profiles a run:
// CI_REPORT_CPUPROFILE=FILE (CPU) and CI_REPORT_MEMPROFILE=FILE (heap, at exit,
// with every allocation sampled since start).
func profiles() (stop func()) {
	cpu, mem := os.Getenv("CI_REPORT_CPUPROFILE"), os.Getenv("CI_REPORT_MEMPROFILE")
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ci-report: CI_REPORT_CPUPROFILE:", err)
		} else {
			cpuFile = f
		}
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if mem == "" {
			return
		}
		f, err := os.Create(mem)
		if err == nil {
			runtime.GC()
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ci-report: CI_REPORT_MEMPROFILE:", err)
		}
	}
}
