package findings

import (
	"fmt"
	"strings"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// pdbFindings: a PodDisruptionBudget whose status (the disruption controller's) allows no
// disruption while it guards pods: minAvailable equal to the replicas, or pods unhealthy.
// The API server then refuses every eviction with 429 and a drain waits forever. It is
// latent (info) until something tried to evict: an eviction refused in a failed test's
// output or in a log, which it then explains.
func pdbFindings(s *Scope) (out []Finding) {
	var blocking []*policyv1.PodDisruptionBudget
	for i := range s.PDBs {
		p := &s.PDBs[i]
		if p.Status.ObservedGeneration > 0 && p.Status.ExpectedPods > 0 && p.Status.DisruptionsAllowed == 0 {
			blocking = append(blocking, p)
		}
	}
	var evictions []LogLine // log lines that report an eviction refused
	if len(blocking) > 0 {
		for _, l := range s.lines() {
			if evictionRefused().MatchString(l.Text) {
				evictions = append(evictions, l)
			}
		}
	}
	for _, p := range blocking {
		subj := Subject{Kind: "PodDisruptionBudget", Namespace: p.Namespace, Name: p.Name}
		st := p.Status
		budget := "its budget"
		switch {
		case p.Spec.MinAvailable != nil:
			budget = "minAvailable " + p.Spec.MinAvailable.String()
		case p.Spec.MaxUnavailable != nil:
			budget = "maxUnavailable " + p.Spec.MaxUnavailable.String()
		}
		why := fmt.Sprintf("%s with %d pods expected: %d healthy, %d needed", budget, st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy)
		f := newFinding(pdbBlocking, Info, subj, fmt.Sprintf("PodDisruptionBudget %s allows no disruption", p.Name),
			why+": the API server refuses every eviction (429 TooManyRequests), so a drain or an evicting rollout waits until it times out")
		f.Refs = []string{bundle.ResourcesText}
		var evidence []LogLine
		for _, c := range s.Tests {
			text := c.Message + "\n" + c.Details
			if c.Status.Failing() && s.evictionBlockedBy(text, p, len(blocking)) {
				f.explains = append(f.explains, testID(c))
				f.Evidence = appendUnique(f.Evidence, "test "+oneLine(c.Name)+": "+oneLine(evictionRefused().FindString(text)))
			}
		}
		if len(evictions) > 0 {
			for _, l := range evictions {
				if s.evictionBlockedBy(l.Text, p, len(blocking)) {
					evidence = append(evidence, l)
					for _, pf := range s.onPod[l.Namespace+"/"+l.Pod] {
						f.explains = appendUnique(f.explains, pf.ID)
					}
					if len(f.Evidence) < evidenceLines {
						f.Evidence = append(f.Evidence, fmt.Sprintf("%s/%s: %s", l.Pod, l.Container, oneLine(l.Text)))
						f.Refs = appendUnique(f.Refs, bundle.LogPath(l.Namespace, l.Pod, l.Container, l.Previous))
					}
				}
			}
			f.explains = appendUnique(f.explains, s.testsTouched(evidence, nil)...)
		}
		if len(f.Evidence) > 0 {
			f.Severity, f.rank = Warning, Warning.weight()*1000+pdbBlocking.Rank
			f.Time = firstTime(evidence)
		}
		out = append(out, f)
	}
	return out
}

// evictionRefused is the API server's answer to an eviction a budget blocks, and what
// kubectl drain and clients print of it.
var evictionRefused = lazyre.New(`(?i)cannot evict pod as it would violate the pod's disruption budget[^\n]*|disruption budget [a-z0-9][-a-z0-9.]* needs \d+ healthy pods[^\n]*|error when evicting pods?/"?[a-z0-9][-a-z0-9.]*"?[^\n]*429[^\n]*|TooManyRequests[^\n]*evict[^\n]*`)

// pdbNamed is the budget an eviction error names: "The disruption budget web-pdb needs …".
var pdbNamed = lazyre.New(`(?i)disruption budget ([a-z0-9][-a-z0-9.]*) needs`)

// evictionBlockedBy: the text reports an eviction refused by this budget: it names the
// budget or a pod the budget guards, or names neither while this is the only blocking one.
func (s *Scope) evictionBlockedBy(text string, p *policyv1.PodDisruptionBudget, blocking int) bool {
	if !evictionRefused().MatchString(text) {
		return false
	}
	if m := pdbNamed().FindStringSubmatch(text); m != nil {
		return strings.EqualFold(m[1], p.Name)
	}
	named := outputNames(text)
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err == nil {
		for i := range s.Pods {
			pod := &s.Pods[i]
			if pod.Namespace == p.Namespace && sel.Matches(labels.Set(pod.Labels)) && named[pod.Name] {
				return true
			}
		}
	}
	return blocking == 1
}

func firstTime(lines []LogLine) time.Time {
	var t time.Time
	for _, l := range lines {
		if !l.Time.IsZero() && (t.IsZero() || l.Time.Before(t)) {
			t = l.Time
		}
	}
	return t
}

var pdbDetector = detector{"disruption budgets", []Category{pdbBlocking}, pdbFindings}

var pdbBlocking = Category{"DisruptionBlocked", 72}
