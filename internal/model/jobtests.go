package model

import (
	"context"
	"sort"
	"strings"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"github.com/org/k8s-e2e-report/internal/results"
)

// maxJobLog bounds a test Job's log read whole for its results.
const maxJobLog = 64 << 20

// jobTests reads test results from the logs of the Jobs' pods when no results file gave
// any: e2e tests run as a Job in the cluster leave pytest's, Ginkgo's or go test -v's
// output there and nothing else. A results file, when given, wins. Each case names the
// log it was read from (its source) and its format says "-log"; a Job that ran more than
// one pod gives retries.
func (l *loader) jobTests(context.Context) error {
	r := l.r
	if r.Tests == nil || len(r.Tests.Cases) > 0 {
		return nil
	}
	var all []results.Case
	for _, j := range l.in.Jobs {
		var pods []int
		for i, p := range l.in.Pods {
			if p.Namespace == j.Namespace && p.Labels["job-name"] == j.Name {
				pods = append(pods, i)
			}
		}
		sort.Slice(pods, func(a, b int) bool {
			return l.in.Pods[pods[a]].CreationTimestamp.Before(&l.in.Pods[pods[b]].CreationTimestamp)
		})
		for _, i := range pods {
			p := &l.in.Pods[i]
			for _, c := range p.Spec.Containers {
				path := bundle.LogPath(p.Namespace, p.Name, c.Name, false)
				b, err := l.br.ReadFile(path, maxJobLog)
				if err != nil {
					continue // no log: nothing to read
				}
				lines := scrubLines(l.o.Redactor, strings.Split(string(b), "\n"))
				for k, line := range lines {
					_, lines[k] = opactions.SplitTimestamp(line) // the API server's timestamps=true
				}
				text := strings.Join(lines, "\n")
				cases, format := results.ParseLog([]byte(text))
				if format == "" {
					continue
				}
				for k := range cases {
					cases[k].Source, cases[k].Format = path, format
				}
				r.Tests.Sources = append(r.Tests.Sources, results.Source{Path: path, Format: format, Cases: len(cases)})
				all = append(all, cases...)
			}
		}
	}
	if len(all) > 0 {
		r.Tests.Cases = results.MergeRetries(all)
		l.setTests()
	}
	return nil
}
