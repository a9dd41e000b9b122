package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// Main starts one cluster for a test package, runs its tests and stops the cluster:
//
//	var env *testenv.Cluster
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }
//
// A cluster that cannot start fails the package: a missing real part is a failure,
// not a skip. Processes die with the test binary even if a test panics.
//
// setup functions run once the cluster is ready (e.g. seeding a scenario); an error
// fails the package.
//
// With -short (make unit) no cluster starts and the tests named TestIntegration* are
// skipped; the package's other tests run.
func Main(m *testing.M, c **Cluster, setup ...func(context.Context, *Cluster) error) int {
	flag.Parse()
	if testing.Short() {
		SkipIntegration()
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	start := time.Now()
	cl, err := Start(ctx, Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: start cluster: %v\n", err)
		if cl != nil {
			fmt.Fprint(os.Stderr, cl.ProcessLogs(40))
		}
		return 1
	}
	fmt.Fprintf(os.Stderr, "testenv: cluster ready in %s at %s\n", time.Since(start).Round(time.Millisecond), cl.Host())
	*c = cl
	defer cl.Stop()
	for _, f := range setup {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err := f(ctx, cl)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "testenv: setup: %v\n%s", err, cl.ProcessLogs(30))
			return 1
		}
	}
	return m.Run()
}

// SkipIntegration makes the test binary skip TestIntegration* tests, keeping any -skip
// pattern it was given. Main calls it under -short.
func SkipIntegration() {
	pattern := "^TestIntegration"
	if f := flag.Lookup("test.skip"); f != nil {
		if old := f.Value.String(); old != "" {
			pattern = old + "|" + pattern
		}
		_ = f.Value.Set(pattern)
	}
}
