package findings

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// namespaceFindings: a namespace stuck Terminating (tests that delete their namespaces
// with --wait=false race its cleanup), naming what blocks it as the namespace
// controller says: content or finalizers remaining, discovery or deletion failures.
//
// Only a namespace the run touched is a warning: one collect was asked for, one created
// or deleted since the run began, or one a test's output names. Any other namespace stuck
// Terminating somewhere in the cluster is an info line, not a finding of this run.
func namespaceFindings(s *Scope) (out []Finding) {
	start := s.runStart()
	for _, ns := range s.Namespaces {
		if ns.Status.Phase != corev1.NamespaceTerminating {
			continue
		}
		sev, touched := Warning, s.Collected.In(ns.Name) || s.testsName(ns.Name)
		if !touched && !start.IsZero() {
			touched = !ns.CreationTimestamp.Time.Before(start) || ns.DeletionTimestamp != nil && !ns.DeletionTimestamp.Time.Before(start)
		}
		if !touched {
			sev = Info
		}
		var blocking []string
		for _, c := range ns.Status.Conditions {
			if c.Status == corev1.ConditionTrue {
				blocking = append(blocking, fmt.Sprintf("%s: %s", c.Type, oneLine(c.Message)))
			}
		}
		why := "the namespace controller has not said what blocks it yet"
		if len(blocking) > 0 {
			why = strings.Join(blocking, "; ")
		}
		if len(ns.Spec.Finalizers) > 0 && len(blocking) == 0 {
			why = fmt.Sprintf("its own finalizers remain: %v", ns.Spec.Finalizers)
		}
		subj := Subject{Kind: "Namespace", Name: ns.Name}
		f := newFinding(namespaceTerminating, sev, subj, fmt.Sprintf("Namespace %s is stuck Terminating", ns.Name),
			"deleted but still Terminating: "+why+". Anything created in it fails with \"because it is being terminated\" until it is gone.")
		if ns.DeletionTimestamp != nil {
			f.Time = ns.DeletionTimestamp.Time
		}
		f.Evidence, f.Refs = blocking, []string{bundle.ResourcesJSON}
		if !touched {
			f.Explanation += " It is outside the collected namespaces and this run neither created nor deleted it."
		}
		out = append(out, f)
	}
	return out
}

var namespaceDetector = detector{"namespaces", []Category{namespaceTerminating}, namespaceFindings}

var namespaceTerminating = Category{"NamespaceTerminating", 75}

// beingTerminated finds the namespace a Kubernetes API error names as being terminated:
// `unable to create new content in namespace x because it is being terminated`.
var beingTerminated = lazyre.New(`namespace ([a-z0-9]([-a-z0-9]*[a-z0-9])?) because it is being terminated`)

// terminatingCause is the stuck-namespace finding that explains a test's failure, if its
// output says it hit that namespace's termination; the finding becomes an error.
func (s *Scope) terminatingCause(text string) string {
	m := beingTerminated().FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	for i, f := range s.found {
		if f.Category == namespaceTerminating.Name && f.Subject.Name == m[1] {
			s.found[i].Severity, s.found[i].rank = Error, Error.weight()*1000+namespaceTerminating.Rank
			return f.ID
		}
	}
	return ""
}

// runStart is when the run began, as far as the bundle tells: its first test's start,
// else the earliest creation of a namespace collect was asked for (the run's own).
func (s *Scope) runStart() time.Time {
	var t time.Time
	earlier := func(c time.Time) {
		if !c.IsZero() && (t.IsZero() || c.Before(t)) {
			t = c
		}
	}
	for _, c := range s.Tests {
		earlier(c.Start)
	}
	if !t.IsZero() {
		return t
	}
	for _, ns := range s.Namespaces {
		if s.Collected.In(ns.Name) && !s.Collected.All {
			earlier(ns.CreationTimestamp.Time)
		}
	}
	return t
}

// testsName: some failed test's output names this object (as a whole name).
func (s *Scope) testsName(name string) bool {
	name = strings.ToLower(name)
	return slices.ContainsFunc(s.idx().failed, func(ft failedTest) bool { return ft.names[name] })
}
