package findings

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/org/k8s-e2e-report/internal/bundle"
)

// jobFindings: a failed Job, quoting the log of its failed pods.
func jobFindings(s *Scope) (out []Finding) {
	for _, j := range s.Jobs {
		for _, c := range j.Status.Conditions {
			if c.Type != batchv1.JobFailed || c.Status != corev1.ConditionTrue {
				continue
			}
			subj := Subject{Kind: "Job", Namespace: j.Namespace, Name: j.Name}
			s.explain(subj, "BackoffLimitExceeded", "DeadlineExceeded")
			f := newFinding(jobFailed, Error, subj, fmt.Sprintf("Job %s failed (%s)", j.Name, c.Reason),
				fmt.Sprintf("%s: %s; %d failed pod(s)", c.Reason, oneLine(c.Message), j.Status.Failed))
			f.Time, f.Refs = c.LastTransitionTime.Time, []string{bundle.ResourcesText, bundle.TimelineText}
			// Quote the log of the Job's last failed pod.
			for i := range s.Pods {
				p := &s.Pods[i]
				if p.Namespace != j.Namespace || p.Labels["job-name"] != j.Name || p.Status.Phase != corev1.PodFailed {
					continue
				}
				for _, ctr := range p.Spec.Containers {
					if lines := s.tail(p.Namespace, p.Name, ctr.Name, false); len(lines) > 0 {
						f.Evidence = lines
						f.Refs = append(f.Refs, bundle.LogPath(p.Namespace, p.Name, ctr.Name, false))
					}
				}
			}
			out = append(out, f)
		}
	}
	return out
}

var jobDetector = detector{"jobs", []Category{jobFailed}, jobFindings}

var jobFailed = Category{"JobFailed", 70}
