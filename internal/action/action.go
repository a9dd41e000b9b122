// Package action reads action.yml and the example workflows, so tests can check them and
// run the action's steps the way the GitHub runner does.
package action

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// Step is one step of a composite action or a workflow job.
type Step struct {
	Name string            `json:"name"`
	ID   string            `json:"id"`
	Uses string            `json:"uses"`
	Run  string            `json:"run"`
	If   string            `json:"if"`
	Env  map[string]string `json:"env"`
	With map[string]any    `json:"with"`
}

// Input is an action input.
type Input struct {
	Description string `json:"description"`
	Default     string `json:"default"`
}

// Action is action.yml.
type Action struct {
	Name    string           `json:"name"`
	Inputs  map[string]Input `json:"inputs"`
	Outputs map[string]struct {
		Value string `json:"value"`
	} `json:"outputs"`
	Runs struct {
		Using string `json:"using"`
		Steps []Step `json:"steps"`
	} `json:"runs"`
}

// Workflow is a workflow file.
type Workflow struct {
	Name        string            `json:"name"`
	Permissions map[string]string `json:"permissions"`
	Jobs        map[string]struct {
		Permissions map[string]string `json:"permissions"`
		Steps       []Step            `json:"steps"`
	} `json:"jobs"`
}

// Load reads action.yml.
func Load(path string) (*Action, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a Action
	if err := yaml.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &a, nil
}

// LoadWorkflow reads a workflow file.
func LoadWorkflow(path string) (*Workflow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w Workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &w, nil
}

// untrusted matches expressions whose text must never be pasted into a shell script:
// inputs and event payload fields (a PR title, a branch name) are attacker-controlled.
var untrusted = lazyre.New(`\$\{\{[^}]*\b(inputs\.|github\.event\.|github\.head_ref)`)

// Interpolations lists the untrusted ${{ }} expressions inside run: scripts.
func Interpolations(steps []Step) []string {
	var out []string
	for _, s := range steps {
		if s.Run == "" {
			continue
		}
		for _, m := range untrusted().FindAllString(s.Run, -1) {
			out = append(out, fmt.Sprintf("step %q: %s…", s.Name, m))
		}
	}
	return out
}

var expr = lazyre.New(`\$\{\{\s*([^}]+?)\s*\}\}`)

// Eval substitutes ${{ name }} expressions from values (e.g. "inputs.namespaces",
// "github.action_path"), and ${{ a == b }} of two names; an unknown expression is an
// error, so a test notices.
func Eval(s string, values map[string]string) (string, error) {
	var missing []string
	out := expr().ReplaceAllStringFunc(s, func(m string) string {
		name := strings.TrimSpace(expr().FindStringSubmatch(m)[1])
		if l, r, ok := strings.Cut(name, "=="); ok {
			// a == b of two names: "true" or "false", as the runner prints a boolean.
			lv, lok := values[strings.TrimSpace(l)]
			rv, rok := values[strings.TrimSpace(r)]
			if !lok || !rok {
				missing = append(missing, name)
			}
			return fmt.Sprint(lok && rok && lv == rv)
		}
		v, ok := values[name]
		if !ok && !strings.HasPrefix(name, "steps.") { // a skipped step's outputs are empty
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return out, fmt.Errorf("no value for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// Condition evaluates a step's if: the subset this action uses: always(), success(),
// `NAME == 'literal'`, `NAME != 'literal'`, joined by &&. An empty condition is success().
func Condition(cond string, values map[string]string) (bool, error) {
	cond = strings.TrimSpace(cond)
	if m := expr().FindStringSubmatch(cond); m != nil && m[0] == cond {
		cond = m[1]
	}
	if cond == "" {
		return true, nil
	}
	for _, term := range strings.Split(cond, "&&") {
		term = strings.TrimSpace(term)
		switch {
		case term == "always()" || term == "success()":
			continue
		case strings.Contains(term, "!=") || strings.Contains(term, "=="):
			op := "=="
			if strings.Contains(term, "!=") {
				op = "!="
			}
			l, r, _ := strings.Cut(term, op)
			l, r = strings.TrimSpace(l), strings.Trim(strings.TrimSpace(r), "'")
			v, ok := values[l]
			if !ok && !strings.HasPrefix(l, "steps.") { // a skipped step's outputs are empty
				return false, fmt.Errorf("if: no value for %s", l)
			}
			if (v == r) != (op == "==") {
				return false, nil
			}
		default:
			return false, fmt.Errorf("if: %q is not supported by this emulation", term)
		}
	}
	return true, nil
}
