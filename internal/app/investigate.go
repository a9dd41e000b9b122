package app

import (
	"context"
	"fmt"
	"os"

	"github.com/org/k8s-e2e-report/internal/collect"
	"github.com/org/k8s-e2e-report/internal/investigate"
	"github.com/org/k8s-e2e-report/internal/model"
)

// ErrUsage marks an error in what the caller asked (a bad focus, a flag out of range):
// the CLI's exit 2. It is collect's, so one test tells them all.
var ErrUsage = collect.ErrUsage

// InvestigateOptions are one investigation: live (Collect set: the cluster is read lightly
// into a temporary bundle, removed afterwards) or of a bundle (Source); either is opened
// as OpenRun opens a run for queries.
type InvestigateOptions struct {
	Collect *collect.Options // live: how to read the cluster (its OutputDir is ignored)
	Source  Source           // otherwise: the bundle
	Load    model.Options
	History HistoryOptions // labels only: an investigation never records a run
	Build   investigate.Options
}

// Investigate answers "what is wrong?" from the live cluster or a bundle, with the same
// findings and ids as the bundle's report.json. collect.ErrNothingCollected when the
// cluster could not be read at all.
func (s *Service) Investigate(ctx context.Context, o InvestigateOptions) (*investigate.Investigation, error) {
	q, mode := QueryOptions{Source: o.Source, Load: o.Load, History: o.History}, "bundle"
	if o.Collect != nil {
		mode = "live"
		co := *o.Collect
		co.Light = true // only what the answer shows
		q.Collect = &co
	} else if o.Source.FS == nil {
		if st, err := os.Stat(o.Source.Dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("bundle directory %s: not readable (run `ci-report collect` first or pass the bundle directory): %v", o.Source.Dir, err)
		}
	}
	run, closeRun, err := s.OpenRun(ctx, q)
	if err != nil {
		return nil, err
	}
	defer closeRun()
	b := o.Build
	b.Mode = mode
	if mode == "bundle" {
		b.Bundle = o.Source.name()
	}
	inv, err := investigate.FromView(run.View, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	s.log().Info("investigated", "mode", mode, "findings", len(inv.Findings), "pods", len(inv.Pods), "status", inv.Status.Level)
	return inv, nil
}
