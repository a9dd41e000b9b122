package findings

import (
	"fmt"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/fingerprint"
)

// operatorFindings groups reconcile errors by controller, object and message, related
// to the finding on the object itself.
func operatorFindings(s *Scope) []Finding {
	crs := s.foundIn(resourceNotReady)
	var out []Finding
	for _, a := range s.Actions {
		if !a.Failed() {
			continue
		}
		subj := Subject{Kind: "Pod", Namespace: a.Namespace, Name: a.Pod}
		if a.Object != nil {
			subj = Subject{Kind: a.Object.Kind, Namespace: a.Object.Namespace, Name: a.Object.Name}
			if subj.Kind == "" {
				subj.Kind = "Object"
			}
		}
		what := a.Error
		if what == "" {
			what = a.Message
		}
		ctrl := a.Controller
		if ctrl == "" {
			ctrl = a.Pod
		}
		sev, title := Error, fmt.Sprintf("Operator %s fails to reconcile %s", ctrl, subj.String())
		recovered := a.Previous && s.recovered(a.Namespace, a.Pod, a.Container)
		if recovered {
			// A previous container's error before a restart long past, on a pod healthy
			// since (a lost leader election): history, not a failure.
			sev, title = Info, fmt.Sprintf("Operator %s failed before its restart (healthy since): %s", ctrl, subj.String())
		}
		f := newFinding(operatorError, sev, subj, title, oneLine(a.Message+": "+what))
		f.recovered = recovered
		f.ID += "-" + shortHash(fingerprint.Normalise(what))
		line := fmt.Sprintf("%s  %s", a.Time.UTC().Format("15:04:05.000"), oneLine(a.Message))
		if a.ReconcileID != "" {
			line += " reconcileID=" + a.ReconcileID
		}
		if a.Error != "" {
			line += " error=" + oneLine(a.Error)
		}
		f.Evidence, f.Time = []string{line}, a.Time
		f.Refs = []string{bundle.OperatorActionsJSON, bundle.LogPath(a.Namespace, a.Pod, a.Container, a.Previous)}
		for _, c := range crs {
			if c.Subject == subj {
				f.Related = append(f.Related, c.ID)
			}
		}
		s.explain(subj, "ReconcileError", "ReconcileFailed")
		out = append(out, f)
	}
	return out
}

func shortHash(s string) string {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

var operatorDetector = detector{"operator", []Category{operatorError}, operatorFindings}

var operatorError = Category{"OperatorError", 60}
