// Command ci-report collects what a failed Kubernetes e2e run leaves behind and reports it.
package main

import (
	"os"

	"github.com/org/k8s-e2e-report/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
