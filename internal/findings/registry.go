package findings

// detector is one rule: what it finds (its categories, each with its rank) and how.
// A new detector is one file that declares it and one line in the list below.
type detector struct {
	name       string
	categories []Category
	run        func(*Scope) []Finding
}

// detectors in the order they run: a later one may read what earlier ones found
// (a Deployment's causes among its pods' findings, an operator error's CR finding), and
// the Warning events detector runs after every detector that explains events.
var detectors = []detector{
	crashLoopDetector,
	oomKilledDetector,
	imagePullDetector,
	createContainerDetector,
	highRestartsDetector,
	evictedDetector,
	unschedulableDetector,
	probeDetector,
	deploymentDetector,
	workloadDetector,
	serviceDetector,
	webhookDetector,
	jobDetector,
	pvcDetector,
	namespaceDetector,
	pdbDetector,
	resourceNotReadyDetector,
	operatorDetector,
	logCauseDetector,
	warningEventDetector,
	testDetector,
	resultsUnreadableDetector,
	metricDetector,
	errorSpanDetector,
	consoleDetector,
}

// Categories lists every category, detectors' and merge's, in causal order.
func Categories() []Category {
	out := []Category{reportUnreadable}
	for _, d := range detectors {
		out = append(out, d.categories...)
	}
	return out
}

// Detect runs every detector and returns the findings, deduplicated, linked to the
// findings that explain them (links.go) and ranked.
func Detect(in *Input) []Finding {
	s := newScope(in)
	for _, d := range detectors {
		s.found = append(s.found, d.run(s)...)
	}
	fs := dedupe(s.found)
	link(s, fs)
	Rank(fs)
	return fs
}
