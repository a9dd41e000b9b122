package testenv

import (
	"context"
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
func Main(m *testing.M, c **Cluster) int {
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
	return m.Run()
}
