// Command sandbox runs the local test cluster for a human (make sandbox, make demo-cluster),
// or runs one command against a freshly seeded demo cluster and stops it (make demo).
//
//	sandbox [--demo] [--dir DIR] [-- COMMAND ARGS...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/org/k8s-e2e-report/internal/demo"
	"github.com/org/k8s-e2e-report/internal/testenv"
)

func main() {
	os.Exit(run())
}

func run() int {
	seed := flag.Bool("demo", false, "seed the turbo-engine demo scenario")
	dir := flag.String("dir", "", "keep the cluster's files here (default: a temporary directory, removed on exit)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sandbox [--demo] [--dir DIR] [-- COMMAND ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	c, err := testenv.Start(ctx, testenv.Options{Dir: *dir})
	if err != nil {
		log.Error("start cluster", "err", err)
		if c != nil {
			fmt.Fprint(os.Stderr, c.ProcessLogs(30))
		}
		return 1
	}
	defer c.Stop()
	log.Info("cluster ready", "took", time.Since(start).Round(time.Millisecond), "server", c.Host(), "dir", c.Dir)

	if *seed {
		t := time.Now()
		s, err := demo.Seed(ctx, c)
		if err != nil {
			log.Error("seed demo scenario", "err", err)
			return 1
		}
		if err := demo.StartConsole(ctx, c, s); err != nil {
			log.Error("start the demo console", "err", err)
			return 1
		}
		if err := demo.StartJaeger(ctx, c, s); err != nil {
			log.Error("start the demo Jaeger", "err", err)
			return 1
		}
		log.Info("demo scenario seeded", "namespace", s.Namespace, "took", time.Since(t).Round(time.Millisecond),
			"crashloop", s.CrashLoopPod, "oomkilled", s.OOMKilledPod, "unschedulable", s.UnschedulablePod, "console", s.ConsoleService, "jaeger", s.JaegerService)
	}

	if args := flag.Args(); len(args) > 0 {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		log.Info("running against the cluster", "command", args)
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode()
			}
			log.Error("run command", "err", err)
			return 1
		}
		return 0
	}

	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	fmt.Fprintf(os.Stderr, "kubectl: %s\nPress Ctrl-C to stop the cluster.\n", c.Binaries.Kubectl())
	<-ctx.Done()
	log.Info("stopping cluster")
	return 0
}
