package model

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/opactions"
	"k8s.io/apimachinery/pkg/labels"
)

// parsesActions: the manifest says how to read operator logs, so the model parses them
// with today's parser (operator-actions.json is then for people).
func (l *loader) parsesActions() bool { return l.r.Manifest != nil && l.r.Manifest.Operator != nil }

// maxOperatorLog caps what is parsed of one operator log.
const maxOperatorLog = 64 << 20

// operatorActions parses the operator pods' logs in the bundle (pods deleted during
// the run excepted, as collect does), each read confined and capped, then scrubs them.
func (l *loader) operatorActions(context.Context) error {
	if !l.parsesActions() {
		return nil
	}
	cfg := l.r.Manifest.Operator
	var sel labels.Selector
	if cfg.Selector != "" {
		s, err := labels.Parse(cfg.Selector)
		if err != nil {
			l.gap("render", fmt.Errorf("%s: operator selector %q: %v", bundle.ManifestFile, cfg.Selector, err))
			return nil
		}
		sel = s
	}
	p := &opactions.Parser{Fields: cfg.Fields, Year: l.r.Manifest.StartedAt.Year()}
	actions := []opactions.Action{}
	for _, pod := range opactions.Pods(l.in.Pods, sel) {
		if _, gone := l.deleted[pod.Namespace+"/"+pod.Name]; gone {
			continue
		}
		for _, ctr := range bundle.ContainerNames(&pod) {
			for _, prev := range []bool{false, true} {
				rel := bundle.LogPath(pod.Namespace, pod.Name, ctr, prev)
				b, err := l.br.ReadFile(rel, maxOperatorLog)
				if err != nil {
					l.optional(rel, err)
					continue
				}
				got, err := p.ParseReader(bytes.NewReader(b), opactions.Action{Namespace: pod.Namespace, Pod: pod.Name, Container: ctr, Previous: prev})
				if err != nil {
					l.gap("render", fmt.Errorf("parse %s: %v", rel, err))
				}
				actions = append(actions, got...)
			}
		}
	}
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].Time.Before(actions[j].Time) })
	if l.o.Redactor != nil {
		scrubAll(l.o.Redactor, &actions)
	}
	l.in.Actions = actions
	return nil
}
