// Package ghactions is ci-report's side of the GitHub Actions runner: annotations from
// findings (within GitHub's 10 errors + 10 warnings per step), the job summary, step
// outputs, the comment key, and the pull request from the event payload.
package ghactions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/k8s-e2e-report/internal/findings"
	"github.com/org/k8s-e2e-report/internal/lazyre"
	"github.com/org/k8s-e2e-report/internal/textsafe"
)

// MaxPerLevel is how many annotations of one level GitHub shows per step.
const MaxPerLevel = 10

// SummaryLimit is GitHub's limit for one step's job summary.
const SummaryLimit = 1 << 20

// InActions reports whether this process runs in GitHub Actions.
func InActions(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }

// Annotate issues ::error / ::warning / ::notice commands for the ranked findings: at
// most MaxPerLevel per level, the last of a full level saying how many more there are.
// It returns the number issued per level.
func Annotate(a *githubactions.Action, fs []findings.Finding) map[string]int {
	levels := map[string][]findings.Finding{}
	seen := map[string]bool{}
	for _, f := range fs {
		lvl := level(f.Severity)
		key := lvl + "\x00" + f.Title
		if seen[key] {
			continue
		}
		seen[key] = true
		levels[lvl] = append(levels[lvl], f)
	}
	counts := map[string]int{}
	for _, lvl := range []string{"error", "warning", "notice"} {
		list := levels[lvl]
		for i, f := range list {
			if i == MaxPerLevel-1 && len(list) > MaxPerLevel {
				issue(a, lvl, nil, fmt.Sprintf("%d more findings — see the job summary or REPORT.md in the ci-report artifact", len(list)-i))
				counts[lvl]++
				break
			}
			// Annotation texts come from untrusted text; go-githubactions escapes newlines
			// and %, and textsafe drops terminal escapes and invisible characters.
			fields := map[string]string{"title": textsafe.OneLine(f.Title, 200)}
			if f.File != "" {
				fields["file"] = textsafe.OneLine(f.File, 1024)
				if f.Line > 0 {
					fields["line"] = fmt.Sprint(f.Line)
				}
			}
			msg := textsafe.Clean(f.Explanation)
			if f.Count > 1 {
				msg += fmt.Sprintf(" (×%d)", f.Count)
			}
			issue(a, lvl, fields, textsafe.Truncate(msg, 2000))
			counts[lvl]++
		}
	}
	return counts
}

func issue(a *githubactions.Action, lvl string, fields map[string]string, msg string) {
	if fields != nil {
		a = a.WithFieldsMap(fields)
	} else {
		a = a.WithFieldsMap(map[string]string{"title": "ci-report"})
	}
	// go-githubactions escapes %, CR and LF in the message and properties as the runner expects.
	switch lvl {
	case "error":
		a.Errorf("%s", msg)
	case "warning":
		a.Warningf("%s", msg)
	default:
		a.Noticef("%s", msg)
	}
}

func level(s findings.Severity) string {
	switch s {
	case findings.Critical, findings.Error:
		return "error"
	case findings.Warning:
		return "warning"
	}
	return "notice"
}

// WriteSummary appends markdown to the job summary, never more than SummaryLimit.
func WriteSummary(a *githubactions.Action, markdown string) {
	if len(markdown) > SummaryLimit {
		markdown = textsafe.Truncate(markdown, SummaryLimit-200) + "\n\n_(cut to GitHub's 1 MiB job summary limit)_\n"
	}
	a.AddStepSummary(markdown)
}

var unsafeKey = lazyre.New(`[^A-Za-z0-9._/,=:+-]+`)

// Key is the default comment key: workflow, job and matrix values, so each job (and
// matrix leg) keeps its own comment.
func Key(getenv func(string) string) string {
	parts := []string{getenv("GITHUB_WORKFLOW"), getenv("GITHUB_JOB")}
	if m := getenv("CI_REPORT_MATRIX"); m != "" && m != "null" {
		var values map[string]any
		if json.Unmarshal([]byte(m), &values) == nil && len(values) > 0 {
			keys := make([]string, 0, len(values))
			for k := range values {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, fmt.Sprintf("%s=%v", k, values[k]))
			}
			parts = append(parts, strings.Join(kv, ","))
		}
	}
	if len(parts) == 2 {
		// No matrix values: a leg of a strategy still needs its own comment.
		if total, _ := strconv.Atoi(getenv("CI_REPORT_JOB_TOTAL")); total > 1 {
			parts = append(parts, "leg="+getenv("CI_REPORT_JOB_INDEX"))
		}
	}
	key := strings.Trim(strings.Join(parts, "/"), "/")
	if key == "" {
		key = "default"
	}
	return SanitizeKey(key)
}

// SanitizeKey keeps a key safe inside an HTML comment.
func SanitizeKey(k string) string {
	k = unsafeKey().ReplaceAllString(k, "_")
	if len(k) > 200 {
		k = k[:200]
	}
	return k
}

// PR is the pull request a run is about.
type PR struct {
	Repo    string `json:"repo"` // owner/name
	Number  int    `json:"number"`
	HeadSHA string `json:"headSha"`
	Key     string `json:"key"`
}

// PRFromEvent reads the pull request from the event payload (pull_request or
// pull_request_target); ok is false for other events.
func PRFromEvent(event map[string]any) (PR, bool) {
	pr, ok := event["pull_request"].(map[string]any)
	if !ok {
		return PR{}, false
	}
	n, _ := pr["number"].(float64)
	sha := ""
	if head, ok := pr["head"].(map[string]any); ok {
		sha, _ = head["sha"].(string)
	}
	return PR{Number: int(n), HeadSHA: sha}, n > 0
}

// WorkflowRunHeadSHA is the head SHA of the run that triggered a workflow_run event.
func WorkflowRunHeadSHA(event map[string]any) string {
	if wr, ok := event["workflow_run"].(map[string]any); ok {
		s, _ := wr["head_sha"].(string)
		return s
	}
	return ""
}
