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
		Description string `json:"description"`
		Value       string `json:"value"`
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

// inputLine is an input's or output's key line in action.yml, in file order.
var inputLine = lazyre.New(`(?m)^  ([a-z][a-z0-9-]*):\s*$`)

// Reference is README's inputs and outputs tables, made from action.yml (its text gives
// the order, a the descriptions and defaults): one row a name, its description on one
// line with table characters escaped.
func Reference(text []byte, a *Action) string {
	src := string(text)
	ins, outs, _ := strings.Cut(src, "\noutputs:")
	if i := strings.Index(ins, "\ninputs:"); i >= 0 {
		ins = ins[i:]
	}
	outs, _, _ = strings.Cut(outs, "\nruns:")
	cell := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s) // <job> is no HTML tag
	}
	var b strings.Builder
	b.WriteString("| input | default | what it does |\n|---|---|---|\n")
	for _, m := range inputLine().FindAllStringSubmatch(ins, -1) {
		in, ok := a.Inputs[m[1]]
		if !ok {
			continue
		}
		def := "—"
		if in.Default != "" {
			def = "`" + cell(in.Default) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", m[1], def, cell(in.Description))
	}
	b.WriteString("\n| output | what it is |\n|---|---|\n")
	for _, m := range inputLine().FindAllStringSubmatch(outs, -1) {
		if out, ok := a.Outputs[m[1]]; ok {
			fmt.Fprintf(&b, "| `%s` | %s |\n", m[1], cell(out.Description))
		}
	}
	return b.String()
}
