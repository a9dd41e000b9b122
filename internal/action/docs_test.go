package action

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/org/k8s-e2e-report/internal/golden"
)

// readme is README.md's text.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// README's inputs table lists exactly action.yml's inputs, and says what the defaults
// the scripts compute are (the artifact name's pattern) as action.yml does.
func TestREADMEInputsMirrorActionYML(t *testing.T) {
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	md := readme(t)
	_, table, ok := strings.Cut(md, "| input | default |")
	if !ok {
		t.Fatal("README has no inputs table (| input | default | …)")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)`(?:, `([a-z-]+)`)* \\|").FindAllStringSubmatch(table, -1) {
		for _, n := range strings.Split(strings.SplitN(m[0], " |", 2)[0], ",") {
			listed = append(listed, strings.Trim(strings.TrimSpace(strings.TrimPrefix(n, "|")), "`"))
		}
	}
	var inputs []string
	for name := range a.Inputs {
		inputs = append(inputs, name)
	}
	slices.Sort(listed)
	slices.Sort(inputs)
	if !slices.Equal(listed, inputs) {
		t.Errorf("README's inputs table lists %v;\naction.yml has %v", listed, inputs)
	}
	pattern := regexp.MustCompile(`ci-report-<job>(?:\[[^\]]*\])*-<attempt>`)
	inYML := pattern.FindString(a.Inputs["artifact-name"].Description)
	inMD := pattern.FindString(strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(table[strings.Index(table, "| `artifact-name`"):]))
	if inYML == "" || inYML != inMD {
		t.Errorf("artifact-name: action.yml says %q, README %q", inYML, inMD)
	}
	if !strings.Contains(a.Inputs["strict"].Description, "nothing could be collected") ||
		!regexp.MustCompile("(?m)^\\| `strict` \\|[^\\n]*nothing could be collected").MatchString(table) {
		t.Error("strict: action.yml and README do not both say it also fails when nothing could be collected")
	}
}

// An example workflow that keeps the action's default history: true grants what
// history needs (actions: read), or its History line always says "no history".
func TestExampleWorkflowsGrantWhatHistoryNeeds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, "workflows", "*.yml"))
	for _, f := range files {
		w, err := LoadWorkflow(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, job := range w.Jobs {
			for _, s := range job.Steps {
				if !strings.Contains(s.Uses, "k8s-e2e-report@") || s.With["history"] == "false" || s.With["mode"] == "start" {
					continue
				}
				perm := job.Permissions
				if perm == nil {
					perm = w.Permissions
				}
				if perm["actions"] != "read" && perm["actions"] != "write" {
					t.Errorf("%s: job %s uses the action with history on, without permissions actions: read", filepath.Base(f), name)
				}
			}
		}
	}
}

// Every step of the YAML blocks of README and docs/ and of the example workflows that uses the action
// passes only inputs action.yml declares: a recipe cannot drift from the action.
func TestRecipesUseRealInputs(t *testing.T) {
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	texts := []string{readme(t)}
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	for _, text := range texts {
		for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(text, -1) {
			sources = append(sources, m[1])
		}
	}
	files, _ := filepath.Glob(filepath.Join(root, "workflows", "*.yml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	checked := 0
	for i, src := range sources {
		if !strings.Contains(src, "k8s-e2e-report@") {
			continue
		}
		var doc any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Errorf("YAML block %d does not parse: %v\n%s", i, err, src)
			continue
		}
		walk(doc, func(m map[string]any) {
			uses, _ := m["uses"].(string)
			if !strings.Contains(uses, "k8s-e2e-report@") {
				return
			}
			checked++
			with, _ := m["with"].(map[string]any)
			for k := range with {
				if _, ok := a.Inputs[k]; !ok {
					t.Errorf("a step using the action passes %q, which action.yml does not declare", k)
				}
			}
		})
	}
	if checked < 7 {
		t.Errorf("only %d steps use the action in README and workflows/: the scan is broken", checked)
	}
}

// walk calls f on every mapping in v.
func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}

// README's inputs and outputs reference is action.yml's, generated: `make docs` (this
// test with -update) rewrites it between its markers; a README that disagrees fails here.
func TestREADMEReferenceIsGenerated(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- inputs reference: generated from action.yml by make docs -->\n", "<!-- end of inputs reference -->"
	md := readme(t)
	i, j := strings.Index(md, begin), strings.Index(md, end)
	if i < 0 || j < i {
		t.Fatalf("README has no generated inputs reference between %q and %q", begin, end)
	}
	want := Reference(text, a)
	if got := md[i+len(begin) : j]; got != want {
		if golden.Updating() {
			if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(md[:i+len(begin)]+want+md[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README's inputs reference is not action.yml's: run make docs")
	}
}
